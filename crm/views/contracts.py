from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import CONTRACTS_MANAGE, CRM_VIEW
from accounts.permissions import capability_required
from crm import selectors
from crm.forms import ContractForm, ContractSignForm, ListFilterForm
from crm.models import Contract
from crm.org_time import organisation_time
from crm.services.contracts import contract_mark_sent, contract_mark_signed, contract_save
from invoicing.views.common import apply_validation_error, page_number

PAGE_SIZE = 25


@capability_required(CRM_VIEW)
@require_GET
def contract_list(request):
    filter_form = ListFilterForm(request.GET, statuses=Contract.Status.choices)
    rows = selectors.contract_list(organisation=request.organisation, filters=filter_form.filters())
    page = Paginator(rows, PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    query = request.GET.copy()
    query.pop("page", None)
    with organisation_time(request.organisation):
        return render(
            request,
            "crm/contract_list.html",
            {"page": page, "filter_form": filter_form, "query": query.urlencode()},
        )


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
