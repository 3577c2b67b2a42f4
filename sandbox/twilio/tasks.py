"""The emulated Twilio's clock: a message moves queued → sent → delivered (or undelivered,
at the configured failure rate) a step at a time, each step's callback signed and posted."""

import logging
import random

import requests
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from sandbox.models import TwilioSandboxMessage

from .constants import ACCOUNT_SID, AUTH_TOKEN, STEP_SECONDS
from .signing import signature

logger = logging.getLogger(__name__)

NEXT = {"queued": "sent", "sent": "delivered"}
# Unreachable handset: what a failed delivery says.
FAILURE_CODE = "30003"


def post_signed(url: str, params: dict[str, str]) -> int | None:
    headers = {"X-Twilio-Signature": signature(url, params, AUTH_TOKEN)}
    try:
        return requests.post(url, data=params, headers=headers, timeout=10).status_code
    except requests.RequestException:
        logger.warning("Sandbox Twilio could not reach %s", url)
        return None


@shared_task(ignore_result=True)
def advance_task(sid: str) -> None:
    message = TwilioSandboxMessage.objects.filter(sid=sid).first()
    if message is None or message.status not in NEXT:
        return
    status = NEXT[message.status]
    if status == "delivered" and random.random() < settings.SANDBOX_TWILIO_FAILURE_RATE:  # noqa: S311
        status, message.error_code = "undelivered", FAILURE_CODE
    message.status = status
    message.updated = timezone.now()
    message.save(update_fields=["status", "error_code", "updated"])
    if message.status_callback:
        params = {
            "AccountSid": ACCOUNT_SID,
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message.to,
            "From": message.from_number,
            "ApiVersion": "2010-04-01",
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if message.error_code:
            params["ErrorCode"] = message.error_code
        post_signed(message.status_callback, params)
    if status in NEXT:
        advance_task.apply_async((sid,), countdown=STEP_SECONDS)
