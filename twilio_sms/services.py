"""Writes: send an SMS (queued, then handed to Twilio by a task), apply Twilio's status
callbacks and incoming messages, keep the opt-outs."""

from __future__ import annotations

import logging
from typing import Any

import phonenumbers
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from crm.models import Contact
from crm.services.messages import message_post
from integrations.errors import ConnectionNotActive, CredentialsRejected, IntegrationError

from . import selectors
from .client import MessageRefused, TwilioClient
from .models import STATUS_ORDER, SmsMessage, SmsOptOut
from .segments import MAX_CHARACTERS, segment_count

logger = logging.getLogger(__name__)

# Twilio's own opt-out and opt-in keywords (Advanced Opt-Out defaults).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "YES", "UNSTOP"}

INVALID_NUMBER = "Enter a valid phone number, like +12125551234 or 07700 900123."
EMPTY_MESSAGE = "Write a message first."
TOO_LONG = f"Keep the message to {MAX_CHARACTERS:,} characters or fewer."
OPTED_OUT = "This number replied STOP and has opted out of texts. It can text START to opt back in."
NOT_CONNECTED = "Connect Twilio first."


def phone_normalise(*, organisation: Organisation, text: str) -> str:
    """E.164 in the organisation's default country; a ValidationError when it is not one.

    A possible number (right length for its country) is enough: ranges set aside for
    fiction and new ranges the phone library does not know yet are still numbers, and
    Twilio answers for the rest (error 21211)."""
    try:
        number = phonenumbers.parse((text or "").strip(), organisation.country.upper())
    except phonenumbers.NumberParseException:
        raise ValidationError({"to": INVALID_NUMBER}) from None
    # A number that is dialable only locally (no area code) cannot receive a text.
    possible = phonenumbers.ValidationResult.IS_POSSIBLE
    if phonenumbers.is_possible_number_with_reason(number) != possible:
        raise ValidationError({"to": INVALID_NUMBER})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sms_send(
    *,
    organisation: Organisation,
    actor: AbstractBaseUser | None,
    to: str,
    body: str,
    status_callback: str,
    contact: Contact | None = None,
) -> SmsMessage:
    """Record the message as queued and hand it to Twilio once this commits. Raises a
    ValidationError naming the field when the number, the message or the recipient's
    opt-out refuses it."""
    connection = selectors.active_connection(organisation=organisation)
    if connection is None:
        raise ValidationError({"to": NOT_CONNECTED})
    errors: dict[str, str] = {}
    phone = ""
    try:
        phone = phone_normalise(organisation=organisation, text=to)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    text = body.strip()
    if not text:
        errors["body"] = EMPTY_MESSAGE
    elif len(text) > MAX_CHARACTERS:
        errors["body"] = TOO_LONG
    if phone and selectors.opted_out(organisation=organisation, phone=phone):
        errors["to"] = OPTED_OUT
    if errors:
        raise ValidationError(errors)
    if contact is not None and (
        contact.organisation_id != organisation.pk or contact.phone != phone
    ):
        contact = None
    if contact is None:
        contact = selectors.contact_for_phone(organisation=organisation, phone=phone)
    count = segment_count(text)
    with transaction.atomic():
        message = SmsMessage.objects.create(
            organisation=organisation,
            direction=SmsMessage.Direction.OUTBOUND,
            phone=phone,
            sender=connection.credentials.get("sender", ""),
            body=text,
            status="queued",
            segments=count.segments,
            encoding=count.encoding,
            contact=contact,
            customer_id=contact.customer_id if contact else None,
            sent_by=actor,
        )
        from .tasks import sms_deliver_task

        transaction.on_commit(lambda: sms_deliver_task.delay(message.pk, status_callback))
    return message


def sms_deliver(*, message_id: int, status_callback: str) -> None:
    """Hand a queued message to Twilio once. A refusal (an invalid or opted-out number)
    fails it with Twilio's code; a transient error is raised for the task to retry."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.sid or message.status != "queued":
            return
        connection = selectors.active_connection(organisation=message.organisation)
        if connection is None:
            _fail(message, "", "Twilio is not connected")
            return
        client = TwilioClient(connection.credentials)
        try:
            sent = client.message_create(
                to=message.phone,
                body=message.body,
                sender=connection.credentials.get("sender", ""),
                status_callback=status_callback,
            )
        except MessageRefused as refused:
            _fail(message, refused.code, str(refused))
            if refused.code == "21610":
                SmsOptOut.objects.get_or_create(
                    organisation=message.organisation, phone=message.phone
                )
            return
        except (CredentialsRejected, ConnectionNotActive) as error:
            _fail(message, "", str(error))
            return
        message.sid = sent.sid
        message.segments = sent.segments or message.segments
        if STATUS_ORDER.get(sent.status, 0) > STATUS_ORDER.get(message.status, 0):
            message.status = sent.status
        message.error_code = sent.error_code
        message.status_changed_at = timezone.now()
        message.save(update_fields=["sid", "segments", "status", "error_code", "status_changed_at"])


def _fail(message: SmsMessage, code: str, reason: str) -> None:
    logger.info("SMS %s refused: %s", message.pk, reason)
    message.status = "failed"
    message.error_code = code
    message.status_changed_at = timezone.now()
    message.save(update_fields=["status", "error_code", "status_changed_at"])


def sms_give_up(*, message_id: int) -> None:
    """The task ran out of retries: the message failed without reaching Twilio."""
    SmsMessage.objects.filter(pk=message_id, sid="", status="queued").update(
        status="failed", status_changed_at=timezone.now()
    )


def sms_status_apply(*, organisation: Organisation, sid: str, status: str, error_code: str) -> bool:
    """Move a message forward to `status`; never back (a late "sent" after "delivered" is
    ignored). False when the message is not ours."""
    if status not in STATUS_ORDER:
        return False
    with transaction.atomic():
        message = (
            SmsMessage.objects.for_org(organisation).select_for_update().filter(sid=sid).first()
        )
        if message is None:
            return False
        if STATUS_ORDER[status] <= STATUS_ORDER.get(message.status, 0) and not (
            status == message.status and error_code and not message.error_code
        ):
            return True
        message.status = status
        message.error_code = error_code or message.error_code
        message.status_changed_at = timezone.now()
        message.save(update_fields=["status", "error_code", "status_changed_at"])
        if error_code == "21610":
            SmsOptOut.objects.get_or_create(organisation=organisation, phone=message.phone)
    return True


def sms_receive(*, organisation: Organisation, payload: dict[str, Any]) -> SmsMessage:
    """Store an incoming text once (MessageSid), keep STOP / START, and copy it into the
    customer's message thread when the number is a contact's."""
    sid = str(payload.get("MessageSid") or payload.get("SmsSid") or "")
    phone = str(payload.get("From") or "")
    body = str(payload.get("Body") or "")
    existing = SmsMessage.objects.for_org(organisation).filter(sid=sid).first()
    if existing is not None:
        return existing
    contact = selectors.contact_for_phone(organisation=organisation, phone=phone)
    keyword = body.strip().upper()
    count = segment_count(body)
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(
                organisation=organisation,
                direction=SmsMessage.Direction.INBOUND,
                phone=phone,
                sender=str(payload.get("To") or ""),
                body=body,
                sid=sid,
                status="received",
                segments=int(payload.get("NumSegments") or count.segments or 1),
                encoding=count.encoding,
                contact=contact,
                customer_id=contact.customer_id if contact else None,
            )
            if keyword in STOP_WORDS:
                SmsOptOut.objects.get_or_create(organisation=organisation, phone=phone)
            elif keyword in START_WORDS:
                SmsOptOut.objects.for_org(organisation).filter(phone=phone).delete()
            if contact is not None and body.strip():
                message_post(customer=contact.customer, body=body, author_contact=contact)
    except IntegrityError:
        # The same message applied by another worker at the same time.
        return SmsMessage.objects.for_org(organisation).get(sid=sid)
    return message


def sms_mark_read(*, organisation: Organisation) -> int:
    return (
        SmsMessage.objects.for_org(organisation)
        .filter(direction=SmsMessage.Direction.INBOUND, read_at__isnull=True)
        .update(read_at=timezone.now())
    )


def credentials_check(*, values: dict[str, str]):
    """The Credentials kind's cheap call: fetch the account the values reach."""
    from integrations.registry import RemoteAccount

    sid = values.get("account_sid", "").strip()
    if not sid.startswith("AC") or len(sid) != 34:
        raise CredentialsRejected(
            "An Account SID starts with AC and is 34 characters long.", field="account_sid"
        )
    if bool(values.get("api_key_sid")) != bool(values.get("api_key_secret")):
        raise CredentialsRejected(
            "Enter both the API key SID and its secret, or neither.", field="api_key_sid"
        )
    sender = values.get("sender", "").strip()
    if not (sender.startswith("+") or sender.startswith("MG")):
        raise CredentialsRejected(
            "Enter the sender as a phone number in international form (+12125551234) or a "
            "Messaging Service SID (MG…).",
            field="sender",
        )
    try:
        account = TwilioClient(values).account_fetch()
    except IntegrationError as error:
        if getattr(error, "reason_code", "") in ("app_revoked", "not_found"):
            raise CredentialsRejected(
                "Twilio did not accept these credentials. Copy the Account SID and Auth Token "
                "again from the Twilio Console."
            ) from None
        raise
    return RemoteAccount(id=account.sid, name=account.name or account.sid)
