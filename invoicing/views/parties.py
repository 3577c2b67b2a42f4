"""Customers and suppliers: one list and one form view serve both."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import models
from django.forms import ModelForm
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from accounts.capabilities import INVOICES_MANAGE, INVOICES_VIEW
from accounts.permissions import capability_required
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


@capability_required(INVOICES_VIEW)
@require_GET
def party_list(request, party: str):
    kind = PARTIES[party]
    rows = kind.model.objects.for_org(request.organisation)
    search = SearchForm(request.GET)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    if q:
        rows = rows.filter(
            models.Q(name__icontains=q)
            | models.Q(company_name__icontains=q)
            | models.Q(email__icontains=q)
        )
    page = Paginator(rows, 50).get_page(page_number(request.GET.get("page")))
    return render(request, "invoicing/party_list.html", {"kind": kind, "page": page, "q": q})


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
