"""/invoices, reading: the invoice as GoHighLevel answers it (DefaultInvoiceResponseDto),
GET /invoices/{invoiceId} and GET /invoices/ (altId, altType, status, contactId, search,
startAt/endAt, paymentMode, sortField/sortOrder, limit, offset)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from sandbox.models import GhlInvoice

from . import dates, render
from .common import Ctx
from .render import number
from .rules import Rules


def serialize(invoice: GhlInvoice) -> dict[str, Any]:
    discount = invoice.discount or {"type": "percentage", "value": 0}
    data: dict[str, Any] = {
        "_id": invoice.invoice_id,
        "status": invoice.status,
        "liveMode": invoice.live_mode,
        "amountPaid": number(invoice.amount_paid),
        "altId": invoice.location.location_id,
        "altType": "location",
        "name": invoice.name,
        "businessDetails": invoice.business_details,
        "invoiceNumber": invoice.invoice_number,
        "currency": invoice.currency,
        "contactDetails": invoice.contact_details,
        "issueDate": invoice.issue_date.isoformat(),
        "dueDate": invoice.due_date.isoformat() if invoice.due_date else "",
        "discount": discount,
        "invoiceItems": invoice.items,
        "total": number(invoice.total),
        "title": invoice.title,
        "amountDue": number(invoice.amount_due),
        "createdAt": dates.iso(invoice.created_at),
        "updatedAt": dates.iso(invoice.updated_at),
        "automaticTaxesEnabled": False,
        "automaticTaxesCalculated": False,
        "sentTo": invoice.sent_to,
        "totalSummary": {
            "subTotal": number(invoice.sub_total),
            "discount": number(invoice.discount_total),
            "tax": number(invoice.tax_total),
        },
    }
    if invoice.terms_notes:
        data["termsNotes"] = invoice.terms_notes
    return data


def find(ctx: Ctx, invoice_id: str, *, lock: bool = False) -> GhlInvoice:
    """The location's invoice; GoHighLevel's 400 when there is none."""
    rows = GhlInvoice.objects.select_related("location").filter(location=ctx.location)
    if lock:
        rows = rows.select_for_update(of=("self",))
    invoice = rows.filter(invoice_id=invoice_id).first()
    if invoice is None:
        raise render.bad_request(render.INVOICE_NOT_FOUND)
    return invoice


def check_alt(rules: Rules, data) -> None:
    """altId / altType, required on every invoice call (query or body)."""
    rules.text(data, "altId")
    rules.choice(data, "altType", ["location"])


def get(ctx: Ctx) -> dict[str, Any]:
    rules = Rules()
    check_alt(rules, ctx.query.dict())
    if rules.errors:
        raise render.unprocessable(rules.errors)
    return serialize(find(ctx, ctx.args["invoice_id"]))


def _search(rows, term: str):
    return rows.filter(
        Q(invoice_id__iexact=term)
        | Q(name__icontains=term)
        | Q(invoice_number__icontains=term)
        | Q(contact_details__name__icontains=term)
        | Q(contact_details__email__icontains=term)
        | Q(contact_details__phoneNo__icontains=term)
    )


def list_(ctx: Ctx) -> dict[str, Any]:
    params = ctx.query.dict()
    rules = Rules()
    check_alt(rules, params)
    limit = rules.number_string(params, "limit")
    offset = rules.number_string(params, "offset")
    start = rules.date(params, "startAt", required=False)
    end = rules.date(params, "endAt", required=False)
    rules.choice(params, "paymentMode", ["default", "live", "test"], required=False)
    rules.choice(params, "sortField", ["issueDate"], required=False)
    rules.choice(params, "sortOrder", ["ascend", "descend"], required=False)
    if rules.errors or limit is None or offset is None:
        raise render.unprocessable(rules.errors)

    rows = GhlInvoice.objects.select_related("location").filter(location=ctx.location)
    if status := params.get("status"):
        rows = rows.filter(status=status)
    if contact_id := params.get("contactId"):
        rows = rows.filter(contact_details__id=contact_id)
    if term := params.get("search", "").strip():
        rows = _search(rows, term)
    if start:
        rows = rows.filter(issue_date__gte=start)
    if end:
        rows = rows.filter(issue_date__lte=end)
    if params.get("paymentMode") in ("live", "test"):
        rows = rows.filter(live_mode=params["paymentMode"] == "live")
    if params.get("sortField") == "issueDate":
        sign = "" if params.get("sortOrder") == "ascend" else "-"
        rows = rows.order_by(f"{sign}issue_date", f"{sign}id")
    total = rows.count()
    page = rows[offset : offset + limit] if limit else []
    return {"invoices": [serialize(i) for i in page], "total": total}
