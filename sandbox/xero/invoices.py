"""/Invoices, reading: GET one (by InvoiceID or InvoiceNumber) or many (IDs, InvoiceNumbers,
ContactIDs, Statuses, where, order, If-Modified-Since, page, summaryOnly). Also the amounts
and status rules shared with payments and the sandbox page. Writes: invoice_writes.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from sandbox.models import XeroInvoice, XeroPayment

from . import contacts, dates, lines
from .common import (
    NOT_FOUND,
    ApiResult,
    Ctx,
    filter_where,
    modified_since,
    money,
    order_rows,
    paginate,
    parse_uuid,
)

Status = XeroInvoice.Status

NOT_FOR_MODIFICATION = "Invoice not of valid status for modification"
HAS_ALLOCATIONS = (
    "This document cannot be edited as it has a payment or credit note allocated to it."
)

# --- reading -------------------------------------------------------------------------------


def payment_summaries(invoice: XeroInvoice) -> list[dict[str, Any]]:
    return [
        {
            "PaymentID": str(p.payment_id),
            "Date": dates.ms_date(p.date),
            "Amount": money(p.amount),
            "Reference": p.reference,
            "CurrencyRate": invoice.currency_rate,
            "HasAccount": False,
            "HasValidationErrors": False,
        }
        for p in invoice.payments.all()
        if p.status == XeroPayment.Status.AUTHORISED
    ]


def serialize(
    invoice: XeroInvoice, *, unitdp: int = 2, with_lines: bool = True, summary: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Type": invoice.type,
        "InvoiceID": str(invoice.invoice_id),
        "InvoiceNumber": invoice.invoice_number,
        "Reference": invoice.reference,
    }
    if not summary:
        data.update(
            Payments=payment_summaries(invoice),
            CreditNotes=[],
            Prepayments=[],
            Overpayments=[],
        )
    data.update(
        AmountDue=money(invoice.amount_due),
        AmountPaid=money(invoice.amount_paid),
        AmountCredited=money(Decimal(0)),
        SentToContact=invoice.sent_to_contact,
        CurrencyRate=invoice.currency_rate,
        IsDiscounted=any(
            "DiscountRate" in li or "DiscountAmount" in li for li in invoice.line_items
        ),
        HasAttachments=False,
        HasErrors=False,
        Contact=contacts.brief(invoice.contact),
        DateString=dates.date_string(invoice.date),
        Date=dates.ms_date(invoice.date),
    )
    if invoice.due_date:
        data.update(
            DueDateString=dates.date_string(invoice.due_date),
            DueDate=dates.ms_date(invoice.due_date),
        )
    data.update(Status=invoice.status, LineAmountTypes=invoice.line_amount_types)
    if not summary:
        data["LineItems"] = (
            [lines.serialize(li, unitdp) for li in invoice.line_items] if with_lines else []
        )
    data.update(
        SubTotal=money(invoice.sub_total),
        TotalTax=money(invoice.total_tax),
        Total=money(invoice.total),
        UpdatedDateUTC=dates.ms_datetime(invoice.updated_utc),
        UpdatedDateUTCString=dates.utc_string(invoice.updated_utc),
        CurrencyCode=invoice.currency_code,
    )
    if invoice.fully_paid_on:
        data["FullyPaidOnDate"] = dates.ms_date(invoice.fully_paid_on)
    if invoice.url:
        data["Url"] = invoice.url
    return data


def record(invoice: XeroInvoice) -> dict[str, Any]:
    """The fields a `where` filter can use."""
    return {
        "InvoiceID": str(invoice.invoice_id),
        "Type": invoice.type,
        "Status": invoice.status,
        "InvoiceNumber": invoice.invoice_number,
        "Reference": invoice.reference,
        "Contact.ContactID": str(invoice.contact.contact_id),
        "Contact.Name": invoice.contact.name,
        "Contact.ContactNumber": invoice.contact.contact_number,
        "Date": invoice.date,
        "DueDate": invoice.due_date,
        "UpdatedDateUTC": invoice.updated_utc,
        "FullyPaidOnDate": invoice.fully_paid_on,
        "CurrencyCode": invoice.currency_code,
        "SubTotal": invoice.sub_total,
        "TotalTax": invoice.total_tax,
        "Total": invoice.total,
        "AmountDue": invoice.amount_due,
        "AmountPaid": invoice.amount_paid,
    }


def queryset(ctx: Ctx):
    return (
        XeroInvoice.objects.filter(tenant=ctx.tenant)
        .select_related("contact")
        .prefetch_related("payments")
    )


def find(ctx: Ctx, ident: str) -> XeroInvoice | None:
    invoice_id = parse_uuid(ident)
    if invoice_id is not None:
        return queryset(ctx).filter(invoice_id=invoice_id).first()
    return queryset(ctx).filter(invoice_number=ident).order_by("-type").first()


def get(ctx: Ctx) -> ApiResult:
    if ctx.ident:
        invoice = find(ctx, ctx.ident)
        if invoice is None:
            return NOT_FOUND
        return ApiResult(200, ctx.envelope("Invoices", [serialize(invoice, unitdp=ctx.unitdp)]))
    rows: list | ApiResult = list(modified_since(ctx, queryset(ctx)))
    if ids := {parse_uuid(i) for i in ctx.csv("IDs")}:
        rows = [i for i in rows if i.invoice_id in ids]
    if numbers := set(ctx.csv("InvoiceNumbers")):
        rows = [i for i in rows if i.invoice_number in numbers]
    if contact_ids := {parse_uuid(i) for i in ctx.csv("ContactIDs")}:
        rows = [i for i in rows if i.contact.contact_id in contact_ids]
    if statuses := {s.upper() for s in ctx.csv("Statuses")}:
        rows = [i for i in rows if i.status in statuses]
    if ctx.flag("createdByMyApp"):
        rows = [i for i in rows if i.created_by_app_id == ctx.app.pk]
    if term := ctx.param("searchTerm").lower():
        rows = [i for i in rows if term in i.invoice_number.lower() or term in i.reference.lower()]
    rows = filter_where(ctx, rows, record)
    if isinstance(rows, ApiResult):
        return rows
    rows = order_rows(ctx, rows, record)
    if isinstance(rows, ApiResult):
        return rows
    page, pagination = paginate(ctx, rows)
    # Line items come back only when paging (or for a single invoice).
    items = [
        serialize(
            i, unitdp=ctx.unitdp, with_lines=pagination is not None, summary=ctx.flag("summaryOnly")
        )
        for i in page
    ]
    return ApiResult(200, ctx.envelope("Invoices", items, pagination))


# --- amounts and status, shared with payments and the sandbox page ------------------------------


def refresh_amounts(invoice: XeroInvoice) -> None:
    """AmountPaid/AmountDue from the payments; AUTHORISED <-> PAID follows. Saves."""
    live = invoice.payments.filter(status=XeroPayment.Status.AUTHORISED)
    paid = money(live.aggregate(total=Sum("amount"))["total"] or Decimal(0))
    invoice.amount_paid = paid
    if invoice.status in (Status.VOIDED, Status.DELETED):
        invoice.amount_due = money(Decimal(0))
    else:
        invoice.amount_due = money(invoice.total - paid)
    if invoice.status == Status.AUTHORISED and paid > 0 and invoice.amount_due <= 0:
        invoice.status = Status.PAID
        invoice.fully_paid_on = live.order_by("-date").values_list("date", flat=True).first()
    elif invoice.status == Status.PAID and invoice.amount_due > 0:
        invoice.status = Status.AUTHORISED
        invoice.fully_paid_on = None
    invoice.updated_utc = dates.now()
    invoice.save()


def void_error(invoice: XeroInvoice) -> str:
    """Why the invoice cannot be voided now ("" when it can)."""
    if invoice.payments.filter(status=XeroPayment.Status.AUTHORISED).exists():
        return HAS_ALLOCATIONS
    if invoice.status != Status.AUTHORISED:
        return NOT_FOR_MODIFICATION
    return ""


def void(invoice: XeroInvoice) -> None:
    invoice.status = Status.VOIDED
    refresh_amounts(invoice)
