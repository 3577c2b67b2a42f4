"""Torqueflow → Xero: payments recorded here (by hand, through GoHighLevel, later Stripe)
created in Xero against the invoice, once, and deleted there when soft-deleted here.

Off by default: the product's payments are one-way (Xero → Torqueflow) until an owner turns
on "Send payments recorded in Torqueflow to Xero". From then on, payments recorded while it
is on go; earlier ones are not sent, so a payment someone already keyed into Xero by hand is
not doubled.

Each local payment sent keeps a SyncRecord of its own on the connection (always in the
synced state, never claimed by the hub) holding Xero's PaymentID: that is what makes the
create happen once, lets a deletion here find the payment there, and keeps the webhook and
the reconciler from recording our own payment again as a "Xero Sync" one. The work rides on
the invoice's push (push.py), so rate limits, retries and the invoice's badge apply.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.errors import (
    IntegrationError,
    RemoteNotFound,
    RemoteTimeout,
    ValidationFailed,
)
from integrations.models import Connection, SyncRecord
from integrations.services.activity import activity_record
from integrations.services.records import sync_record_write
from integrations.services.sync import enqueue_push
from invoicing.models import Invoice, Payment
from invoicing.services.audit import audit_record
from torqueflow.formatting import money

from . import mapping
from .client import Account, PaymentResult, XeroClient
from .inbound import PAYMENT_SOURCE, epoch_ms

logger = logging.getLogger(__name__)

TOGGLE = "send_payments"
TOGGLE_LABEL = "Send payments recorded in Torqueflow to Xero"
# When the toggle was last turned on: payments recorded from then on are sent.
SINCE = "send_payments_since"
# The account payments go to in Xero: {"id": AccountID, "code": Code, "name": Name}.
ACCOUNT = "payments_account"

NO_ACCOUNT = "Choose the account payments go to on the Xero page"
NO_ACCOUNT_REASON = "payments_account_missing"
REFUSED_REASON = "payment_refused"
PAYMENT_REASONS = (NO_ACCOUNT_REASON, REFUSED_REASON)
NOT_SENT_HINT = "Payments recorded in Torqueflow are not sent to Xero."
ALREADY_DELETED = "already been deleted"
# Payments Xero made (recorded here under "Xero Sync") are never sent back.
XERO_SOURCE = PAYMENT_SOURCE.key


# --- settings -------------------------------------------------------------------------------


def sending(connection: Connection) -> bool:
    return bool(connection.settings.get(TOGGLE, False))


def since(connection: Connection) -> datetime.datetime | None:
    value = connection.settings.get(SINCE)
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def chosen_account(connection: Connection) -> dict[str, str] | None:
    value = connection.settings.get(ACCOUNT)
    if isinstance(value, dict) and value.get("id"):
        return value
    return None


def toggle_changed(*, connection: Connection, value: bool, previous: bool) -> None:
    """Turning the toggle on starts the clock: only payments recorded from now are sent."""
    if value and not previous:
        connection.settings[SINCE] = timezone.now().isoformat()


def account_label(account: dict[str, str] | Account) -> str:
    code = account["code"] if isinstance(account, dict) else account.code
    name = account["name"] if isinstance(account, dict) else account.name
    return f"{code} {name}".strip() if code else name


def payment_accounts(client: XeroClient) -> list[Account]:
    """The accounts Xero takes payments into: BANK ones and those with payments enabled."""
    return [a for a in client.get_accounts() if a.account_id and a.takes_payments]


@transaction.atomic
def payments_account_set(*, connection: Connection, account: Account, actor) -> Connection:
    """Save the account payments go to, and send what waited for it."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if not connection.is_active:
        raise ValidationError("Connect Xero before choosing the account payments go to.")
    if not account.takes_payments:
        raise ValidationError("Choose an account that takes payments.")
    previous = chosen_account(connection)
    connection.settings[ACCOUNT] = {
        "id": account.account_id,
        "code": account.code,
        "name": account.name,
    }
    connection.save(update_fields=["settings"])
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action="xero.payments_account_changed",
        obj=connection,
        details={
            "account": account_label(account),
            "previous": account_label(previous) if previous else "",
        },
    )
    waiting = SyncRecord.objects.filter(
        connection=connection,
        state=SyncRecord.State.FAILED,
        reason_code=NO_ACCOUNT_REASON,
    ).update(
        state=SyncRecord.State.PENDING,
        attempts=0,
        queued_at=timezone.now(),
        next_attempt_at=None,
        reason_code="",
        reason_text="",
    )
    if waiting:
        enqueue_push(connection.pk)
    return connection


# --- what is due ----------------------------------------------------------------------------


@dataclass
class Work:
    """What one invoice owes Xero: payments to create, and sent ones to delete."""

    creates: list[Payment] = field(default_factory=list)
    deletes: list[tuple[Payment, SyncRecord]] = field(default_factory=list)
    records: dict[int, SyncRecord] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.creates or self.deletes)


def payment_records(connection: Connection, payment_ids: list[int]) -> dict[int, SyncRecord]:
    """The records of these local payments on this connection (one query)."""
    if not payment_ids:
        return {}
    return {
        r.object_id: r
        for r in SyncRecord.objects.filter(
            connection=connection,
            object_type=ContentType.objects.get_for_model(Payment),
            object_id__in=payment_ids,
        )
    }


def work_for(connection: Connection, invoice_ids: list[int]) -> dict[int, Work]:
    """What each invoice owes Xero (two queries, however many invoices). Nothing while the
    toggle is off."""
    if not invoice_ids or not sending(connection):
        return {}
    start = since(connection)
    payments = list(
        Payment.objects.filter(
            organisation_id=connection.organisation_id, invoice_id__in=invoice_ids
        )
        .exclude(source=XERO_SOURCE)
        .select_related("method")
        .order_by("pk")
    )
    records = payment_records(connection, [p.pk for p in payments])
    work: dict[int, Work] = {}
    for payment in payments:
        record = records.get(payment.pk)
        sent = record is not None and bool(record.external_id)
        owed = work.setdefault(payment.invoice_id, Work())
        if record is not None:
            owed.records[payment.pk] = record
        if payment.is_deleted:
            if sent and not record.details.get("deleted_in_xero"):
                owed.deletes.append((payment, record))
            elif record is not None and not sent and record.details.get("maybe_created"):
                owed.deletes.append((payment, record))  # perhaps in Xero: looked up first
        elif not sent and (
            record is not None  # on its way already (waiting for an account, refused, lost)
            or (start is not None and payment.created_at >= start)
        ):
            owed.creates.append(payment)
    return {invoice_id: owed for invoice_id, owed in work.items() if owed}


def owes(connection: Connection, invoice: Invoice) -> bool:
    return bool(work_for(connection, [invoice.pk]))


# --- sending --------------------------------------------------------------------------------


def payment_payload(payment: Payment, *, invoice_id: str, account: dict[str, str]) -> dict:
    return {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"AccountID": account["id"]},
        "Date": payment.date.isoformat(),
        "Amount": mapping.money_number(payment.amount),
        "Reference": (payment.reference or payment.method.name)[:255],
    }


def _describe(payment: Payment, invoice: Invoice) -> str:
    return f"Payment of {money(payment.amount, invoice.currency)}"


class Sender:
    """Sends one invoice's owed payments. `spend` takes a slot of the connection's rate limit
    before each call. Raises ValidationFailed (the user must act) or a transient error; what
    was done before the error is kept."""

    def __init__(self, *, connection: Connection, client: XeroClient, spend) -> None:
        self.connection = connection
        self.client = client
        self.spend = spend

    def send(self, *, invoice: Invoice, invoice_id: str, work: Work) -> None:
        # Deletions first: they need no account, and they make room on the invoice.
        self._deletes(invoice, invoice_id, work)
        if work.creates and chosen_account(self.connection) is None:
            raise ValidationFailed(NO_ACCOUNT, reason_code=NO_ACCOUNT_REASON)
        for payment in work.creates:
            self._create(invoice, invoice_id, payment, work.records.get(payment.pk))

    # --- records --------------------------------------------------------------------------

    def _record(self, payment: Payment, record: SyncRecord | None) -> SyncRecord:
        if record is not None:
            return record
        record, _ = SyncRecord.objects.get_or_create(
            connection=self.connection,
            object_type=ContentType.objects.get_for_model(Payment),
            object_id=payment.pk,
            defaults={
                "organisation_id": self.connection.organisation_id,
                "state": SyncRecord.State.SYNCED,
                "label": f"Payment {payment.pk}",
            },
        )
        return record

    def _log(self, invoice: Invoice, message: str, *, result: str = "ok", **details: Any) -> None:
        activity_record(
            connection=self.connection,
            action="payment_out",
            result=result,
            subject=invoice.number,
            message=message,
            details=details,
        )

    # --- create ---------------------------------------------------------------------------

    def _create(
        self, invoice: Invoice, invoice_id: str, payment: Payment, record: SyncRecord | None
    ) -> None:
        record = self._record(payment, record)
        account = chosen_account(self.connection)
        payload = payment_payload(payment, invoice_id=invoice_id, account=account)
        round_ = int(record.details.get("key_round") or 0)
        if record.details.get("maybe_created"):
            found = self._look_up(invoice_id, payment)
            if found:
                self._created(invoice, payment, record, found, None)
                return
        # One key per local payment and round: a request whose answer was lost is resent with
        # the same key (and the same body), so Xero answers it from the first one.
        key = mapping.batch_key("payment", self.connection.pk, [(payment.pk, round_)], payload)
        sync_record_write(record, data={"maybe_created": True})
        self.spend()
        try:
            result = self.client.create_payment(payload, idempotency_key=key)
        except RemoteTimeout:
            raise  # unknown: the retry looks it up first, with this same key
        except ValidationFailed as error:
            sync_record_write(record, data={"maybe_created": False, "key_round": round_ + 1})
            raise self._refused(invoice, payment, str(error)) from error
        except IntegrationError:
            # Refused before any work (429, 401, 403) or a 5xx: the same request goes again.
            raise
        if not result.ok:
            sync_record_write(record, data={"maybe_created": False, "key_round": round_ + 1})
            raise self._refused(invoice, payment, "; ".join(result.errors))
        self._created(invoice, payment, record, result.payment_id, result)

    def _look_up(self, invoice_id: str, payment: Payment) -> str:
        """An earlier attempt's answer was lost: is the payment in Xero after all? One of the
        invoice's payments with the same amount, date and reference that no other local
        payment holds."""
        self.spend()
        state = self.client.get_invoice(invoice_id)
        if state is None or not state.payments:
            return ""
        held = set(
            SyncRecord.objects.filter(
                connection=self.connection,
                object_type=ContentType.objects.get_for_model(Payment),
            )
            .exclude(external_id="")
            .values_list("external_id", flat=True)
        ) | set(
            Payment.objects.filter(invoice_id=payment.invoice_id, source=XERO_SOURCE)
            .exclude(external_id="")
            .values_list("external_id", flat=True)
        )
        reference = (payment.reference or payment.method.name)[:255]
        for remote in state.payments:
            if (
                remote.live
                and remote.payment_id not in held
                and remote.amount == Decimal(payment.amount)
                and (remote.date is None or remote.date == payment.date)
                and remote.reference == reference
            ):
                return remote.payment_id
        return ""

    def _created(
        self,
        invoice: Invoice,
        payment: Payment,
        record: SyncRecord,
        payment_id: str,
        result: PaymentResult | None,
    ) -> None:
        data: dict[str, Any] = {"maybe_created": False, "invoice_id": invoice.pk}
        updated = epoch_ms(result.updated_utc) if result is not None else None
        if updated is not None:
            data["xero_updated_ms"] = updated
        sync_record_write(
            record,
            fields={"external_id": payment_id, "last_synced_at": timezone.now()},
            data=data,
        )
        self._log(
            invoice,
            f"{_describe(payment, invoice)} sent to Xero",
            payment_id=payment_id,
            local_payment=payment.pk,
        )

    def _refused(self, invoice: Invoice, payment: Payment, message: str) -> ValidationFailed:
        text = f"{_describe(payment, invoice)} not sent to Xero: {message or 'refused'}"
        self._log(invoice, text, result="failed", local_payment=payment.pk)
        return ValidationFailed(text[:500], reason_code=REFUSED_REASON)

    # --- delete ---------------------------------------------------------------------------

    def _deletes(self, invoice: Invoice, invoice_id: str, work: Work) -> None:
        for payment, record in work.deletes:
            payment_id = record.external_id
            if not payment_id:
                payment_id = self._look_up(invoice_id, payment)
                if not payment_id:
                    # Never got into Xero: nothing to delete there.
                    sync_record_write(record, data={"maybe_created": False})
                    continue
                sync_record_write(record, fields={"external_id": payment_id})
            self._delete(invoice, payment, record, payment_id)

    def _delete(self, invoice: Invoice, payment: Payment, record: SyncRecord, payment_id: str):
        round_ = int(record.details.get("delete_round") or 0)
        key = mapping.batch_key(
            "payment-delete", self.connection.pk, [(payment.pk, round_)], {"id": payment_id}
        )
        self.spend()
        try:
            result = self.client.delete_payment(payment_id, idempotency_key=key)
        except RemoteNotFound:
            result = None  # gone from Xero already
        except ValidationFailed as error:
            if ALREADY_DELETED not in str(error):
                sync_record_write(record, data={"delete_round": round_ + 1})
                raise self._refused_delete(invoice, payment, str(error)) from error
            result = None
        refused = result is not None and not result.ok
        if refused and not any(ALREADY_DELETED in m for m in result.errors):
            sync_record_write(record, data={"delete_round": round_ + 1})
            raise self._refused_delete(invoice, payment, "; ".join(result.errors))
        sync_record_write(
            record, fields={"last_synced_at": timezone.now()}, data={"deleted_in_xero": True}
        )
        self._log(
            invoice,
            f"{_describe(payment, invoice)} deleted in Xero",
            payment_id=payment_id,
            local_payment=payment.pk,
        )

    def _refused_delete(self, invoice: Invoice, payment: Payment, message: str):
        text = f"{_describe(payment, invoice)} not deleted in Xero: {message or 'refused'}"
        self._log(invoice, text, result="failed", local_payment=payment.pk)
        return ValidationFailed(text[:500], reason_code=REFUSED_REASON)
