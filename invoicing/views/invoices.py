from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import INVOICES_MANAGE, INVOICES_VIEW
from accounts.permissions import capability_required
from accounts.selectors import organisation_today
from invoicing import extensions, selectors
from invoicing.forms import (
    FilterForm,
    InvoiceForm,
    VoidForm,
    invoice_input,
    line_formset,
    line_initial,
)
from invoicing.models import Invoice
from invoicing.services.invoices import (
    invoice_create,
    invoice_delete_draft,
    invoice_finalise,
    invoice_update,
    invoice_void,
)
from torqueflow.numbers import object_id, plain_int

from .common import apply_validation_error, page_number

PAGE_SIZE = 25
LIST_URL = {
    Invoice.Kind.SALES: "invoicing:sales_list",
    Invoice.Kind.PURCHASE: "invoicing:purchase_list",
}


@capability_required(INVOICES_VIEW)
@require_GET
def invoice_list(request, kind: str):
    filter_form = FilterForm(request.GET)
    filters = selectors.InvoiceFilters()
    if filter_form.is_valid():
        data = filter_form.cleaned_data
        filters = selectors.InvoiceFilters(
            status=data["status"],
            q=data["q"].strip(),
            owed=data["owed"],
            overdue_before=organisation_today(request.organisation) if data["overdue"] else None,
            paid_since=data["paid_since"],
        )
    invoices = selectors.invoice_list(organisation=request.organisation, kind=kind, filters=filters)
    page = Paginator(invoices, PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    badges = extensions.badges_for(request.organisation, page.object_list)
    for invoice in page.object_list:
        invoice.badges = badges.get(invoice.pk, [])
    query = request.GET.copy()
    query.pop("page", None)
    template = "invoicing/invoice_list.html"
    if request.htmx and request.htmx.target == "invoice-table":
        template += "#invoice-table"
    return render(
        request,
        template,
        {
            "kind": kind,
            "page": page,
            "filter_form": filter_form,
            "query": query.urlencode(),
            "title": "Invoices" if kind == Invoice.Kind.SALES else "Purchases",
            "narrowed_to": _narrowed_to(filters),
        },
    )


def _narrowed_to(filters: selectors.InvoiceFilters) -> str:
    """What a link (a home page figure) narrowed the list to, said above the table."""
    if filters.overdue_before:
        return "Overdue"
    if filters.owed:
        return "Unpaid and part paid"
    if filters.paid_since:
        return f"Paid since {filters.paid_since:%-d %b %Y}"
    return ""


@capability_required(INVOICES_VIEW)
@require_GET
def invoice_detail(request, pk: int):
    invoice = selectors.invoice_get(organisation=request.organisation, pk=pk)
    return render(
        request,
        "invoicing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": selectors.invoice_lines(invoice=invoice),
            "payments": selectors.invoice_payments(invoice=invoice),
            "history": selectors.invoice_history(invoice=invoice)[:20],
            "panels": extensions.detail_panels(request, invoice),
            "void_form": VoidForm(),
        },
    )


def _invoice_form_page(request, *, kind: str, invoice: Invoice | None):
    organisation = request.organisation
    if request.method == "POST":
        form = InvoiceForm(request.POST, organisation=organisation, kind=kind)
        lines = line_formset(organisation=organisation, data=request.POST)
        if form.is_valid() and lines.is_valid():
            try:
                data = invoice_input(form, lines)
                if invoice is None:
                    invoice = invoice_create(
                        organisation=organisation, actor=request.user, kind=kind, data=data
                    )
                    messages.success(request, f"Draft {invoice.number} saved.")
                else:
                    invoice = invoice_update(invoice=invoice, actor=request.user, data=data)
                    messages.success(request, f"{invoice.number} saved.")
                return redirect("invoicing:invoice_detail", pk=invoice.pk)
            except ValidationError as error:
                apply_validation_error(form, error)
    else:
        if invoice is not None:
            initial = InvoiceForm.initial_for(invoice)
        else:  # "New invoice" from a customer's page names the customer
            initial = {"party": object_id(request.GET.get("customer"))}
        form = InvoiceForm(initial=initial, organisation=organisation, kind=kind)
        lines = line_formset(
            organisation=organisation,
            initial=line_initial(invoice) if invoice else [{}],
        )
    return render(
        request,
        "invoicing/invoice_form.html",
        {"form": form, "lines": lines, "invoice": invoice, "kind": kind},
        status=400 if request.method == "POST" else 200,
    )


@capability_required(INVOICES_MANAGE)
def invoice_new(request, kind: str):
    return _invoice_form_page(request, kind=kind, invoice=None)


@capability_required(INVOICES_MANAGE)
def invoice_edit(request, pk: int):
    invoice = selectors.invoice_get(organisation=request.organisation, pk=pk)
    if not invoice.is_editable:
        messages.error(request, "Only drafts and unpaid invoices without payments can be edited.")
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    return _invoice_form_page(request, kind=invoice.kind, invoice=invoice)


def line_row_added(request, *, line_removed_url: str):
    """One blank line row for a document's lines editor (an invoice's or a quote's), numbered
    after the rows already there."""
    index = plain_int(request.GET.get("lines-TOTAL_FORMS"))
    if index is None:
        return HttpResponseBadRequest("Missing line count.")
    if index >= 200:
        return HttpResponseBadRequest("Too many lines.")
    formset = line_formset(organisation=request.organisation)
    form = formset.form(
        prefix=f"lines-{index}", organisation=request.organisation, use_required_attribute=False
    )
    return render(
        request,
        "invoicing/_lines_editor.html#line-row-added",
        {"line": form, "total_forms": index + 1, "line_removed_url": line_removed_url},
    )


def line_row_removed(request):
    """Replace a removed line row with its hidden DELETE marker, so the formset skips it."""
    prefix = request.GET.get("prefix", "")
    if not prefix.startswith("lines-") or plain_int(prefix[6:]) is None:
        return HttpResponseBadRequest("Unknown line.")
    return render(request, "invoicing/_lines_editor.html#line-row-removed", {"prefix": prefix})


@capability_required(INVOICES_MANAGE)
@require_GET
def line_form(request):
    return line_row_added(request, line_removed_url=reverse("invoicing:line_removed"))


@capability_required(INVOICES_MANAGE)
@require_GET
def line_removed(request):
    return line_row_removed(request)


@capability_required(INVOICES_MANAGE)
@require_POST
def invoice_finalise_view(request, pk: int):
    invoice = selectors.invoice_get(organisation=request.organisation, pk=pk)
    try:
        invoice = invoice_finalise(invoice=invoice, actor=request.user)
        messages.success(request, f"{invoice.number} finalised.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("invoicing:invoice_detail", pk=invoice.pk)


@capability_required(INVOICES_MANAGE)
def invoice_void_view(request, pk: int):
    """GET shows the confirmation (the page without JavaScript); POST voids."""
    invoice = selectors.invoice_get(organisation=request.organisation, pk=pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invoice_void(invoice=invoice, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, f"{invoice.number} voided.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    return render(request, "invoicing/invoice_void.html", {"invoice": invoice, "void_form": form})


@capability_required(INVOICES_MANAGE)
@require_POST
def invoice_discard(request, pk: int):
    invoice = selectors.invoice_get(organisation=request.organisation, pk=pk)
    try:
        invoice_delete_draft(invoice=invoice, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    messages.success(request, f"Draft {invoice.number} discarded.")
    return redirect(LIST_URL[invoice.kind])
