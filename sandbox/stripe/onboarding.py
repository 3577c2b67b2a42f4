"""/sandbox/stripe/connect/onboarding/<token>/: the hosted onboarding an Account Link opens.
Its first visit uses the link (this browser may then fill the form in); a used or expired
link sends the browser to the link's refresh_url. "Finish" with a business name and bank
account makes the account ready (charges and payouts enabled, nothing due); "Leave for later"
keeps what was entered and leaves the identity document (and whatever is missing) due. Both
go back to the return_url; each change queues account.updated."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sandbox.models import StripeAccount, StripeLink

from . import accounts, constants, links
from .forms import OnboardingForm

SESSION_KEY = "sandbox_stripe_onboarding"
KINDS = [StripeLink.Kind.ONBOARDING, StripeLink.Kind.UPDATE]


def _opened_here(request: HttpRequest, link: StripeLink) -> bool:
    return link.pk in request.session.get(SESSION_KEY, [])


def _open(request: HttpRequest, link: StripeLink) -> None:
    links.use(link)
    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, []), link.pk][-10:]


def _close(request: HttpRequest, link: StripeLink) -> None:
    request.session[SESSION_KEY] = [
        pk for pk in request.session.get(SESSION_KEY, []) if pk != link.pk
    ]


def apply(account: StripeAccount, form: OnboardingForm, *, finish: bool) -> None:
    """What the form gave, onto the row-locked account; account.updated when it changed."""
    before = accounts.serialize(account)
    data = form.cleaned_data
    if name := data.get("business_name", "").strip():
        account.business_name = name
    if last4 := form.bank_last4():
        account.bank_last4 = last4
    if finish:
        account.details_submitted = True
        account.currently_due, account.eventually_due = [], []
    else:
        due = list(constants.LEFT_FOR_LATER)
        if not account.bank_last4:
            due.insert(0, "external_account")
        if not account.business_name:
            due.insert(0, "business_profile.name")
        account.currently_due = due
        account.eventually_due = due
    account.save()
    accounts.changed(account, before, "Onboarding " + ("finished" if finish else "left for later"))


@require_http_methods(["GET", "POST"])
def onboarding_page(request: HttpRequest, token: str) -> HttpResponse:
    link = links.find(token, KINDS)
    if link is None:
        raise Http404("No such link.")
    if not _opened_here(request, link):
        if not links.usable(link) or request.method == "POST":
            return HttpResponseRedirect(link.refresh_url)
        _open(request, link)
    form = OnboardingForm(
        request.POST if request.method == "POST" else None,
        initial={"business_name": link.account.business_name},
    )
    status = 200
    if request.method == "POST":
        finish = request.POST.get("action") == "finish"
        if form.is_valid() and finish:
            form.require_all()
        if form.is_valid():
            with transaction.atomic():
                account = StripeAccount.objects.select_for_update().get(pk=link.account_id)
                apply(account, form, finish=finish)
            _close(request, link)
            return HttpResponseRedirect(link.return_url)
        status = 400
    context = {
        "account": link.account,
        "form": form,
        "test_bank": (constants.TEST_SORT_CODE, constants.TEST_ACCOUNT_NUMBER, constants.TEST_IBAN),
    }
    return render(request, "sandbox/stripe/onboarding.html", context, status=status)
