"""Twilio over its official SDK, one method per remote call, every failure mapped to the
hub's error hierarchy (integrations.errors) in one place.

The SDK builds its URLs on https://api.twilio.com; the HTTP client below sends them to
settings.TWILIO_API_BASE instead, so the sandbox and Twilio are one switch apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from integrations.errors import ValidationFailed
from integrations.remote_errors import SdkFailure, sdk_errors

SDK_BASE = "https://api.twilio.com"
TIMEOUT = 15.0
NAME = "Twilio"


class _SettingsBaseHttpClient(TwilioHttpClient):
    def request(self, method, url, *args, **kwargs):
        base = settings.TWILIO_API_BASE.rstrip("/")
        if base != SDK_BASE and url.startswith(SDK_BASE):
            url = base + url[len(SDK_BASE) :]
        return super().request(method, url, *args, **kwargs)


def twilio_failure(error: Exception) -> SdkFailure | None:
    """What a Twilio SDK or transport exception says about the call."""
    if isinstance(error, TwilioRestException):
        return SdkFailure(status=error.status, message=str(error.msg or ""))
    if isinstance(error, requests.ConnectTimeout | requests.ConnectionError):
        return SdkFailure(status=None, message="connection failed")
    if isinstance(error, requests.Timeout):
        return SdkFailure(status=None, message="timed out", maybe_sent=True)
    return None


class MessageRefused(ValidationFailed):
    """Twilio refused to send this message (400): `code` is Twilio's error code."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message, reason_code="sms_refused")
        self.code = code


@dataclass(frozen=True)
class Account:
    sid: str
    name: str
    status: str


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str
    error_code: str
    segments: int


class TwilioClient:
    """Calls as one Twilio account: with its API key when one is given, else its Auth Token."""

    def __init__(self, credentials: Mapping[str, str]):
        self.account_sid = credentials.get("account_sid", "")
        key_sid = credentials.get("api_key_sid", "")
        key_secret = credentials.get("api_key_secret", "")
        if key_sid and key_secret:
            username, password = key_sid, key_secret
        else:
            username, password = self.account_sid, credentials.get("auth_token", "")
        self._client = Client(
            username,
            password,
            account_sid=self.account_sid,
            http_client=_SettingsBaseHttpClient(timeout=TIMEOUT),
        )

    def account_fetch(self) -> Account:
        """The cheap call: the account the credentials reach."""
        with sdk_errors(NAME, twilio_failure):
            account = self._client.api.v2010.accounts(self.account_sid).fetch()
        return Account(sid=account.sid, name=account.friendly_name or "", status=account.status)

    def message_create(
        self, *, to: str, body: str, sender: str, status_callback: str
    ) -> SentMessage:
        """Send one SMS from a phone number or a Messaging Service (MG…)."""
        params: dict[str, str] = {"to": to, "body": body}
        if sender.startswith("MG"):
            params["messaging_service_sid"] = sender
        else:
            params["from_"] = sender
        if status_callback:
            params["status_callback"] = status_callback
        with sdk_errors(NAME, twilio_failure):
            try:
                message = self._client.messages.create(**params)
            except TwilioRestException as error:
                if error.status == 400:
                    raise MessageRefused(str(error.msg or ""), code=str(error.code or "")) from None
                raise
        return SentMessage(
            sid=message.sid,
            status=message.status or "queued",
            error_code=str(message.error_code or ""),
            segments=int(message.num_segments or 1),
        )

    def message_fetch(self, sid: str) -> SentMessage:
        with sdk_errors(NAME, twilio_failure):
            message = self._client.messages(sid).fetch()
        return SentMessage(
            sid=message.sid,
            status=message.status or "",
            error_code=str(message.error_code or ""),
            segments=int(message.num_segments or 1),
        )
