"""/sandbox/stripe/pay/<session id>/: the hosted payment page a Checkout Session's url opens.
It shows who is paid and what for, and takes a card: Stripe's test cards decide the outcome
(4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined with "Your card was
declined."). A paid session goes on to its success_url; a back link goes to its cancel_url."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sandbox.models import StripeCheckoutSession

from . import cards, checkout
from .forms import CardForm
from .payments import money


def _session(session_id: str, *, lock: bool) -> StripeCheckoutSession:
    query = StripeCheckoutSession.objects.select_related("account", "payment_intent")
    if lock:
        query = query.select_for_update(of=("self",))
    session = query.filter(session_id=session_id).first()
    if session is None:
        raise Http404("No such Checkout Session.")
    return session


@require_http_methods(["GET", "POST"])
def payment_page(request: HttpRequest, session_id: str) -> HttpResponse:
    root = request.build_absolute_uri("/")
    form = CardForm(request.POST if request.method == "POST" else None)
    declined = ""
    with transaction.atomic():
        session = _session(session_id, lock=True)
        checkout.expire_if_due(session, root)
        is_open = session.status == StripeCheckoutSession.Status.OPEN
        if request.method == "POST" and is_open and form.is_valid():
            verdict = cards.verdict(form.cleaned_data["number"], livemode=session.livemode)
            checkout.attempt(session, verdict, email=form.cleaned_data["email"], root=root)
            if verdict.approved:
                if session.success_url:
                    return HttpResponseRedirect(checkout.success_redirect(session))
                is_open = False
            else:
                declined = verdict.message
    if not form.is_bound:
        form = CardForm(initial={"email": session.customer_email})
    context = {
        "session": session,
        "is_open": is_open,
        "form": form,
        "declined": declined,
        "total": money(session.amount_total, session.currency),
        "items": [
            {**item, "amount": money(item["unit_amount"] * item["quantity"], session.currency)}
            for item in session.line_items
        ],
    }
    status = 402 if declined else 400 if form.is_bound and form.errors else 200
    return render(request, "sandbox/stripe/pay.html", context, status=status)
