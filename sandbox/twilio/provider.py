"""The Twilio adapter's declaration: what the core needs to serve Twilio's limits, faults,
callbacks and control page. Twilio has no OAuth here: Torqueflow calls with the account's SID
and Auth Token. Everything else in sandbox/twilio is Twilio's API and the phone page."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from sandbox.core.registry import Account, Limits, SandboxProvider, register
from sandbox.models import ProviderEvent, TwilioSandboxMessage

from . import api, constants, events, page


class TwilioSandbox(SandboxProvider):
    key = constants.KEY
    name = "Twilio"
    urls = "sandbox.twilio.urls"
    settings_prefix = "TWILIO"
    oauth = False
    # Per sender: a US long code sends 1 message a second (over it, texts wait in the queue).
    limits = Limits("second", 1, per_window=constants.PER_SECOND, per_day=constants.PER_DAY)
    account_noun = "account"
    account_label = "Account"
    accounts_template = "sandbox/twilio/_accounts.html"
    limits_scope = "per sender"
    grant_noun = ""  # the account's credentials never change: nothing to forget
    page_blurb = (
        "You are Twilio here: the texts Torqueflow sent, moving queued → sent → delivered "
        "(or undelivered at the failure rate), and each customer's phone, where you read what "
        "was sent to the number and reply (STOP and START included)."
    )
    setup_note = (
        "Put these in .env (with SANDBOX_ENABLED and no TWILIO_API_BASE set, Torqueflow uses "
        "the sandbox already), then connect on the SMS tab with this Account SID and Auth "
        "Token and the phone number or Messaging Service SID below."
    )
    webhook_content_type = "application/x-www-form-urlencoded"
    failure_rate_label = "Undelivered rate (0 to 1)"
    api_change_webhooks = False

    seed = staticmethod(lambda: None)
    injected_error = staticmethod(api.server_error)
    signing = staticmethod(events.signing)
    control_context = staticmethod(page.control_context)

    def accounts(self) -> list[Account]:
        return [Account(constants.ACCOUNT_SID, constants.FRIENDLY_NAME)]

    def forget_data(self) -> None:
        TwilioSandboxMessage.objects.all().delete()

    def forget_grants(self) -> None:
        """No grants: the account's credentials stay the same."""

    def knob_defaults(self) -> dict[str, Any]:
        return {"failure_rate": settings.SANDBOX_TWILIO_FAILURE_RATE}

    def webhook_body(self, events_: list[ProviderEvent]) -> bytes:
        [event] = events_  # one callback a delivery
        return events.body_for(event)

    def webhook_target(self, events_: list[ProviderEvent]) -> str:
        return events.target_for(events_[0])

    def delivery_headers(self, body: bytes, target: str, *, genuine: bool = True) -> dict[str, str]:
        return events.headers(body, target, genuine=genuine)

    def credential_lines(self) -> list[str]:
        base = settings.SANDBOX_BASE_URL.rstrip("/")
        return [
            f"TWILIO_API_BASE={base}/sandbox/{self.key}",
            f"# Account SID: {constants.ACCOUNT_SID}",
            f"# Auth Token: {constants.AUTH_TOKEN}",
            f"# Sender: {constants.PHONE_NUMBER} or {constants.MESSAGING_SERVICE_SID}",
        ]


register(TwilioSandbox())
