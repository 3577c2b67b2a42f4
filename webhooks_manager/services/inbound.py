"""Inbound webhooks: secret URLs that make leads of what Zapier, Make or a website form posts."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.models import Organisation
from crm.models import Lead
from crm.services.leads import LeadInput, lead_create
from integrations.webhook_body import MalformedBody, read_json
from invoicing.services.audit import audit_record

from ..feature import feature_switch_on
from ..models import BODY_EXCERPT, InboundDelivery, InboundHook
from ..signing import secret_generate

TOKEN_PREFIX = "whin_"
MAX_BYTES = 256 * 1024
# Posts per hook per minute.
RATE_LIMIT = 60
# Where each lead field may come from, first match wins.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name", "fullname", "your-name", "contact_name"),
    "email": ("email", "email_address", "your-email", "e-mail"),
    "phone": ("phone", "phone_number", "telephone", "mobile", "tel", "your-phone"),
    "company": ("company", "company_name", "organisation", "organization", "business"),
    "message": ("message", "notes", "comments", "comment", "enquiry", "inquiry", "your-message"),
}
NAME_PARTS = ("first_name", "last_name")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_new() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class HookWithToken:
    """A hook and its token: the only time the token exists outside the sender's hands."""

    hook: InboundHook
    token: str


@transaction.atomic
def inbound_hook_create(
    *, organisation: Organisation, actor: AbstractBaseUser | None, name: str, signed: bool = False
) -> HookWithToken:
    name = name.strip()[:100]
    if not name:
        raise ValidationError({"name": "Give the inbound webhook a name."})
    feature_switch_on(organisation=organisation, actor=actor)
    token = _token_new()
    hook = InboundHook.objects.create(
        organisation=organisation,
        name=name,
        token_hash=token_hash(token),
        token_hint=token[: len(TOKEN_PREFIX) + 4],
        signing_secret=secret_generate() if signed else None,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(organisation=organisation, actor=actor, action="webhook.inbound.created", obj=hook)
    return HookWithToken(hook=hook, token=token)


@transaction.atomic
def inbound_hook_rotate(*, hook: InboundHook, actor: AbstractBaseUser | None) -> HookWithToken:
    """A new URL; the old one stops working at once."""
    hook = InboundHook.objects.select_for_update().get(pk=hook.pk)
    token = _token_new()
    hook.token_hash, hook.token_hint = token_hash(token), token[: len(TOKEN_PREFIX) + 4]
    hook.save(update_fields=["token_hash", "token_hint"])
    audit_record(
        organisation=hook.organisation, actor=actor, action="webhook.inbound.rotated", obj=hook
    )
    return HookWithToken(hook=hook, token=token)


@transaction.atomic
def inbound_hook_revoke(*, hook: InboundHook, actor: AbstractBaseUser | None) -> InboundHook:
    hook = InboundHook.objects.select_for_update().get(pk=hook.pk)
    if hook.revoked_at is None:
        hook.revoked_at = timezone.now()
        hook.save(update_fields=["revoked_at"])
        audit_record(
            organisation=hook.organisation, actor=actor, action="webhook.inbound.revoked", obj=hook
        )
    return hook


def inbound_hook_find(token: str) -> InboundHook | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return (
        InboundHook.objects.select_related("organisation")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def _fields(body: bytes, content_type: str) -> dict[str, Any]:
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Refused(400, "The form is not UTF-8.") from error
        if "\x00" in text:
            raise Refused(400, "The form holds characters that cannot be stored.")
        return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=200))
    if content_type.startswith("application/json") or not content_type:
        try:
            value = read_json(body)
        except MalformedBody as error:
            raise Refused(400, f"The body is not valid JSON: {error}"[:300]) from error
        if not isinstance(value, dict):
            raise Refused(400, "The body must be a JSON object.")
        return value
    raise Refused(
        415, "Send JSON (application/json) or a form (application/x-www-form-urlencoded)."
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)[:2000]


def lead_input(fields: dict[str, Any]) -> LeadInput:
    """Map what arrived to a lead; fields we do not know go into the lead's notes (its
    message), one `key: value` line each."""
    lowered = {str(key).strip().lower(): key for key in fields}
    used: set[Any] = set()
    values: dict[str, str] = {}
    for target, names in FIELD_NAMES.items():
        for name in names:
            if name in lowered:
                values[target] = _text(fields[lowered[name]]).strip()
                used.add(lowered[name])
                break
    if not values.get("name"):
        parts = [_text(fields[lowered[part]]).strip() for part in NAME_PARTS if part in lowered]
        values["name"] = " ".join(p for p in parts if p)
    used.update(lowered[part] for part in NAME_PARTS if part in lowered)
    others = [f"{key}: {_text(value)}" for key, value in fields.items() if key not in used]
    message = values.get("message", "")
    if others:
        message = "\n\n".join(p for p in (message, "Other fields:\n" + "\n".join(others)) if p)
    return LeadInput(
        name=values.get("name", "")[:200],
        company=values.get("company", ""),
        email=values.get("email", "")[:254],
        phone=values.get("phone", "")[:40],
        message=message[:20000],
    )


def _rate_limited(hook: InboundHook) -> bool:
    key = f"inbound-hook:{hook.pk}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(key, 1, 120):
        return False
    try:
        return cache.incr(key) > RATE_LIMIT
    except ValueError:
        return False


def _verify(hook: InboundHook, body: bytes, headers: dict[str, str]) -> None:
    try:
        Webhook(hook.signing_secret).verify(body, headers)
    except WebhookVerificationError as error:
        raise Refused(401, f"Signature check failed: {error}"[:300]) from error


def _log(
    hook: InboundHook,
    *,
    status: int,
    reason: str,
    body: bytes,
    content_type: str,
    lead: Lead | None = None,
) -> InboundDelivery:
    return InboundDelivery.objects.create(
        organisation_id=hook.organisation_id,
        hook=hook,
        outcome=InboundDelivery.Outcome.CREATED if lead else InboundDelivery.Outcome.REFUSED,
        status_code=status,
        reason=reason,
        content_type=content_type[:100],
        body=body[:BODY_EXCERPT].decode("utf-8", "replace").replace("\x00", "\ufffd"),
        lead=lead,
    )


@dataclass(frozen=True)
class InboundResult:
    status: int
    reason: str = ""
    lead: Lead | None = None
    errors: dict[str, list[str]] | None = None


def inbound_receive(
    *,
    hook: InboundHook,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    oversize: bool = False,
) -> InboundResult:
    """Check, map and make the lead; every outcome is logged."""
    content_type = content_type.lower()
    try:
        if _rate_limited(hook):
            raise Refused(429, "Too many posts: at most 60 a minute.")
        if oversize or len(body) > MAX_BYTES:
            raise Refused(413, "The body is larger than 256 KiB.")
        if hook.signing_secret:
            _verify(hook, body, headers)
        data = lead_input(_fields(body, content_type))
        with transaction.atomic():
            lead = lead_create(
                organisation=hook.organisation, actor=None, data=data, source=Lead.Source.WEBHOOK
            )
            _log(hook, status=201, reason="", body=body, content_type=content_type, lead=lead)
        return InboundResult(status=201, lead=lead)
    except ValidationError as error:
        errors = error.message_dict
        reason = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())[:300]
        _log(hook, status=400, reason=reason, body=body, content_type=content_type)
        return InboundResult(status=400, reason=reason, errors=errors)
    except Refused as refused:
        _log(
            hook, status=refused.status, reason=refused.reason, body=body, content_type=content_type
        )
        return InboundResult(status=refused.status, reason=refused.reason)
