"""Twilio's part of the control page: the numbers texted recently, each with its last text,
its status and a link to its phone page, and the counters of texts by status."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max
from django.http import HttpRequest

from sandbox.models import TwilioSandboxMessage

from .constants import ACCOUNT_SID, FRIENDLY_NAME, MESSAGING_SERVICE_SID, PHONE_NUMBER

NUMBERS_SHOWN = 10


def control_context(request: HttpRequest) -> dict[str, Any]:
    outbound = TwilioSandboxMessage.objects.filter(direction="outbound-api")
    recent = list(
        outbound.values("to")
        .annotate(last=Max("created"), texts=Count("pk"))
        .order_by("-last")[:NUMBERS_SHOWN]
    )
    latest: dict[str, TwilioSandboxMessage] = {}
    for message in outbound.filter(to__in=[row["to"] for row in recent]).order_by("created", "pk"):
        latest[message.to] = message
    numbers = [
        {"number": row["to"], "texts": row["texts"], "last": latest.get(row["to"])}
        for row in recent
    ]
    by_status = dict(outbound.values_list("status").annotate(n=Count("pk")).order_by())
    counters = {
        "sent": sum(by_status.values()),
        "delivered": by_status.get("delivered", 0),
        "undelivered": by_status.get("undelivered", 0) + by_status.get("failed", 0),
        "in_flight": by_status.get("queued", 0) + by_status.get("sent", 0),
        "replies": TwilioSandboxMessage.objects.filter(direction="inbound").count(),
    }
    return {
        "account_sid": ACCOUNT_SID,
        "friendly_name": FRIENDLY_NAME,
        "phone_number": PHONE_NUMBER,
        "messaging_service_sid": MESSAGING_SERVICE_SID,
        "numbers": numbers,
        "counters": counters,
    }
