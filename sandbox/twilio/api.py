"""/sandbox/twilio/2010-04-01/Accounts/…: the Messages API as the SDK calls it (Basic auth,
form fields), answered in Twilio's JSON shapes and error shapes. Once the caller is known,
every call goes through the core's gateway (limits, latency, injected errors, timeouts,
counters): reads per account, sends per sender. A send over the sender's rate is not refused:
as on Twilio it waits in the sender's queue, its first step later by the wait."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from sandbox.core.gateway import metered
from sandbox.core.limits import Verdict
from sandbox.models import Faults, TwilioSandboxMessage
from twilio_sms.segments import MAX_CHARACTERS, segment_count

from .constants import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FRIENDLY_NAME,
    KEY,
    MESSAGING_SERVICE_SID,
    PHONE_NUMBER,
    STEP_SECONDS,
)
from .tasks import schedule

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


def error(status: int, code: int, message: str) -> JsonResponse:
    return JsonResponse(
        {
            "code": code,
            "message": message,
            "more_info": MORE_INFO.format(code=code),
            "status": status,
        },
        status=status,
    )


def _authorised(request: HttpRequest, account_sid: str) -> bool:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return (
        account_sid == ACCOUNT_SID
        and secrets.compare_digest(user, ACCOUNT_SID)
        and secrets.compare_digest(password, AUTH_TOKEN)
    )


def server_error() -> HttpResponse:
    """An injected 500 in Twilio's error shape."""
    return error(500, 20500, "Internal Server Error")


def too_many_requests(verdict: Verdict) -> HttpResponse:
    response = error(429, 20429, "Too Many Requests")
    if verdict.retry_after:
        response["Retry-After"] = str(verdict.retry_after)
    return response


def _metered(
    key: str,
    work: Callable[[], HttpResponse],
    refused: Callable[[Verdict], HttpResponse] = too_many_requests,
) -> HttpResponse:
    return metered(
        Faults.current(KEY),
        account=ACCOUNT_SID,
        window_key=key,
        app_key=None,
        work=work,
        refused=refused,
    )


def _date(value) -> str:
    return value.strftime("%a, %d %b %Y %H:%M:%S +0000")


def message_json(message: TwilioSandboxMessage) -> dict:
    return {
        "account_sid": message.account_sid,
        "api_version": "2010-04-01",
        "body": message.body,
        "date_created": _date(message.created),
        "date_updated": _date(message.updated),
        "date_sent": _date(message.updated) if message.status != "queued" else None,
        "direction": message.direction,
        "error_code": int(message.error_code) if message.error_code else None,
        "error_message": None,
        "from": message.from_number or None,
        "messaging_service_sid": message.messaging_service_sid or None,
        "num_media": "0",
        "num_segments": str(message.num_segments),
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {},
        "to": message.to,
        "uri": f"/2010-04-01/Accounts/{message.account_sid}/Messages/{message.sid}.json",
    }


UNAUTHORISED = (401, 20003, "Authenticate")


@csrf_exempt
@require_GET
def account(request, account_sid: str):
    if not _authorised(request, account_sid):
        return error(*UNAUTHORISED)
    return _metered(f"account:{account_sid}", _account_json)


def _account_json() -> HttpResponse:
    return JsonResponse(
        {
            "sid": ACCOUNT_SID,
            "friendly_name": FRIENDLY_NAME,
            "status": "active",
            "type": "Trial",
            "date_created": _date(timezone.now()),
            "date_updated": _date(timezone.now()),
            "auth_token": None,
            "owner_account_sid": ACCOUNT_SID,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}.json",
            "subresource_uris": {},
        }
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def messages(request, account_sid: str):
    if not _authorised(request, account_sid):
        return error(*UNAUTHORISED)
    if request.method == "GET":
        return _metered(f"account:{account_sid}", lambda: _list(account_sid))
    to = request.POST.get("To", "").strip()
    body = request.POST.get("Body", "")
    sender = request.POST.get("From", "").strip()
    service = request.POST.get("MessagingServiceSid", "").strip()
    if not to.startswith("+") or not to[1:].isdigit() or not 8 <= len(to) <= 16:
        return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not body:
        return error(400, 21602, "Message body is required.")
    if len(body) > MAX_CHARACTERS:
        return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    if service and service != MESSAGING_SERVICE_SID:
        return error(400, 21701, "The Messaging Service Sid is invalid.")
    if not service and sender != PHONE_NUMBER:
        return error(
            400,
            21606,
            "The 'From' phone number provided is not a valid message-capable Twilio phone "
            "number for this destination/account.",
        )
    if _opted_out(to):
        return error(400, 21610, "Attempt to send to unsubscribed recipient")
    fields = {
        "account_sid": account_sid,
        "to": to,
        "from_number": sender or PHONE_NUMBER,
        "messaging_service_sid": service,
        "body": body,
        "status_callback": request.POST.get("StatusCallback", "")[:500],
    }

    def queued_later(verdict: Verdict) -> HttpResponse:
        # Over the sender's rate: Twilio queues the message; it leaves when the window ends.
        return _create(fields, STEP_SECONDS + (verdict.retry_after or 1))

    return _metered(
        f"sender:{service or fields['from_number']}",
        lambda: _create(fields, STEP_SECONDS),
        refused=queued_later,
    )


def _list(account_sid: str) -> HttpResponse:
    rows = TwilioSandboxMessage.objects.filter(account_sid=account_sid)[:50]
    return JsonResponse({"messages": [message_json(m) for m in rows], "page": 0})


def _create(fields: dict[str, str], delay: float) -> HttpResponse:
    with transaction.atomic():
        message = TwilioSandboxMessage.objects.create(
            sid="SM" + secrets.token_hex(16),
            num_segments=max(1, segment_count(fields["body"]).segments),
            **fields,
        )
        schedule(message.sid, delay)
    return JsonResponse(message_json(message), status=201)


def _opted_out(phone: str) -> bool:
    return TwilioSandboxMessage.objects.filter(
        direction="inbound", from_number=phone, body__iexact="STOP"
    ).exists() and not _opted_in(phone)


def _opted_in(phone: str) -> bool:
    """The number's latest STOP or START keyword was START."""
    last = (
        TwilioSandboxMessage.objects.filter(direction="inbound", from_number=phone)
        .filter(body__iregex=r"^\s*(stop|start)\s*$")
        .first()
    )
    return last is not None and last.body.strip().upper() == "START"


@csrf_exempt
@require_GET
def message(request, account_sid: str, sid: str):
    if not _authorised(request, account_sid):
        return error(*UNAUTHORISED)
    return _metered(f"account:{account_sid}", lambda: _fetch(account_sid, sid))


def _fetch(account_sid: str, sid: str) -> HttpResponse:
    found = TwilioSandboxMessage.objects.filter(account_sid=account_sid, sid=sid).first()
    if found is None:
        return error(
            404,
            20404,
            f"The requested resource /2010-04-01/Accounts/{account_sid}/Messages/{sid}.json "
            "was not found",
        )
    return JsonResponse(message_json(found))
