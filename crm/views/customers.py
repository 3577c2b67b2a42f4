"""The customer page and its contacts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import CONTACTS_MANAGE, CRM_VIEW
from accounts.permissions import capability_required
from crm import selectors
from crm.customer_page import customer_sections
from crm.forms import ContactForm
from crm.services.contacts import (
    contact_create,
    contact_delete,
    contact_make_primary,
    contact_update,
)
from invoicing.views.common import apply_validation_error


@capability_required(CRM_VIEW)
@require_GET
def customer_detail(request, pk: int):
    customer = selectors.customer_get(organisation=request.organisation, pk=pk)
    sections = customer_sections(customer=customer, membership=request.membership)
    return render(request, "crm/customer_detail.html", {"customer": customer, "sections": sections})


def _contact_form_page(request, *, customer, contact=None):
    organisation = request.organisation
    if request.method == "POST":
        form = ContactForm(request.POST, organisation=organisation)
        if form.is_valid():
            try:
                if contact is None:
                    contact = contact_create(
                        customer=customer, actor=request.user, data=form.contact_input()
                    )
                else:
                    contact = contact_update(
                        contact=contact, actor=request.user, data=form.contact_input()
                    )
                messages.success(request, f"{contact.name} saved.")
                return redirect("crm:customer_detail", pk=customer.pk)
            except ValidationError as error:
                apply_validation_error(form, error)
    else:
        initial = ContactForm.initial_for(contact, organisation) if contact else None
        form = ContactForm(initial=initial, organisation=organisation)
    return render(
        request,
        "crm/contact_form.html",
        {"customer": customer, "contact": contact, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@capability_required(CONTACTS_MANAGE)
def contact_new(request, pk: int):
    customer = selectors.customer_get(organisation=request.organisation, pk=pk)
    return _contact_form_page(request, customer=customer)


@capability_required(CONTACTS_MANAGE)
def contact_edit(request, pk: int, contact_pk: int):
    customer = selectors.customer_get(organisation=request.organisation, pk=pk)
    contact = selectors.contact_get(customer=customer, pk=contact_pk)
    return _contact_form_page(request, customer=customer, contact=contact)


@capability_required(CONTACTS_MANAGE)
@require_POST
def contact_primary(request, pk: int, contact_pk: int):
    customer = selectors.customer_get(organisation=request.organisation, pk=pk)
    contact = selectors.contact_get(customer=customer, pk=contact_pk)
    contact_make_primary(contact=contact, actor=request.user)
    messages.success(request, f"{contact.name} is now the primary contact.")
    return redirect("crm:customer_detail", pk=customer.pk)


@capability_required(CONTACTS_MANAGE)
def contact_remove(request, pk: int, contact_pk: int):
    """GET asks first (the page without JavaScript); POST removes."""
    customer = selectors.customer_get(organisation=request.organisation, pk=pk)
    contact = selectors.contact_get(customer=customer, pk=contact_pk)
    if request.method == "POST":
        promoted = contact_delete(contact=contact, actor=request.user)
        text = f"{contact.name} removed."
        if promoted is not None:
            text += f" {promoted.name} is now the primary contact."
        messages.success(request, text)
        return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "crm/contact_remove.html", {"customer": customer, "contact": contact})
