"""/Payments: GET (one, If-Modified-Since, where, paging), PUT and POST (create against an
AUTHORISED invoice), and POST /Payments/{PaymentID} {"Status":"DELETED"} to delete one.
A payment cannot be edited, only deleted and created again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sandbox.models import XeroAccount, XeroInvoice, XeroPayment

from . import contacts, dates, invoices
from .common import (
    NOT_FOUND,
    ZERO_ID,
    ApiResult,
    Ctx,
    Outcome,
    bad_request,
    filter_where,
    modified_since,
    money,
    order_rows,
    paginate,
    parse_items,
    parse_uuid,
    run_batch,
    to_decimal,
)
from .render import validation_exception

INVOICE_NOT_FOUND = "Invoice could not be found."
NOT_AUTHORISED = "Payments can only be made against Authorised documents."
EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
AMOUNT_REQUIRED = "Payment amount must be greater than zero."
ACCOUNT_NOT_FOUND = "Account could not be found."
ACCOUNT_NOT_PAYABLE = (
    "Payments can only be made to an account of type BANK or with payments enabled."
)
ALREADY_DELETED = "This payment has already been deleted."
ONLY_DELETE = "A payment cannot be edited; it can only be deleted (Status DELETED)."
BAD_DATE = "The Date '{value}' is not a valid date."


def payment_type(invoice: XeroInvoice) -> str:
    return "ACCRECPAYMENT" if invoice.type == "ACCREC" else "ACCPAYPAYMENT"


def serialize(payment: XeroPayment) -> dict[str, Any]:
    invoice = payment.invoice
    return {
        "PaymentID": str(payment.payment_id),
        "Date": dates.ms_date(payment.date),
        "BankAmount": money(payment.amount),
        "Amount": money(payment.amount),
        "Reference": payment.reference,
        "CurrencyRate": invoice.currency_rate,
        "PaymentType": payment_type(invoice),
        "Status": payment.status,
        "UpdatedDateUTC": dates.ms_datetime(payment.updated_utc),
        "UpdatedDateUTCString": dates.utc_string(payment.updated_utc),
        "HasAccount": True,
        "IsReconciled": False,
        "Account": {
            "AccountID": str(payment.account.account_id),
            "Code": payment.account.code,
            "Name": payment.account.name,
        },
        "Invoice": {
            "Type": invoice.type,
            "InvoiceID": str(invoice.invoice_id),
            "InvoiceNumber": invoice.invoice_number,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "HasErrors": False,
            "IsDiscounted": False,
            "Contact": contacts.brief(invoice.contact),
            "LineItems": [],
            "CurrencyCode": invoice.currency_code,
        },
        "HasValidationErrors": False,
    }


def record(payment: XeroPayment) -> dict[str, Any]:
    return {
        "PaymentID": str(payment.payment_id),
        "Status": payment.status,
        "PaymentType": payment_type(payment.invoice),
        "Amount": payment.amount,
        "Date": payment.date,
        "Reference": payment.reference,
        "UpdatedDateUTC": payment.updated_utc,
        "Invoice.InvoiceID": str(payment.invoice.invoice_id),
        "Invoice.InvoiceNumber": payment.invoice.invoice_number,
        "Invoice.Type": payment.invoice.type,
        "Invoice.Contact.ContactID": str(payment.invoice.contact.contact_id),
        "Account.Code": payment.account.code,
    }


def _queryset(ctx: Ctx):
    return XeroPayment.objects.filter(tenant=ctx.tenant).select_related(
        "invoice__contact", "account"
    )


def get(ctx: Ctx) -> ApiResult:
    if ctx.ident:
        payment_id = parse_uuid(ctx.ident)
        payment = _queryset(ctx).filter(payment_id=payment_id).first() if payment_id else None
        if payment is None:
            return NOT_FOUND
        return ApiResult(200, ctx.envelope("Payments", [serialize(payment)]))
    rows: list | ApiResult = list(modified_since(ctx, _queryset(ctx)))
    rows = filter_where(ctx, rows, record)
    if isinstance(rows, ApiResult):
        return rows
    rows = order_rows(ctx, rows, record)
    if isinstance(rows, ApiResult):
        return rows
    page, pagination = paginate(ctx, rows)
    return ApiResult(200, ctx.envelope("Payments", [serialize(p) for p in page], pagination))


# --- services shared with the sandbox page ----------------------------------------------------


def bank_account(invoice: XeroInvoice) -> XeroAccount:
    return XeroAccount.objects.filter(tenant=invoice.tenant, type="BANK").order_by("code").first()


def payment_errors(invoice: XeroInvoice, amount: Decimal | None) -> list[str]:
    if invoice.status != XeroInvoice.Status.AUTHORISED:
        return [NOT_AUTHORISED]
    if amount is None or amount <= 0:
        return [AMOUNT_REQUIRED]
    if money(amount) > invoice.amount_due:
        return [EXCEEDS]
    return []


def add_payment(
    invoice: XeroInvoice,
    amount: Decimal,
    *,
    account: XeroAccount,
    date: dt.date | None = None,
    reference: str = "",
) -> XeroPayment:
    payment = XeroPayment.objects.create(
        tenant=invoice.tenant,
        invoice=invoice,
        account=account,
        amount=money(amount),
        date=date or dates.today(),
        reference=reference[:255],
        updated_utc=dates.now(),
    )
    invoices.refresh_amounts(invoice)
    return payment


def delete_payment(payment: XeroPayment) -> None:
    payment.status = XeroPayment.Status.DELETED
    payment.updated_utc = dates.now()
    payment.save(update_fields=["status", "updated_utc"])
    invoices.refresh_amounts(payment.invoice)


# --- PUT / POST ---------------------------------------------------------------------------------


def _echo(data: dict[str, Any]) -> dict[str, Any]:
    return {"PaymentID": ZERO_ID, **{k: v for k, v in data.items() if k != "PaymentID"}}


def _invoice_for(ctx: Ctx, data: dict[str, Any]) -> XeroInvoice | None:
    ref = data.get("Invoice") if isinstance(data.get("Invoice"), dict) else {}
    found = XeroInvoice.objects.filter(tenant=ctx.tenant).select_related("contact", "tenant")
    if invoice_id := parse_uuid(ref.get("InvoiceID")):
        return found.filter(invoice_id=invoice_id).first()
    number = ref.get("InvoiceNumber") or data.get("InvoiceNumber")
    return found.filter(invoice_number=str(number)).first() if number else None


def _account_for(ctx: Ctx, data: dict[str, Any]) -> XeroAccount | None:
    ref = data.get("Account") if isinstance(data.get("Account"), dict) else {}
    accounts = XeroAccount.objects.filter(tenant=ctx.tenant)
    if account_id := parse_uuid(ref.get("AccountID")):
        return accounts.filter(account_id=account_id).first()
    code = ref.get("Code") or data.get("Code")
    return accounts.filter(code=str(code)).first() if code else None


def _create(ctx: Ctx, data: dict[str, Any]) -> Outcome:
    invoice = _invoice_for(ctx, data)
    if invoice is None:
        return Outcome(_echo(data), [INVOICE_NOT_FOUND])
    errors: list[str] = []
    account = _account_for(ctx, data)
    if account is None:
        errors.append(ACCOUNT_NOT_FOUND)
    elif not (account.type == "BANK" or account.enable_payments):
        errors.append(ACCOUNT_NOT_PAYABLE)
    try:
        amount = to_decimal(data.get("Amount"))
    except ValueError:
        amount = None
    errors += payment_errors(invoice, amount)
    try:
        date = dates.parse_date(data.get("Date"))
    except ValueError:
        errors.append(BAD_DATE.format(value=data.get("Date")))
        date = None
    if errors or amount is None or account is None:
        return Outcome(_echo(data), errors)
    payment = add_payment(
        invoice, amount, account=account, date=date, reference=str(data.get("Reference") or "")
    )
    ctx.changed_invoices.append(invoice)
    return Outcome(serialize(payment))


def create(ctx: Ctx) -> ApiResult:
    items = parse_items(ctx.request, "Payments", "Payment")
    if isinstance(items, ApiResult):
        return items
    return run_batch(
        ctx,
        items,
        lambda data: _create(ctx, data),
        key="Payments",
        error_flag="HasValidationErrors",
    )


def delete(ctx: Ctx) -> ApiResult:
    """POST /Payments/{PaymentID} with {"Payments":[{"Status":"DELETED"}]}."""
    payment_id = parse_uuid(ctx.ident)
    payment = _queryset(ctx).filter(payment_id=payment_id).first() if payment_id else None
    if payment is None:
        return NOT_FOUND
    items = parse_items(ctx.request, "Payments", "Payment")
    if isinstance(items, ApiResult):
        return items
    wanted = str(items[0].get("Status") or "").upper()
    error = ""
    if wanted != XeroPayment.Status.DELETED:
        error = ONLY_DELETE
    elif payment.status == XeroPayment.Status.DELETED:
        error = ALREADY_DELETED
    if error:
        element = serialize(payment)
        element.update(
            StatusAttributeString="ERROR",
            HasValidationErrors=True,
            ValidationErrors=[{"Message": error}],
        )
        if ctx.summarize_errors:
            return bad_request(validation_exception([element]))
        return ApiResult(200, ctx.envelope("Payments", [element]))
    delete_payment(payment)
    ctx.changed_invoices.append(payment.invoice)
    element = serialize(payment)
    element["StatusAttributeString"] = "OK"
    return ApiResult(200, ctx.envelope("Payments", [element]))
