"""Twilio SMS as a hub provider: an account's credentials typed into the card, texts sent
from the SMS tab, status callbacks and replies in at /webhooks/twilio/."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpResponse

from integrations import registry
from integrations.auth import CredentialField, Credentials
from integrations.models import Connection, WebhookEvent

from . import inbound, selectors, services

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class TwilioSmsProvider(registry.Provider):
    key = selectors.KEY
    name = "Twilio SMS"
    tab_label = "SMS"
    description = (
        "Text your customers appointment reminders, invoice reminders and follow-ups, and read "
        "their replies."
    )
    features = (
        "Templates for appointment reminders, invoice reminders and follow-ups",
        "Live character counter: 160 characters per SMS",
        "Delivery status and replies in the history",
        "STOP opts a number out; START opts it back in",
    )
    connect_label = "Connect Twilio"
    disconnect_message = (
        "Disconnect Twilio? No more texts can be sent and replies stop arriving. The history stays."
    )
    account_label = "Account SID"
    page_template = "twilio_sms/tab.html"
    store_failure_status = 503

    auth = Credentials(
        fields=(
            CredentialField(
                "account_sid",
                "Account SID",
                help_text="On the Twilio Console's home page; it starts with AC.",
                placeholder="AC…",
            ),
            CredentialField(
                "auth_token",
                "Auth Token",
                secret=True,
                help_text="Twilio signs its status callbacks and replies with it.",
            ),
            CredentialField(
                "api_key_sid",
                "API key SID (optional)",
                required=False,
                help_text="To send with an API key instead of the Auth Token; it starts with SK.",
                placeholder="SK…",
            ),
            CredentialField(
                "api_key_secret", "API key secret (optional)", secret=True, required=False
            ),
            CredentialField(
                "sender",
                "Sender",
                help_text="Your Twilio phone number (+12125551234) or a Messaging Service SID "
                "(MG…). US numbers need A2P 10DLC registration.",
                placeholder="+12125551234",
            ),
        ),
        validate=services.credentials_check,
    )

    def page_context(self, *, organisation, connection: Connection | None) -> dict[str, Any]:
        from .tab import tab_context

        return tab_context(organisation=organisation, connection=connection)

    def tab_count(self, *, connection: Connection) -> int:
        return selectors.unread_count(organisation=connection.organisation)

    # --- webhooks in ----------------------------------------------------------------------

    def _params(self, body: bytes) -> dict[str, str]:
        """The form's fields; raises UnicodeDecodeError when the body is not UTF-8."""
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))

    def _payload(self, params: dict[str, str]) -> dict[str, str]:
        # NUL has no place in a text and no database column takes it; the signature was
        # checked over what Twilio sent.
        return {k.replace("\x00", ""): v.replace("\x00", "") for k, v in params.items()}

    def verify_webhook(self, *, request, body: bytes) -> bool:
        try:
            params = self._params(body)
        except UnicodeDecodeError:
            return False
        return bool(inbound.verified_connections(request, params))

    def webhook_events(self, *, request, body: bytes) -> list[registry.InboundEvent]:
        try:
            payload = self._payload(self._params(body))
        except UnicodeDecodeError as error:
            raise ValueError("A Twilio callback is UTF-8") from error
        return [registry.InboundEvent(key=inbound.event_key(payload), payload=payload)]

    def webhook_answer(self) -> HttpResponse:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")

    def apply_webhook(self, *, event: WebhookEvent) -> bool:
        return inbound.apply_event(event)
