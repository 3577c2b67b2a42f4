"""The emulated Express Dashboard a login link opens, and the Refund button it shares with the
control page. The login link is used by its first visit and then leads to the account's
dashboard page: its payments, each with what was refunded and a Refund button."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from sandbox.core.control import back
from sandbox.models import StripeAccount, StripeCharge, StripePaymentIntent

from . import links, payments
from .constants import KEY
from .forms import RefundForm


@dataclass
class PaymentRow:
    intent: StripePaymentIntent
    charge: StripeCharge | None
    amount: str
    refunded: str
    status: str  # "Succeeded", "Partially refunded", "Refunded", "Incomplete"
    created: dt.datetime


def payment_rows(intents: Iterable[StripePaymentIntent]) -> list[PaymentRow]:
    """Each PaymentIntent as a dashboard lists it (charges prefetched)."""
    rows = []
    for intent in intents:
        charge = payments.latest_charge(intent)
        refunded = charge.amount_refunded if charge else 0
        if charge is None:
            status = "Incomplete"
        elif charge.refunded:
            status = "Refunded"
        elif refunded:
            status = "Partially refunded"
        else:
            status = "Succeeded"
        rows.append(
            PaymentRow(
                intent=intent,
                charge=charge,
                amount=payments.money(intent.amount, intent.currency),
                refunded=payments.money(refunded, intent.currency) if refunded else "",
                status=status,
                created=dt.datetime.fromtimestamp(intent.created, dt.UTC),
            )
        )
    return rows


@require_GET
def login(request: HttpRequest, token: str) -> HttpResponse:
    link = links.find(token, ["login"])
    if link is None or not links.usable(link):
        return render(request, "sandbox/stripe/link_expired.html", status=410)
    links.use(link)
    return redirect("sandbox:stripe_dashboard", account_id=link.account.account_id)


@require_GET
def dashboard(request: HttpRequest, account_id: str) -> HttpResponse:
    account = get_object_or_404(StripeAccount, account_id=account_id)
    intents = StripePaymentIntent.objects.filter(account=account).prefetch_related("charges")
    context = {"account": account, "payments": payment_rows(intents)}
    return render(request, "sandbox/stripe/dashboard.html", context)


@require_POST
def refund(request: HttpRequest, charge_id: str) -> HttpResponse:
    """A Refund button (the dashboard's or the control page's): the amount entered, or what
    is left, refunded; charge.refunded goes to the Connect endpoint."""
    from_dashboard = request.POST.get("next") == "dashboard"
    form = RefundForm(request.POST)
    with transaction.atomic():
        charge = get_object_or_404(
            StripeCharge.objects.select_for_update(of=("self",)).select_related(
                "payment_intent__account"
            ),
            charge_id=charge_id,
        )
        account = charge.payment_intent.account
        if not form.is_valid():
            messages.error(request, "Enter an amount of at least 0.01.")
        else:
            amount = form.cleaned_data["amount"]
            minor = None if amount is None else int(amount * 100)
            try:
                made = payments.refund(
                    charge,
                    amount=minor,
                    reason="requested_by_customer",
                    source="Refund button" + (" on the dashboard" if from_dashboard else ""),
                )
            except payments.RefundRefused as refused:
                messages.error(request, f"{charge.charge_id}: {refused.message}")
            else:
                currency = charge.payment_intent.currency
                messages.success(
                    request,
                    f"Refunded {payments.money(made.amount, currency)} of {charge.charge_id}.",
                )
    if from_dashboard:
        url = reverse("sandbox:stripe_dashboard", args=[account.account_id])
        return HttpResponseRedirect(f"{url}#{charge.charge_id}")
    return back(KEY, charge.charge_id)
