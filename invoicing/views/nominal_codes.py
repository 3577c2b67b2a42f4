from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from accounts.capabilities import FINANCE_SETTINGS_MANAGE, FINANCE_SETTINGS_VIEW
from accounts.permissions import capability_required
from invoicing import extensions, selectors
from invoicing.forms import NominalCodeForm
from invoicing.services.audit import audit_record

from .common import safe_next

PERMISSION_MESSAGE = "You do not have permission to manage finance settings"


@capability_required(
    FINANCE_SETTINGS_VIEW, message=PERMISSION_MESSAGE, redirect_to="settings_index"
)
@require_GET
def nominal_code_list(request):
    codes = list(selectors.nominal_codes(organisation=request.organisation))
    columns = extensions.account_code_columns(request.organisation, codes)
    rows = [
        (code, [(column.heading, column.values.get(code.pk, "")) for column in columns])
        for code in codes
    ]
    return render(request, "invoicing/nominal_code_list.html", {"rows": rows, "columns": columns})


@capability_required(
    FINANCE_SETTINGS_MANAGE, message=PERMISSION_MESSAGE, redirect_to="settings_index"
)
def nominal_code_form(request, pk: int | None = None):
    instance = None
    if pk is not None:
        instance = get_object_or_404(
            selectors.nominal_codes(organisation=request.organisation), pk=pk
        )
    form = NominalCodeForm(
        request.POST or None, instance=instance, organisation=request.organisation
    )
    back_to = safe_next(request)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            code = form.save(commit=False)
            code.organisation = request.organisation
            code.save()
            account_codes = form.account_codes()
            extensions.account_codes_save(code, account_codes)
            audit_record(
                organisation=request.organisation,
                actor=request.user,
                action="nominal_code.updated" if instance else "nominal_code.created",
                obj=code,
                details={"account_codes": account_codes, "changed": form.changed_data},
            )
        messages.success(request, f"Nominal code {code.code} saved.")
        return redirect(back_to or "settings_nominal_codes")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "invoicing/nominal_code_form.html",
        {"form": form, "object": instance, "next": back_to},
        status=status,
    )
