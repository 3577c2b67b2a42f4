from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import CRM_VIEW, PROJECTS_MANAGE
from accounts.permissions import capability_required
from crm import exports as crm_exports
from crm import list_pages, selectors
from crm.forms import InvoiceLinkForm, ProjectForm
from crm.models import Project
from crm.services.projects import project_invoice_link, project_invoice_unlink, project_save
from invoicing import listing
from invoicing.views.common import apply_validation_error

PROJECTS = list_pages.CrmList(
    slug="projects",
    title="Projects",
    row_template="crm/_project_row.html",
    rows=selectors.project_list,
    sorts={
        "name": ("name",),
        "customer": ("customer__name",),
        "status": ("status",),
        "start": ("start_date",),
        "due": ("due_date",),
    },
    columns=[
        listing.Column("Project", "name"),
        listing.Column("Customer", "customer"),
        listing.Column("Status", "status"),
        listing.Column("Start", "start"),
        listing.Column("Due", "due"),
    ],
    statuses=Project.Status.choices,
    csv_header=crm_exports.PROJECT_HEADER,
    csv_row=crm_exports.project_row,
)


@capability_required(CRM_VIEW)
@require_GET
def project_list(request):
    may_add = request.membership.can(PROJECTS_MANAGE)
    return list_pages.list_page(
        request,
        PROJECTS,
        new_url=reverse("crm:project_new") if may_add else "",
        new_label="New project",
        search_hint="Project or customer",
    )


@capability_required(CRM_VIEW)
@require_GET
def project_export(request):
    return list_pages.list_export(request, PROJECTS)


@capability_required(CRM_VIEW)
@require_POST
def project_bulk(request):
    return list_pages.list_bulk_export(request, PROJECTS)


@capability_required(PROJECTS_MANAGE)
def project_form(request, pk: int | None = None):
    instance = None
    if pk is not None:
        instance = selectors.project_get(organisation=request.organisation, pk=pk)
    form = ProjectForm(request.POST or None, instance=instance, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_save(
                project=form.save(commit=False), actor=request.user, changed=form.changed_data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{project.name} saved.")
            return redirect("crm:project_detail", pk=project.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "crm/project_form.html", {"form": form, "object": instance}, status=status
    )


def _detail(request, project: Project, link_form: InvoiceLinkForm, status: int = 200):
    return render(
        request,
        "crm/project_detail.html",
        {
            "project": project,
            "invoices": selectors.project_invoices(project=project),
            "contracts": project.contracts.all(),
            "quotes": project.quotes.order_by("-issue_date", "-pk"),
            "link_form": link_form,
        },
        status=status,
    )


@capability_required(CRM_VIEW)
@require_GET
def project_detail(request, pk: int):
    project = selectors.project_get(organisation=request.organisation, pk=pk)
    return _detail(request, project, InvoiceLinkForm(project=project))


@capability_required(PROJECTS_MANAGE)
@require_POST
def project_invoice_add(request, pk: int):
    project = selectors.project_get(organisation=request.organisation, pk=pk)
    form = InvoiceLinkForm(request.POST, project=project)
    if form.is_valid():
        invoice = form.cleaned_data["invoice"]
        try:
            project_invoice_link(project=project, invoice=invoice, actor=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{invoice.number} linked to {project.name}.")
            return redirect("crm:project_detail", pk=project.pk)
    return _detail(request, project, form, status=400)


@capability_required(PROJECTS_MANAGE)
@require_POST
def project_invoice_remove(request, pk: int, invoice_pk: int):
    project = selectors.project_get(organisation=request.organisation, pk=pk)
    invoice = get_object_or_404(project.invoices.all(), pk=invoice_pk)
    project_invoice_unlink(project=project, invoice=invoice, actor=request.user)
    messages.success(request, f"{invoice.number} unlinked from {project.name}.")
    return redirect("crm:project_detail", pk=project.pk)
