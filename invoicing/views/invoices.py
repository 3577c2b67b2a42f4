from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import INVOICES_MANAGE, INVOICES_VIEW
from accounts.permissions import capability_required
from invoicing import exports, extensions, listing, selectors
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
from torqueflow.numbers import object_id, object_ids, plain_int

from .common import apply_validation_error, page_number, safe_next

PAGE_SIZE = 25
LIST_URL = {
    Invoice.Kind.SALES: "invoicing:sales_list",
    Invoice.Kind.PURCHASE: "invoicing:purchase_list",
}
EXPORT_URL = {
    Invoice.Kind.SALES: "invoicing:sales_export",
    Invoice.Kind.PURCHASE: "invoicing:purchase_export",
}


INVOICE_COLUMNS = [
    listing.Column("Number", "number"),
    listing.Column("Contact", "party"),
    listing.Column("Issued", "issued"),
    listing.Column("Due", "due"),
    listing.Column("Total", "total", num=True),
    listing.Column("Paid", "paid", num=True),
    listing.Column("Status", "status"),
    listing.Column("Sync"),
]
STATUS_CHIPS = [Invoice.Status.DRAFT, Invoice.Status.UNPAID, Invoice.Status.PART_PAID]
STATUS_CHIPS += [Invoice.Status.PAID, Invoice.Status.VOID]
BULK_MAX = 200


def _filters(query) -> selectors.InvoiceFilters:
    return selectors.InvoiceFilters(**FilterForm(query).filters_data())


def _chips(request, query, kind: str) -> list[listing.Chip]:
    chips = [listing.toggle_chip(query, "Overdue", "overdue", "on")]
    chips += [listing.toggle_chip(query, s.label, "status", s.value) for s in STATUS_CHIPS]
    chips += [
        listing.toggle_chip(query, label, "sync", value)
        for value, label in extensions.list_filter_choices(request.organisation, kind)
    ]
    return chips


@capability_required(INVOICES_VIEW)
@require_GET
def invoice_list(request, kind: str):
    params = listing.clean_query(request.GET)
    filters = _filters(params)
    invoices = selectors.invoice_list(organisation=request.organisation, kind=kind, filters=filters)
    page = Paginator(invoices, PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    badges = extensions.badges_for(request.organisation, page.object_list)
    for invoice in page.object_list:
        invoice.badges = badges.get(invoice.pk, [])
    query = params.copy()
    query.pop("page", None)
    sort = selectors.sort_key(filters.sort, selectors.INVOICE_SORTS, "")
    columns = INVOICE_COLUMNS.copy()
    columns[1] = listing.Column("Customer" if kind == Invoice.Kind.SALES else "Supplier", "party")
    actions = [
        action
        for action in extensions.bulk_actions(request.organisation, kind)
        if request.membership.can(action.capability)
    ]
    template = "invoicing/invoice_list.html"
    if request.htmx and request.htmx.target == "invoice-results":
        template += "#invoice-results"
    response = render(
        request,
        template,
        {
            "kind": kind,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "headers": listing.sort_headers(params, columns, sort),
            "chips": _chips(request, params, kind),
            "actions": actions,
            "export_url": reverse(EXPORT_URL[kind]) + listing.with_params(params),
            "title": "Invoices" if kind == Invoice.Kind.SALES else "Purchases",
            "narrowed_to": _narrowed_to(filters),
        },
    )
    return listing.replace_url(request, response, params)


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_lines(rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@capability_required(INVOICES_VIEW)
@require_GET
def invoice_export(request, kind: str):
    """Every invoice the list's filters keep, in the list's order, as CSV."""
    invoices = selectors.invoice_list(
        organisation=request.organisation,
        kind=kind,
        filters=_filters(listing.clean_query(request.GET)),
    )
    name = "invoices" if kind == Invoice.Kind.SALES else "purchases"
    return _csv_response(exports.invoice_rows(invoices), f"{name}.csv")


@capability_required(INVOICES_VIEW)
@require_POST
def invoice_bulk(request, kind: str):
    """An action on the invoices ticked in a list. Ids of another organisation's invoices,
    or of the other kind, are ignored."""
    ids = object_ids(request.POST.getlist("invoice"))[:BULK_MAX]
    back = safe_next(request) or reverse(LIST_URL[kind])
    invoices = selectors.invoice_list(organisation=request.organisation, kind=kind).filter(
        pk__in=ids
    )
    action_key = request.POST.get("action", "")
    if action_key == "export":
        name = "invoices" if kind == Invoice.Kind.SALES else "purchases"
        return _csv_response(exports.invoice_rows(invoices), f"{name}-selected.csv")
    action = next(
        (a for a in extensions.bulk_actions(request.organisation, kind) if a.key == action_key),
        None,
    )
    if action is None:
        messages.error(request, "That action is not available.")
        return redirect(back)
    if not request.membership.can(action.capability):
        raise PermissionDenied("You do not have permission to do that.")
    chosen = list(invoices)
    if not chosen:
        messages.error(request, "Choose at least one invoice.")
        return redirect(back)
    outcome = action.run(request, chosen)
    if isinstance(outcome, extensions.BulkStarted):
        messages.success(request, outcome.message)
        return redirect(outcome.url)
    messages.success(request, outcome)
    return redirect(back)


def _narrowed_to(filters: selectors.InvoiceFilters) -> str:
    """What a link (a home page figure) narrowed the list to, said above the table."""
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
