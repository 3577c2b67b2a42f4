"""Writes to outbound endpoints: add, edit, enable, disable, rotate the secret, delete."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from crm import events
from invoicing.services.audit import audit_record

from ..feature import feature_switch_on
from ..models import Endpoint
from ..signing import secret_generate
from ..ssrf import UnsafeURL, url_check

# How long a rotated secret keeps signing beside the new one.
ROTATION_OVERLAP = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class EndpointInput:
    url: str
    description: str = ""
    kind: str = Endpoint.Kind.STANDARD
    events: tuple[str, ...] = ()


def _cleaned(data: EndpointInput) -> EndpointInput:
    errors: dict[str, str] = {}
    url = data.url.strip()
    try:
        url_check(url)
    except UnsafeURL as error:
        errors["url"] = str(error)
    unknown = [name for name in data.events if name not in events.EVENTS]
    if unknown or not data.events:
        errors["events"] = "Choose at least one event."
    if data.kind not in Endpoint.Kind.values:
        errors["kind"] = "Choose a kind."
    if errors:
        raise ValidationError(errors)
    ordered = tuple(name for name in events.EVENTS if name in data.events)
    return EndpointInput(
        url=url, description=data.description.strip()[:200], kind=data.kind, events=ordered
    )


def endpoint_lock(*, endpoint_id: int) -> Endpoint:
    return Endpoint.objects.select_for_update().get(pk=endpoint_id)


@transaction.atomic
def endpoint_create(
    *, organisation: Organisation, actor: AbstractBaseUser | None, data: EndpointInput
) -> Endpoint:
    data = _cleaned(data)
    feature_switch_on(organisation=organisation, actor=actor)
    endpoint = Endpoint.objects.create(
        organisation=organisation,
        url=data.url,
        description=data.description,
        kind=data.kind,
        events=list(data.events),
        secret=secret_generate(),
    )
    audit_record(
        organisation=organisation, actor=actor, action="webhook.endpoint.created", obj=endpoint
    )
    return endpoint


@transaction.atomic
def endpoint_update(
    *, endpoint: Endpoint, actor: AbstractBaseUser | None, data: EndpointInput
) -> Endpoint:
    data = _cleaned(data)
    endpoint = endpoint_lock(endpoint_id=endpoint.pk)
    endpoint.url, endpoint.description = data.url, data.description
    endpoint.kind, endpoint.events = data.kind, list(data.events)
    endpoint.save(update_fields=["url", "description", "kind", "events"])
    audit_record(
        organisation=endpoint.organisation,
        actor=actor,
        action="webhook.endpoint.updated",
        obj=endpoint,
    )
    return endpoint


@transaction.atomic
def endpoint_enable(*, endpoint: Endpoint, actor: AbstractBaseUser | None) -> Endpoint:
    """Turn it back on: messages left pending go out again, from a fresh schedule."""
    from .delivery import delivery_enqueue

    endpoint = endpoint_lock(endpoint_id=endpoint.pk)
    endpoint.enabled, endpoint.disabled_reason = True, ""
    endpoint.failing_since = endpoint.paused_until = None
    endpoint.save(update_fields=["enabled", "disabled_reason", "failing_since", "paused_until"])
    endpoint.messages.filter(status="pending").update(retry_index=0, next_attempt_at=timezone.now())
    audit_record(
        organisation=endpoint.organisation,
        actor=actor,
        action="webhook.endpoint.enabled",
        obj=endpoint,
    )
    delivery_enqueue(endpoint_id=endpoint.pk)
    return endpoint


def endpoint_disable(
    *, endpoint: Endpoint, actor: AbstractBaseUser | None, reason: str = ""
) -> Endpoint:
    with transaction.atomic():
        endpoint = endpoint_lock(endpoint_id=endpoint.pk)
        endpoint.enabled, endpoint.disabled_reason = False, reason
        endpoint.save(update_fields=["enabled", "disabled_reason"])
        audit_record(
            organisation=endpoint.organisation,
            actor=actor,
            action="webhook.endpoint.disabled",
            obj=endpoint,
            details={"reason": reason} if reason else None,
        )
    return endpoint


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: Endpoint, actor: AbstractBaseUser | None) -> Endpoint:
    """A new secret; the old one keeps signing beside it for ROTATION_OVERLAP."""
    endpoint = endpoint_lock(endpoint_id=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["previous_secret", "previous_secret_expires_at", "secret"])
    audit_record(
        organisation=endpoint.organisation,
        actor=actor,
        action="webhook.endpoint.secret_rotated",
        obj=endpoint,
    )
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint, actor: AbstractBaseUser | None) -> None:
    audit_record(
        organisation=endpoint.organisation,
        actor=actor,
        action="webhook.endpoint.deleted",
        obj=endpoint,
        details={"url": endpoint.url},
    )
    endpoint.delete()


def secrets_in_use(endpoint: Endpoint, *, now: datetime.datetime) -> list[str]:
    previous = endpoint.previous_secret
    if (
        previous
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        return [endpoint.secret, previous]
    return [endpoint.secret]
