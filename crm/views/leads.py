from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import CRM_VIEW, LEADS_MANAGE
from accounts.permissions import capability_required
from crm import exports as crm_exports
from crm import list_pages, selectors
from crm.forms import LeadForm, LeadStatusForm
from crm.models import Lead
from crm.services.leads import (
    lead_convert,
    lead_create,
    lead_status_set,
    lead_update,
    leads_status_set_many,
)
from invoicing import listing
from invoicing.views.common import apply_validation_error, safe_next
from torqueflow.numbers import object_ids

LEADS = list_pages.CrmList(
    slug="leads",
    title="Leads",
    row_template="crm/_lead_row.html",
    rows=selectors.lead_list,
    sorts={
        "name": ("name",),
        "company": ("company",),
        "email": ("email",),
        "source": ("source",),
        "status": ("status",),
        "added": ("created_at",),
    },
    columns=[
        listing.Column("Name", "name"),
        listing.Column("Company", "company"),
        listing.Column("Email", "email"),
        listing.Column("Phone"),
        listing.Column("Source", "source"),
        listing.Column("Status", "status"),
        listing.Column("Added", "added"),
    ],
    statuses=Lead.Status.choices,
    csv_header=crm_exports.LEAD_HEADER,
    csv_row=crm_exports.lead_row,
)


@capability_required(CRM_VIEW)
@require_GET
def lead_list(request):
    may_add = request.membership.can(LEADS_MANAGE)
    return list_pages.list_page(
        request,
        LEADS,
        bulk_actions=[("contacted", "Mark contacted"), ("lost", "Mark lost")] if may_add else [],
        new_url=reverse("crm:lead_new") if may_add else "",
        new_label="New lead",
        search_hint="Name, company, email or phone",
    )


@capability_required(CRM_VIEW)
@require_GET
def lead_export(request):
    return list_pages.list_export(request, LEADS)


LEAD_BULK_STATUSES = {"contacted": Lead.Status.CONTACTED, "lost": Lead.Status.LOST}


@capability_required(CRM_VIEW)
@require_POST
def lead_bulk(request):
    """Export the ticked leads, or mark them Contacted or Lost (who may manage leads)."""
    status = LEAD_BULK_STATUSES.get(request.POST.get("action", ""))
    if status is None:
        return list_pages.list_bulk_export(request, LEADS)
    if not request.membership.can(LEADS_MANAGE):
        raise PermissionDenied("You do not have permission to do that.")
    ids = object_ids(request.POST.getlist(LEADS.slug))[: list_pages.BULK_MAX]
    back = safe_next(request) or reverse("crm:lead_list")
    if not ids:
        messages.error(request, "Choose at least one lead.")
        return redirect(back)
    done, skipped = leads_status_set_many(
        organisation=request.organisation, ids=ids, actor=request.user, status=status
    )
    label = Lead.Status(status).label
    messages.success(request, f"{done} lead{pluralize(done)} marked {label}.")
    if skipped:
        messages.error(
            request,
            f"{skipped} converted lead{pluralize(skipped)} stay{'s' if skipped == 1 else ''} Won.",
        )
    return redirect(back)


@capability_required(CRM_VIEW)
@require_GET
def lead_detail(request, pk: int):
    lead = selectors.lead_get(organisation=request.organisation, pk=pk)
    return render(
        request,
        "crm/lead_detail.html",
        {"lead": lead, "status_form": LeadStatusForm(initial={"status": lead.status})},
    )


def _lead_form_page(request, *, lead: Lead | None):
    organisation = request.organisation
    if request.method == "POST":
        form = LeadForm(request.POST, organisation=organisation)
        if form.is_valid():
            try:
                if lead is None:
                    lead = lead_create(
                        organisation=organisation, actor=request.user, data=form.lead_input()
                    )
                else:
                    lead = lead_update(lead=lead, actor=request.user, data=form.lead_input())
                messages.success(request, f"Lead {lead.name} saved.")
                return redirect("crm:lead_detail", pk=lead.pk)
            except ValidationError as error:
                apply_validation_error(form, error)
    else:
        form = LeadForm(
            initial=LeadForm.initial_for(lead) if lead else None, organisation=organisation
        )
    return render(
        request,
        "crm/lead_form.html",
        {"form": form, "lead": lead},
        status=400 if request.method == "POST" else 200,
    )


@capability_required(LEADS_MANAGE)
def lead_new(request):
    return _lead_form_page(request, lead=None)


@capability_required(LEADS_MANAGE)
def lead_edit(request, pk: int):
    lead = selectors.lead_get(organisation=request.organisation, pk=pk)
    return _lead_form_page(request, lead=lead)


@capability_required(LEADS_MANAGE)
@require_POST
def lead_status(request, pk: int):
    lead = selectors.lead_get(organisation=request.organisation, pk=pk)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
        return redirect("crm:lead_detail", pk=lead.pk)
    try:
        lead = lead_status_set(lead=lead, actor=request.user, status=form.cleaned_data["status"])
        messages.success(request, f"{lead.name} is now {lead.get_status_display()}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("crm:lead_detail", pk=lead.pk)


@capability_required(LEADS_MANAGE)
@require_POST
def lead_convert_view(request, pk: int):
    lead = selectors.lead_get(organisation=request.organisation, pk=pk)
    try:
        customer = lead_convert(lead=lead, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("crm:lead_detail", pk=lead.pk)
    messages.success(request, f"{lead.name} converted: {customer.name} is now a customer.")
    return redirect("crm:customer_detail", pk=customer.pk)
