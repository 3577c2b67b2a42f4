"""The back-fill on a provider's page: "Send N earlier invoices to Xero" with a date range,
a confirmation, and the progress that survives a reload. Thin views over services.backfill.

The page's section (integrations/_backfill.html) serves its fragments: the offer that
follows the date range, and the progress that polls while the back-fill runs.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import registry, selectors
from .forms import BackfillRangeForm
from .models import Connection
from .services.backfill import (
    backfill_current,
    backfill_dismiss,
    backfill_offered,
    backfill_progress,
    backfill_settle,
    backfill_start,
)
from .views import manage_integrations

SECTION = "integrations/_backfill.html"
STOP_POLLING = 286  # htmx stops polling on this status and still swaps the content


def _offered(request, key: str) -> tuple[registry.Provider, Connection]:
    """The provider and its active connection, when its page offers a back-fill; else 404."""
    provider = registry.get(key)
    if provider is None:
        raise Http404("No such integration")
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    if not backfill_offered(connection=connection):
        raise Http404(f"{provider.name} has no earlier invoices to send")
    return provider, connection


def _page_url(provider: registry.Provider) -> str:
    return reverse("integrations:provider", args=[provider.key])


@manage_integrations
@require_GET
def offer(request, provider: str):
    """The count and the button for the chosen dates (the range's htmx request)."""
    provider, connection = _offered(request, provider)
    context = selectors.backfill_offer(provider, connection, BackfillRangeForm(request.GET))
    return render(request, f"{SECTION}#offer-response", context)


@manage_integrations
@require_http_methods(["GET", "POST"])
def start(request, provider: str):
    """GET: the confirmation as a page of its own (the dialog without JS). POST: start."""
    provider, connection = _offered(request, provider)
    form = BackfillRangeForm(request.POST if request.method == "POST" else request.GET)
    if request.method == "POST" and form.is_valid():
        try:
            backfill_start(connection=connection, actor=request.user, **form.range())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Sending earlier invoices to {provider.name}.")
        return redirect(_page_url(provider))
    context = selectors.backfill_offer(provider, connection, form)
    status = 400 if not form.is_valid() else 200
    return render(request, "integrations/backfill_confirm.html", context, status=status)


@manage_integrations
@require_GET
def progress(request, provider: str):
    """The progress bar, polled while the back-fill runs; the figures once it is done."""
    provider, connection = _offered(request, provider)
    backfill_settle(connection_id=connection.pk)
    backfill = backfill_current(connection=connection)
    if backfill is None:
        return HttpResponse(status=STOP_POLLING)
    shown = backfill_progress(backfill=backfill)
    return render(
        request,
        f"{SECTION}#progress",
        {"provider": provider, "progress": shown},
        status=STOP_POLLING if shown.finished and request.htmx else 200,
    )


@manage_integrations
@require_POST
def dismiss(request, provider: str):
    provider, connection = _offered(request, provider)
    backfill_dismiss(connection=connection)
    return redirect(_page_url(provider))
