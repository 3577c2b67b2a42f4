"""/sandbox/ghl/pay/<invoice id>/: the customer's payment page, where text2pay's invoiceUrl
points. It shows the invoice and takes a card payment of what is due, or of part of it."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from sandbox.core.forms import PayForm
from sandbox.models import GhlInvoice

from . import payments


@require_http_methods(["GET", "POST"])
def payment_page(request: HttpRequest, invoice_id: str) -> HttpResponse:
    form = PayForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        with transaction.atomic():
            invoice = get_object_or_404(
                GhlInvoice.objects.select_for_update(of=("self",)).select_related("location"),
                invoice_id=invoice_id,
            )
            if form.is_valid():
                amount = form.cleaned_data["amount"] or invoice.amount_due
                error = payments.payment_error(invoice, amount)
                if not error:
                    payments.pay(invoice, amount, source="payment link")
                    messages.success(
                        request,
                        f"Thank you: your payment of {invoice.currency} {amount:.2f} was received.",
                    )
                    return redirect(request.path)
                form.add_error("amount", error)
        status = 400
    else:
        invoice = get_object_or_404(
            GhlInvoice.objects.select_related("location"), invoice_id=invoice_id
        )
        status = 200
    context = {
        "invoice": invoice,
        "form": form,
        "payable": payments.payment_error(invoice, invoice.amount_due) == "",
    }
    return render(request, "sandbox/ghl/pay.html", context, status=status)
