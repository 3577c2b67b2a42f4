from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import CONTRACTS_MANAGE, CRM_VIEW
from accounts.permissions import capability_required
from crm import exports as crm_exports
from crm import list_pages, selectors
from crm.forms import ContractForm, ContractSignForm
from crm.models import Contract
from crm.org_time import organisation_time
from crm.services.contracts import contract_mark_sent, contract_mark_signed, contract_save
from invoicing import listing
from invoicing.views.common import apply_validation_error

CONTRACTS = list_pages.CrmList(
    slug="contracts",
    title="Contracts",
    row_template="crm/_contract_row.html",
    rows=selectors.contract_list,
    sorts={
        "title": ("title",),
        "customer": ("customer__name",),
        "project": ("project__name",),
        "status": ("status",),
        "signed": ("signed_at",),
    },
    columns=[
        listing.Column("Contract", "title"),
        listing.Column("Customer", "customer"),
        listing.Column("Project", "project"),
        listing.Column("Status", "status"),
        listing.Column("Signed", "signed"),
    ],
    statuses=Contract.Status.choices,
    csv_header=crm_exports.CONTRACT_HEADER,
    csv_row=crm_exports.contract_row,
)


@capability_required(CRM_VIEW)
@require_GET
def contract_list(request):
    may_add = request.membership.can(CONTRACTS_MANAGE)
    return list_pages.list_page(
        request,
        CONTRACTS,
        new_url=reverse("crm:contract_new") if may_add else "",
        new_label="New contract",
        search_hint="Title or customer",
    )


@capability_required(CRM_VIEW)
@require_GET
def contract_export(request):
    return list_pages.list_export(request, CONTRACTS)


@capability_required(CRM_VIEW)
@require_POST
def contract_bulk(request):
    return list_pages.list_bulk_export(request, CONTRACTS)


@capability_required(CONTRACTS_MANAGE)
def contract_form(request, pk: int | None = None):
    instance = None
    if pk is not None:
        instance = selectors.contract_get(organisation=request.organisation, pk=pk)
        if instance.status == Contract.Status.SIGNED:
            messages.error(request, "This contract is signed and can no longer be changed.")
            return redirect("crm:contract_detail", pk=instance.pk)
    form = ContractForm(
        request.POST or None,
        request.FILES or None,
        instance=instance,
        organisation=request.organisation,
    )
    if request.method == "POST" and form.is_valid():
        try:
            contract = contract_save(
                contract=form.save(commit=False),
                actor=request.user,
                changed=form.changed_data,
                upload=form.cleaned_data.get("document"),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{contract.title} saved.")
            return redirect("crm:contract_detail", pk=contract.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "crm/contract_form.html", {"form": form, "object": instance}, status=status
    )


@capability_required(CRM_VIEW)
@require_GET
def contract_detail(request, pk: int):
    contract = selectors.contract_get(organisation=request.organisation, pk=pk)
    with organisation_time(request.organisation):
        return render(request, "crm/contract_detail.html", {"contract": contract})


@capability_required(CRM_VIEW)
@require_GET
def contract_document(request, pk: int):
    """The contract's PDF, for members of its organisation only (never a public URL)."""
    contract = selectors.contract_get(organisation=request.organisation, pk=pk)
    if not contract.document:
        raise Http404("This contract has no PDF.")
    try:
        handle = contract.document.open("rb")
    except FileNotFoundError as missing:
        raise Http404("The PDF is missing.") from missing
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=False,
        filename=contract.document_name or f"{contract.title}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required(CONTRACTS_MANAGE)
@require_POST
def contract_send(request, pk: int):
    contract = selectors.contract_get(organisation=request.organisation, pk=pk)
    try:
        contract_mark_sent(contract=contract, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{contract.title} marked sent.")
    return redirect("crm:contract_detail", pk=contract.pk)


@capability_required(CONTRACTS_MANAGE)
def contract_sign(request, pk: int):
    contract = selectors.contract_get(organisation=request.organisation, pk=pk)
    if contract.status == Contract.Status.SIGNED:
        messages.error(request, "This contract is already signed.")
        return redirect("crm:contract_detail", pk=contract.pk)
    with organisation_time(request.organisation):
        form = ContractSignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                contract_mark_signed(
                    contract=contract,
                    signed_by_name=form.cleaned_data["signed_by_name"],
                    signed_at=form.cleaned_data["signed_at"],
                    actor=request.user,
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, f"{contract.title} marked signed.")
                return redirect("crm:contract_detail", pk=contract.pk)
        status = 400 if request.method == "POST" else 200
        return render(
            request, "crm/contract_sign.html", {"form": form, "contract": contract}, status=status
        )
