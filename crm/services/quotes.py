"""Writes to quotes: create and edit with lines priced like an invoice's, send, accept,
decline, expire when a sent quote passes its expiry date, and convert an accepted quote into
a draft invoice (once)."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from crm import events
from crm.locks import quote_lock, quote_sequence_lock
from crm.models import Contact, Project, Quote, QuoteLine
from crm.org_time import organisation_today
from invoicing.models import Customer, Invoice, WorkOrder
from invoicing.money import ZERO, lines_priced, too_large
from invoicing.services.audit import audit_record
from invoicing.services.invoices import InvoiceInput, LineInput, invoice_create

NUMBER_PREFIX = "QU"
# A converted quote's invoice is due this many days after it is raised, like a new invoice.
INVOICE_DUE_DAYS = 30


@dataclass(frozen=True)
class QuoteInput:
    customer: Customer
    issue_date: datetime.date
    expiry_date: datetime.date
    currency: str
    lines: Sequence[LineInput]
    contact: Contact | None = None
    project: Project | None = None
    notes: str = ""


def _next_number(*, organisation: Organisation) -> str:
    sequence = quote_sequence_lock(organisation_id=organisation.pk)
    while True:
        number = f"{NUMBER_PREFIX}-{sequence.next_value:04d}"
        sequence.next_value += 1
        if not Quote.objects.filter(organisation=organisation, number=number).exists():
            break
    sequence.save(update_fields=["next_value"])
    return number


def _validate(*, organisation: Organisation, data: QuoteInput) -> None:
    errors: dict[str, str] = {}
    if data.customer is None or data.customer.organisation_id != organisation.pk:
        errors["customer"] = "Choose a customer."
    customer_id = getattr(data.customer, "pk", None)
    if data.contact is not None and data.contact.customer_id != customer_id:
        errors["contact"] = "The contact must be one of the customer's."
    if data.project is not None and data.project.customer_id != customer_id:
        errors["project"] = "The project must be the customer's."
    if data.expiry_date < data.issue_date:
        errors["expiry_date"] = "The expiry date cannot be before the issue date."
    if len(data.currency) != 3 or not data.currency.isalpha():
        errors["currency"] = "Use a three-letter currency code, such as GBP."
    for line in data.lines:
        if line.nominal_code is not None and line.nominal_code.organisation_id != organisation.pk:
            errors["lines"] = "A line uses a nominal code from another organisation."
    if too_large(data.lines):
        errors["lines"] = "The amounts are too large for one quote."
    if errors:
        raise ValidationError(errors)


def _write(*, quote: Quote, data: QuoteInput) -> None:
    quote.customer, quote.contact, quote.project = data.customer, data.contact, data.project
    quote.issue_date, quote.expiry_date = data.issue_date, data.expiry_date
    quote.currency, quote.notes = data.currency.upper(), data.notes
    if quote.pk is None:
        quote.save()
    quote.lines.all().delete()
    amounts, summed = lines_priced(data.lines)
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            nominal_code=line.nominal_code,
            line_amount=priced.net,
            tax_amount=priced.tax,
        )
        for position, (line, priced) in enumerate(zip(data.lines, amounts, strict=True))
    )
    quote.subtotal, quote.tax_total, quote.total = summed.subtotal, summed.tax, summed.total
    quote.save()


@transaction.atomic
def quote_create(
    *, organisation: Organisation, actor: AbstractBaseUser | None, data: QuoteInput
) -> Quote:
    """A draft quote with its lines."""
    _validate(organisation=organisation, data=data)
    quote = Quote(organisation=organisation, number=_next_number(organisation=organisation))
    _write(quote=quote, data=data)
    audit_record(
        organisation=organisation,
        actor=actor,
        action="quote.created",
        obj=quote,
        details={"total": str(quote.total), "currency": quote.currency},
    )
    return quote


@transaction.atomic
def quote_update(*, quote: Quote, actor: AbstractBaseUser | None, data: QuoteInput) -> Quote:
    """Edit a draft or sent quote; an answered or expired one is kept as it was."""
    quote = quote_lock(quote_id=quote.pk)
    if not quote.is_editable:
        raise ValidationError("Only draft and sent quotes can be edited.")
    _validate(organisation=quote.organisation, data=data)
    _write(quote=quote, data=data)
    audit_record(
        organisation=quote.organisation,
        actor=actor,
        action="quote.updated",
        obj=quote,
        details={"total": str(quote.total)},
    )
    return quote


def _expire_if_due(quote: Quote) -> bool:
    """Call with the quote locked."""
    if quote.status != Quote.Status.SENT:
        return False
    if quote.expiry_date >= organisation_today(quote.organisation):
        return False
    quote.status = Quote.Status.EXPIRED
    quote.save(update_fields=["status", "updated_at"])
    audit_record(
        organisation=quote.organisation,
        actor=None,
        action="quote.expired",
        obj=quote,
        details={"expiry_date": quote.expiry_date.isoformat()},
    )
    return True


@transaction.atomic
def quote_expire_if_due(*, quote: Quote) -> Quote:
    """A sent quote past its expiry date (in the organisation's time zone) becomes Expired."""
    if quote.status != Quote.Status.SENT or quote.expiry_date >= organisation_today(
        quote.organisation
    ):
        return quote
    quote = quote_lock(quote_id=quote.pk)
    _expire_if_due(quote)
    return quote


def quotes_expire_due() -> int:
    """Expire every sent quote past its expiry date, each in its own transaction; the
    number expired."""
    # A day's margin covers every time zone; each quote is then judged by its own.
    cutoff = timezone.now().date() + datetime.timedelta(days=1)
    candidates = Quote.objects.filter(status=Quote.Status.SENT, expiry_date__lt=cutoff).values_list(
        "pk", flat=True
    )
    expired = 0
    for pk in list(candidates):
        with transaction.atomic():
            expired += _expire_if_due(quote_lock(quote_id=pk))
    return expired


def _transition(
    *, quote: Quote, actor: AbstractBaseUser | None, to: str, allowed_from: tuple[str, ...]
) -> Quote:
    """Call inside a transaction."""
    quote = quote_lock(quote_id=quote.pk)
    _expire_if_due(quote)
    if quote.status == to:
        return quote
    if quote.status not in allowed_from:
        raise ValidationError(
            f"A quote that is {quote.get_status_display().lower()} cannot be marked "
            f"{Quote.Status(to).label.lower()}."
        )
    quote.status = to
    stamp = {Quote.Status.SENT: "sent_at", Quote.Status.ACCEPTED: "accepted_at"}.get(
        to, "declined_at"
    )
    setattr(quote, stamp, timezone.now())
    quote.save(update_fields=["status", stamp, "updated_at"])
    audit_record(organisation=quote.organisation, actor=actor, action=f"quote.{to}", obj=quote)
    return quote


# The answers below first settle a due expiry in a transaction of its own, so that refusing
# to accept an expired quote does not also roll back its becoming Expired.


def quote_mark_sent(*, quote: Quote, actor: AbstractBaseUser | None) -> Quote:
    with transaction.atomic():
        quote = quote_lock(quote_id=quote.pk)
        if not quote.lines.exists() or quote.total <= ZERO:
            raise ValidationError("Add at least one line, for more than zero, before sending.")
        return _transition(
            quote=quote, actor=actor, to=Quote.Status.SENT, allowed_from=(Quote.Status.DRAFT,)
        )


def quote_mark_accepted(*, quote: Quote, actor: AbstractBaseUser | None) -> Quote:
    """The customer said yes (by phone or email now; the client portal will call this too).
    Announces quote.accepted."""
    quote = quote_expire_if_due(quote=quote)
    with transaction.atomic():
        before = quote_lock(quote_id=quote.pk).status
        quote = _transition(
            quote=quote,
            actor=actor,
            to=Quote.Status.ACCEPTED,
            allowed_from=(Quote.Status.DRAFT, Quote.Status.SENT),
        )
        if before != Quote.Status.ACCEPTED:
            events.announce(events.QUOTE_ACCEPTED, quote)
        return quote


def quote_mark_declined(*, quote: Quote, actor: AbstractBaseUser | None) -> Quote:
    quote = quote_expire_if_due(quote=quote)
    with transaction.atomic():
        return _transition(
            quote=quote,
            actor=actor,
            to=Quote.Status.DECLINED,
            allowed_from=(Quote.Status.DRAFT, Quote.Status.SENT),
        )


@transaction.atomic
def quote_convert(*, quote: Quote, actor: AbstractBaseUser | None) -> tuple[Invoice, bool]:
    """An accepted quote becomes a draft sales invoice with the same lines, under a work order
    titled after the quote (and linked to the quote's project). Once only: a second call
    returns the invoice already made. Returns (invoice, created)."""
    quote = quote_lock(quote_id=quote.pk)
    if quote.invoice_id is not None:
        return quote.invoice, False
    if quote.status != Quote.Status.ACCEPTED:
        raise ValidationError("Only an accepted quote can be converted into an invoice.")
    organisation = quote.organisation
    work_order = quote.work_order or WorkOrder.objects.create(
        organisation=organisation, customer=quote.customer, title=f"Quote {quote.number}"
    )
    today = organisation_today(organisation)
    lines = [
        LineInput(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            nominal_code=line.nominal_code,
        )
        for line in quote.lines.select_related("nominal_code")
    ]
    invoice = invoice_create(
        organisation=organisation,
        actor=actor,
        kind=Invoice.Kind.SALES,
        data=InvoiceInput(
            issue_date=today,
            due_date=today + datetime.timedelta(days=INVOICE_DUE_DAYS),
            currency=quote.currency,
            lines=lines,
            customer=quote.customer,
            work_order=work_order,
            reference=quote.number,
        ),
    )
    if quote.project_id is not None:
        quote.project.invoices.add(invoice)
    quote.work_order, quote.invoice = work_order, invoice
    quote.save(update_fields=["work_order", "invoice", "updated_at"])
    audit_record(
        organisation=organisation,
        actor=actor,
        action="quote.converted",
        obj=quote,
        details={"invoice": invoice.number, "work_order": work_order.pk},
    )
    return invoice, True
