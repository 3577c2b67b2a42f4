from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.capabilities import INVOICES_MANAGE
from accounts.permissions import capability_required
from invoicing import selectors
from invoicing.forms import PaymentDeleteForm, PaymentForm
from invoicing.services.payments import payment_delete, payment_record
from torqueflow.formatting import money

from .common import apply_validation_error


@capability_required(INVOICES_MANAGE)
def payment_new(request, pk: int):
    invoice = selectors.invoice_get(organisation=request.organisation, pk=pk)
    if invoice.balance_due <= 0:
        messages.error(request, "This invoice has nothing left to pay.")
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    form = PaymentForm(request.POST or None, invoice=invoice)
    if request.method == "POST" and form.is_valid():
        try:
            payment_record(invoice=invoice, actor=request.user, **form.cleaned_data)
            messages.success(
                request,
                f"Payment of {money(form.cleaned_data['amount'], invoice.currency)} recorded.",
            )
            return redirect("invoicing:invoice_detail", pk=invoice.pk)
        except ValidationError as error:
            apply_validation_error(form, error)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "invoicing/payment_form.html", {"invoice": invoice, "form": form}, status=status
    )


@capability_required(INVOICES_MANAGE)
@require_POST
def payment_remove(request, pk: int, payment_pk: int):
    invoice = selectors.invoice_get(organisation=request.organisation, pk=pk)
    payment = get_object_or_404(selectors.invoice_payments(invoice=invoice), pk=payment_pk)
    form = PaymentDeleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for deleting the payment.")
    else:
        payment_delete(payment=payment, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, "Payment deleted.")
    return redirect("invoicing:invoice_detail", pk=invoice.pk)
