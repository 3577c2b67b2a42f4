from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import CRM_VIEW, INVOICES_MANAGE, QUOTES_MANAGE
from accounts.permissions import capability_required
from crm import exports as crm_exports
from crm import list_pages, selectors
from crm.forms import QuoteForm
from crm.models import Quote
from crm.services.quotes import (
    quote_convert,
    quote_create,
    quote_expire_if_due,
    quote_mark_accepted,
    quote_mark_declined,
    quote_mark_sent,
    quote_update,
)
from invoicing import listing
from invoicing.forms import line_formset, line_initial
from invoicing.views.common import apply_validation_error
from invoicing.views.invoices import line_row_added, line_row_removed
from torqueflow.numbers import object_id

QUOTES = list_pages.CrmList(
    slug="quotes",
    title="Quotes",
    row_template="crm/_quote_row.html",
    rows=selectors.quote_list,
    sorts={
        "number": ("number",),
        "customer": ("customer__name",),
        "issued": ("issue_date",),
        "expires": ("expiry_date",),
        "total": ("total",),
        "status": ("status",),
    },
    columns=[
        listing.Column("Number", "number"),
        listing.Column("Customer", "customer"),
        listing.Column("Issued", "issued"),
        listing.Column("Expires", "expires"),
        listing.Column("Total", "total", num=True),
        listing.Column("Status", "status"),
    ],
    statuses=Quote.Status.choices,
    flags=[("expiring", "Expiring soon"), ("uninvoiced", "Accepted, not invoiced")],
    csv_header=crm_exports.QUOTE_HEADER,
    csv_row=crm_exports.quote_row,
)


@capability_required(CRM_VIEW)
@require_GET
def quote_list(request):
    may_add = request.membership.can(QUOTES_MANAGE)
    return list_pages.list_page(
        request,
        QUOTES,
        new_url=reverse("crm:quote_new") if may_add else "",
        new_label="New quote",
        search_hint="Number, customer or amount",
    )


@capability_required(CRM_VIEW)
@require_GET
def quote_export(request):
    return list_pages.list_export(request, QUOTES)


@capability_required(CRM_VIEW)
@require_POST
def quote_bulk(request):
    return list_pages.list_bulk_export(request, QUOTES)


@capability_required(CRM_VIEW)
@require_GET
def quote_detail(request, pk: int):
    quote = selectors.quote_get(organisation=request.organisation, pk=pk)
    quote = quote_expire_if_due(quote=quote)
    return render(
        request,
        "crm/quote_detail.html",
        {
            "quote": quote,
            "lines": selectors.quote_lines(quote=quote),
            "history": selectors.quote_history(quote=quote)[:20],
        },
    )


def _quote_form_page(request, *, quote: Quote | None):
    organisation = request.organisation
    if request.method == "POST":
        form = QuoteForm(request.POST, organisation=organisation)
        lines = line_formset(organisation=organisation, data=request.POST)
        if form.is_valid() and lines.is_valid():
            try:
                data = form.quote_input(lines)
                if quote is None:
                    quote = quote_create(organisation=organisation, actor=request.user, data=data)
                    messages.success(request, f"Draft {quote.number} saved.")
                else:
                    quote = quote_update(quote=quote, actor=request.user, data=data)
                    messages.success(request, f"{quote.number} saved.")
                return redirect("crm:quote_detail", pk=quote.pk)
            except ValidationError as error:
                apply_validation_error(form, error)
    else:
        if quote is not None:
            initial = QuoteForm.initial_for(quote)
        else:
            initial = {"customer": object_id(request.GET.get("customer"))}
        form = QuoteForm(initial=initial, organisation=organisation)
        lines = line_formset(
            organisation=organisation, initial=line_initial(quote) if quote else [{}]
        )
    return render(
        request,
        "crm/quote_form.html",
        {
            "form": form,
            "lines": lines,
            "quote": quote,
            "line_form_url": reverse("crm:quote_line_form"),
            "line_removed_url": reverse("crm:quote_line_removed"),
        },
        status=400 if request.method == "POST" else 200,
    )


@capability_required(QUOTES_MANAGE)
def quote_new(request):
    return _quote_form_page(request, quote=None)


@capability_required(QUOTES_MANAGE)
def quote_edit(request, pk: int):
    quote = selectors.quote_get(organisation=request.organisation, pk=pk)
    quote = quote_expire_if_due(quote=quote)
    if not quote.is_editable:
        messages.error(request, "Only draft and sent quotes can be edited.")
        return redirect("crm:quote_detail", pk=quote.pk)
    return _quote_form_page(request, quote=quote)


@capability_required(QUOTES_MANAGE)
@require_GET
def quote_line_form(request):
    return line_row_added(request, line_removed_url=reverse("crm:quote_line_removed"))


@capability_required(QUOTES_MANAGE)
@require_GET
def quote_line_removed(request):
    return line_row_removed(request)


def _action(request, pk: int, service, done: str):
    quote = selectors.quote_get(organisation=request.organisation, pk=pk)
    try:
        quote = service(quote=quote, actor=request.user)
        messages.success(request, done.format(number=quote.number))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("crm:quote_detail", pk=quote.pk)


@capability_required(QUOTES_MANAGE)
@require_POST
def quote_send(request, pk: int):
    return _action(request, pk, quote_mark_sent, "{number} marked sent.")


@capability_required(QUOTES_MANAGE)
@require_POST
def quote_accept(request, pk: int):
    return _action(request, pk, quote_mark_accepted, "{number} marked accepted.")


@capability_required(QUOTES_MANAGE)
@require_POST
def quote_decline(request, pk: int):
    return _action(request, pk, quote_mark_declined, "{number} marked declined.")


@capability_required(QUOTES_MANAGE)
@require_POST
def quote_convert_view(request, pk: int):
    quote = selectors.quote_get(organisation=request.organisation, pk=pk)
    # Converting raises an invoice, so it needs the right to raise invoices as well.
    if not request.membership.can(INVOICES_MANAGE):
        raise PermissionDenied("You do not have permission to create invoices.")
    try:
        invoice, created = quote_convert(quote=quote, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("crm:quote_detail", pk=quote.pk)
    if created:
        messages.success(request, f"{quote.number} converted: draft {invoice.number} created.")
    else:
        messages.info(
            request, f"{quote.number} was already converted: this is its invoice {invoice.number}."
        )
    return redirect("invoicing:invoice_detail", pk=invoice.pk)
