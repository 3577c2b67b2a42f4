"""/Invoices, writing: PUT (create) and POST (create or update, also /Invoices/{InvoiceID}),
many invoices per call, each validated the way Xero does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.models import XeroAccount, XeroInvoice, XeroPayment

from . import contacts, dates, lines
from .common import ZERO_ID, ApiResult, Ctx, Outcome, parse_items, parse_uuid, run_batch
from .constants import CURRENCIES
from .invoices import (
    HAS_ALLOCATIONS,
    NOT_FOR_MODIFICATION,
    find,
    queryset,
    refresh_amounts,
    serialize,
)

Status = XeroInvoice.Status

TYPE_REQUIRED = "Invoice Type must be specified as ACCREC or ACCPAY."
CONTACT_REQUIRED = "A Contact must be specified for this type of transaction"
LINES_REQUIRED = "At least one line item must be specified."
DUE_DATE_REQUIRED = "Due Date must be specified for an invoice that is SUBMITTED or AUTHORISED."
ACCOUNT_REQUIRED = "Account code must be specified for every line of an approved invoice."
NUMBER_TAKEN = "Invoice # must be unique."
NOT_FOR_CREATION = "Invoice not of valid status for creation"
BAD_LINE_AMOUNT_TYPES = "LineAmountTypes must be Exclusive, Inclusive or NoTax."
BAD_DATE = "The {field} '{value}' is not a valid date."
BAD_CURRENCY = "Organisation is not subscribed to currency {code}"

CREATABLE = {Status.DRAFT, Status.SUBMITTED, Status.AUTHORISED}
TRANSITIONS = {
    Status.DRAFT: {Status.DRAFT, Status.SUBMITTED, Status.AUTHORISED, Status.DELETED},
    Status.SUBMITTED: {Status.SUBMITTED, Status.DRAFT, Status.AUTHORISED, Status.DELETED},
    Status.AUTHORISED: {Status.AUTHORISED, Status.VOIDED},
    Status.PAID: {Status.PAID},
    Status.VOIDED: {Status.VOIDED},
    Status.DELETED: {Status.DELETED},
}
CONTENT_FIELDS = ("Contact", "LineItems", "Date", "DueDate", "LineAmountTypes", "CurrencyCode")


def _accounts(ctx: Ctx) -> dict[str, XeroAccount]:
    return {a.code: a for a in XeroAccount.objects.filter(tenant=ctx.tenant)}


def _echo(data: dict[str, Any], invoice: XeroInvoice | None) -> dict[str, Any]:
    element: dict[str, Any] = {"Type": data.get("Type") or (invoice.type if invoice else None)}
    element["InvoiceID"] = str(invoice.invoice_id) if invoice else ZERO_ID
    element.update({k: v for k, v in data.items() if k not in ("Type", "InvoiceID")})
    return element


def _number_taken(ctx: Ctx, number: str, invoice: XeroInvoice | None) -> bool:
    clash = XeroInvoice.objects.filter(tenant=ctx.tenant, type="ACCREC", invoice_number=number)
    if invoice is not None and invoice.pk:
        clash = clash.exclude(pk=invoice.pk)
    return clash.exists()


def _next_number(ctx: Ctx) -> str:
    taken = set(
        XeroInvoice.objects.filter(tenant=ctx.tenant, type="ACCREC").values_list(
            "invoice_number", flat=True
        )
    )
    n = XeroInvoice.objects.filter(tenant=ctx.tenant, type="ACCREC").count() + 1
    while f"INV-{n:04d}" in taken:
        n += 1
    return f"INV-{n:04d}"


def _apply(ctx: Ctx, invoice: XeroInvoice, data: dict[str, Any], *, creating: bool) -> list[str]:
    """Validate `data` and copy it onto `invoice` (unsaved); the messages for what is wrong."""
    errors: list[str] = []
    if creating:
        invoice_type = str(data.get("Type") or "").upper()
        if invoice_type not in XeroInvoice.Type.values:
            errors.append(TYPE_REQUIRED)
        invoice.type = invoice_type
    if creating or "Contact" in data:
        contact, problem = contacts.for_invoice(ctx, data.get("Contact"))
        if contact is None:
            errors.append(problem or CONTACT_REQUIRED)
        else:
            invoice.contact = contact
    for key, attr in (("Date", "date"), ("DueDate", "due_date")):
        if key in data:
            try:
                setattr(invoice, attr, dates.parse_date(data[key]))
            except ValueError:
                errors.append(BAD_DATE.format(field=key, value=data[key]))
    if invoice.date is None:
        invoice.date = dates.today()
    if "LineAmountTypes" in data or creating:
        raw = str(data.get("LineAmountTypes") or "Exclusive")
        if raw.lower() not in lines.LINE_AMOUNT_TYPES:
            errors.append(BAD_LINE_AMOUNT_TYPES)
        invoice.line_amount_types = lines.LINE_AMOUNT_TYPES.get(raw.lower(), "Exclusive")
    if "CurrencyCode" in data or creating:
        code = str(data.get("CurrencyCode") or ctx.tenant.base_currency).upper()
        if code not in CURRENCIES:
            errors.append(BAD_CURRENCY.format(code=code))
        invoice.currency_code = code
        rate = data.get("CurrencyRate")
        invoice.currency_rate = Decimal(str(rate)) if rate else CURRENCIES.get(code, Decimal(1))
    for key, attr in (("Reference", "reference"), ("Url", "url")):
        if key in data:
            setattr(invoice, attr, str(data[key] or "")[: 255 if key == "Reference" else 2000])
    if "SentToContact" in data:
        invoice.sent_to_contact = bool(data["SentToContact"])
    if "LineItems" in data or creating:
        raw_lines = data.get("LineItems")
        if not isinstance(raw_lines, list) or not raw_lines:
            errors.append(LINES_REQUIRED)
            raw_lines = []
        computed = lines.compute(
            raw_lines,
            invoice_type=invoice.type,
            line_amount_types=invoice.line_amount_types,
            accounts=_accounts(ctx),
            unitdp=ctx.unitdp,
        )
        errors.extend(computed.errors)
        invoice.line_items = computed.lines
        invoice.sub_total, invoice.total_tax = computed.sub_total, computed.total_tax
        invoice.total = computed.total
    if "InvoiceNumber" in data or creating:
        number = str(data.get("InvoiceNumber") or "").strip()
        if invoice.type == "ACCREC":
            if not number:
                number = invoice.invoice_number or _next_number(ctx)
            elif _number_taken(ctx, number, invoice):
                errors.append(NUMBER_TAKEN)
        invoice.invoice_number = number
    return errors


def _approval_errors(invoice: XeroInvoice) -> list[str]:
    errors = []
    if invoice.status in (Status.SUBMITTED, Status.AUTHORISED):
        if invoice.due_date is None:
            errors.append(DUE_DATE_REQUIRED)
        if any(
            Decimal(li["LineAmount"]) and not li.get("AccountCode") for li in invoice.line_items
        ):
            errors.append(ACCOUNT_REQUIRED)
    return errors


def _create(ctx: Ctx, data: dict[str, Any]) -> Outcome:
    invoice = XeroInvoice(tenant=ctx.tenant, created_by_app=ctx.app, date=None)
    errors = _apply(ctx, invoice, data, creating=True)
    status = str(data.get("Status") or Status.DRAFT).upper()
    if status not in CREATABLE:
        errors.append(NOT_FOR_CREATION)
    invoice.status = status if status in Status.values else Status.DRAFT
    errors += _approval_errors(invoice) if not errors else []
    if errors:
        return Outcome(_echo(data, None), errors)
    invoice.amount_due = invoice.total
    invoice.updated_utc = dates.now()
    invoice.save()
    contact = invoice.contact
    flag = "is_customer" if invoice.type == "ACCREC" else "is_supplier"
    if not getattr(contact, flag):
        setattr(contact, flag, True)
        contact.save(update_fields=[flag])
    ctx.changed_invoices.append(invoice)
    ctx.created_invoices.append(invoice)
    return Outcome(serialize(invoice, unitdp=ctx.unitdp))


def _content_changes(invoice: XeroInvoice, data: dict[str, Any]) -> bool:
    return any(key in data for key in CONTENT_FIELDS) or (
        "InvoiceNumber" in data and str(data["InvoiceNumber"] or "") != invoice.invoice_number
    )


def _update(ctx: Ctx, invoice: XeroInvoice, data: dict[str, Any]) -> Outcome:
    current = invoice.status
    wanted = str(data.get("Status") or current).upper()
    has_payments = invoice.payments.filter(status=XeroPayment.Status.AUTHORISED).exists()
    before = list(invoice.line_items)
    if wanted not in TRANSITIONS.get(current, set()):
        error = (
            HAS_ALLOCATIONS if has_payments and wanted == Status.VOIDED else NOT_FOR_MODIFICATION
        )
        return Outcome(_echo(data, invoice), [error])
    if current in (Status.VOIDED, Status.DELETED) and _content_changes(invoice, data):
        return Outcome(_echo(data, invoice), [NOT_FOR_MODIFICATION])
    errors = _apply(ctx, invoice, data, creating=False)
    if has_payments and (
        wanted == Status.VOIDED
        or any(k in data for k in CONTENT_FIELDS if k != "LineItems")
        or ("LineItems" in data and not lines.same_content(before, invoice.line_items))
    ):
        errors.insert(0, HAS_ALLOCATIONS)
    invoice.status = wanted
    errors += _approval_errors(invoice) if not errors else []
    if errors:
        return Outcome(_echo(data, invoice), errors)
    refresh_amounts(invoice)
    ctx.changed_invoices.append(invoice)
    return Outcome(serialize(invoice, unitdp=ctx.unitdp))


def _process(ctx: Ctx, data: dict[str, Any], *, create_only: bool) -> Outcome:
    invoice = None
    if ctx.ident:
        invoice = find(ctx, ctx.ident)
        if invoice is None:
            return Outcome(_echo(data, None), ["The invoice could not be found."])
    elif data.get("InvoiceID"):
        invoice_id = parse_uuid(data["InvoiceID"])
        invoice = queryset(ctx).filter(invoice_id=invoice_id).first() if invoice_id else None
        if invoice is None:
            return Outcome(_echo(data, None), ["The invoice could not be found."])
    elif not create_only and data.get("InvoiceNumber"):
        # POST updates the ACCREC invoice that already has this number.
        invoice = (
            queryset(ctx)
            .filter(type="ACCREC", invoice_number=str(data["InvoiceNumber"]).strip())
            .first()
        )
        if invoice is not None and str(data.get("Type") or "ACCREC").upper() != "ACCREC":
            invoice = None
    if invoice is None:
        return _create(ctx, data)
    return _update(ctx, invoice, data)


def write(ctx: Ctx, *, create_only: bool) -> ApiResult:
    items = parse_items(ctx.request, "Invoices", "Invoice")
    if isinstance(items, ApiResult):
        return items
    return run_batch(
        ctx,
        items,
        lambda data: _process(ctx, data, create_only=create_only),
        key="Invoices",
        error_flag="HasErrors",
    )
