"""Customers and suppliers: one list and one form view serve both."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import models
from django.forms import ModelForm
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.capabilities import INVOICES_MANAGE, INVOICES_VIEW
from accounts.permissions import capability_required
from invoicing import exports, listing, selectors
from invoicing.forms import CustomerForm, SearchForm, SupplierForm
from invoicing.models import Customer, Supplier
from invoicing.services.parties import party_save

from .common import page_number, safe_next


@dataclass(frozen=True)
class PartyKind:
    model: type[models.Model]
    form: type[ModelForm]
    plural: str
    singular: str
    url_prefix: str


PARTIES = {
    "customer": PartyKind(Customer, CustomerForm, "Customers", "customer", "invoicing:customer"),
    "supplier": PartyKind(Supplier, SupplierForm, "Suppliers", "supplier", "invoicing:supplier"),
}


PARTY_SORTS = {
    "name": ("name",),
    "company": ("company_name",),
    "email": ("email",),
    "postcode": ("postcode",),
}
PARTY_COLUMNS = [
    listing.Column("Name", "name"),
    listing.Column("Company", "company"),
    listing.Column("Email", "email"),
    listing.Column("Phone"),
    listing.Column("Postcode", "postcode"),
]


def _rows(request, kind: PartyKind) -> tuple[models.QuerySet, str, str]:
    """The organisation's parties the search keeps, in the order asked for (by name when
    the sort is not one we offer), with the search and sort as read."""
    rows = kind.model.objects.for_org(request.organisation)
    search = SearchForm(listing.clean_query(request.GET))
    search.is_valid()
    data = getattr(search, "cleaned_data", {})
    q = (data.get("q") or "").strip()
    if q:
        rows = rows.filter(
            models.Q(name__icontains=q)
            | models.Q(company_name__icontains=q)
            | models.Q(email__icontains=q)
            | models.Q(phone__icontains=q)
            | models.Q(postcode__icontains=q)
        )
    sort = selectors.sort_key(data.get("sort") or "", PARTY_SORTS, "")
    return rows.order_by(*selectors.ordering(sort or "name", PARTY_SORTS)), q, sort


@capability_required(INVOICES_VIEW)
@require_GET
def party_list(request, party: str):
    kind = PARTIES[party]
    rows, q, sort = _rows(request, kind)
    page = Paginator(rows, 50).get_page(page_number(request.GET.get("page")))
    params = listing.clean_query(request.GET)
    query = params.copy()
    query.pop("page", None)
    template = "invoicing/party_list.html"
    if request.htmx and request.htmx.target == "party-results":
        template += "#party-results"
    response = render(
        request,
        template,
        {
            "kind": kind,
            "page": page,
            "q": q,
            "sort": sort,
            "query": query.urlencode(),
            "headers": listing.sort_headers(params, PARTY_COLUMNS, sort),
            "export_url": reverse(f"{kind.url_prefix}_export") + listing.with_params(params),
        },
    )
    return listing.replace_url(request, response, params)


@capability_required(INVOICES_VIEW)
@require_GET
def party_export(request, party: str):
    kind = PARTIES[party]
    rows, _q, _sort = _rows(request, kind)
    response = StreamingHttpResponse(
        exports.csv_lines(exports.party_rows(rows)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind.plural.lower()}.csv"'
    return response


@capability_required(INVOICES_MANAGE)
def party_form(request, party: str, pk: int | None = None):
    kind = PARTIES[party]
    instance = None
    if pk is not None:
        instance = get_object_or_404(kind.model.objects.for_org(request.organisation), pk=pk)
    form = kind.form(request.POST or None, instance=instance)
    back_to = safe_next(request)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj.organisation = request.organisation
        party_save(party=obj, actor=request.user, changed=form.changed_data)
        messages.success(request, f"{obj.name} saved.")
        return redirect(back_to or f"{kind.url_prefix}_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "invoicing/party_form.html",
        {"kind": kind, "form": form, "object": instance, "next": back_to},
        status=status,
    )
