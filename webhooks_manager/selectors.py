"""Reads for the Webhooks Manager; every query is scoped to one organisation."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q

from accounts.models import Organisation
from crm import events

from .examples import example_json
from .models import Attempt, Endpoint, InboundDelivery, InboundHook, Message

LOG_PER_PAGE = 50
OUTCOMES = {"success": "Succeeded", "failure": "Failed"}


@dataclass(frozen=True)
class EventChoice:
    name: str
    description: str
    example: str


def event_choices() -> list[EventChoice]:
    return [
        EventChoice(name=name, description=event.description, example=example_json(name))
        for name, event in events.EVENTS.items()
    ]


def endpoints_listed(*, organisation: Organisation) -> list[Endpoint]:
    return list(
        Endpoint.objects.for_org(organisation).annotate(
            waiting=Count("messages", filter=Q(messages__status=Message.Status.PENDING)),
            failed=Count("messages", filter=Q(messages__status=Message.Status.FAILED)),
        )
    )


def inbound_hooks_listed(*, organisation: Organisation) -> list[InboundHook]:
    return list(
        InboundHook.objects.for_org(organisation).annotate(
            leads=Count("deliveries", filter=Q(deliveries__outcome=InboundDelivery.Outcome.CREATED))
        )
    )


def endpoint_get(*, organisation: Organisation, pk: int) -> Endpoint | None:
    return Endpoint.objects.for_org(organisation).filter(pk=pk).first()


def message_get(*, organisation: Organisation, endpoint: Endpoint, pk: int) -> Message | None:
    return Message.objects.for_org(organisation).filter(endpoint=endpoint, pk=pk).first()


def inbound_hook_get(*, organisation: Organisation, pk: int) -> InboundHook | None:
    return InboundHook.objects.for_org(organisation).filter(pk=pk).first()


def delivery_log(
    *, organisation: Organisation, endpoint: Endpoint, event: str, outcome: str, page: Any
) -> Page:
    attempts = (
        Attempt.objects.for_org(organisation)
        .filter(message__endpoint=endpoint)
        .select_related("message")
    )
    if event:
        attempts = attempts.filter(message__event_type=event)
    if outcome in OUTCOMES:
        attempts = attempts.filter(outcome=outcome)
    return Paginator(attempts, LOG_PER_PAGE).get_page(page)


def messages_waiting(*, organisation: Organisation, endpoint: Endpoint) -> list[Message]:
    return list(
        Message.objects.for_org(organisation)
        .filter(endpoint=endpoint, status=Message.Status.PENDING)
        .order_by("next_attempt_at", "pk")[:20]
    )


def inbound_log(*, organisation: Organisation, hook: InboundHook, page: Any) -> Page:
    deliveries = (
        InboundDelivery.objects.for_org(organisation).filter(hook=hook).select_related("lead")
    )
    return Paginator(deliveries, LOG_PER_PAGE).get_page(page)


def tab_summary(*, organisation: Organisation) -> dict[str, int]:
    return {
        "endpoints": Endpoint.objects.for_org(organisation).count(),
        "inbound": InboundHook.objects.for_org(organisation)
        .filter(revoked_at__isnull=True)
        .count(),
    }
