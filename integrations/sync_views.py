"""Sync now, the badge that polls until it settles, and the failed list with Retry failed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.capabilities import INVOICES_VIEW
from accounts.permissions import capability_required, membership_required
from invoicing.models import Invoice
from invoicing.selectors import invoice_get

from . import registry
from .fixes import fix_steps
from .invoice_sync import WAS_PENDING, badge, compact_badge, failed_toast, sync_row
from .models import Connection, SyncRecord
from .retry_progress import retry_progress
from .selectors import failed_records, record_for
from .services.sync import sync_now, sync_retry_failed

STOP_POLLING = 286  # htmx stops polling on this status and still swaps the content
FAILED_PAGE = "integrations/failed.html"


def _active(request, provider_key: str) -> tuple[registry.Provider, Connection]:
    provider = registry.get(provider_key)
    if provider is None:
        raise Http404("No such integration")
    connection = Connection.objects.filter(
        organisation=request.organisation, provider=provider.key, state=Connection.State.ACTIVE
    ).first()
    if connection is None:
        raise Http404(f"{provider.name} is not connected")
    return provider, connection


def _require(request, capability: str) -> None:
    if not request.membership.can(capability):
        raise PermissionDenied("You do not have permission to do that.")


def _badge_html(request, provider, connection, invoice, record) -> tuple[str, bool]:
    shown = badge(provider=provider, invoice=invoice, record=record, connection=connection)
    if request.GET.get("compact"):  # the invoice list's form
        shown = compact_badge(provider=provider, shown=shown)
    html = render_to_string("invoicing/_badge.html", {"badge": shown}, request=request)
    return html, shown is None or shown.settled


def _row_html(request, provider, connection, invoice, record) -> tuple[str, bool]:
    row = sync_row(
        request, provider=provider, invoice=invoice, record=record, connection=connection
    )
    html = render_to_string("integrations/_invoice_sync_row.html", {"row": row}, request=request)
    return html, row["badge"] is None or row["badge"].settled


def _announce_settled(
    request, response: HttpResponse, *, provider, invoice, record: SyncRecord | None
) -> None:
    """A badge the page was watching has settled: what depends on it refreshes (the
    "sync-settled" event), and a failure is told in a toast, not only by the red badge."""
    trigger_client_event(
        response, "sync-settled", {"provider": provider.key, "invoice": invoice.pk}
    )
    if record is not None and record.state == SyncRecord.State.FAILED:
        messages.error(request, failed_toast(provider=provider, invoice=invoice, record=record))


def _polled(request, html: str, settled: bool, **subject) -> HttpResponse:
    """The answer to a poll: 286 stops it once settled; a poll from a pending badge that
    finds it settled announces the change."""
    if not request.htmx:
        return HttpResponse(html)
    response = HttpResponse(html, status=STOP_POLLING if settled else 200)
    if settled and request.GET.get(WAS_PENDING) == "1":
        _announce_settled(request, response, **subject)
    return response


@membership_required
@require_POST
def sync_now_view(request, provider: str, pk: int):
    provider, connection = _active(request, provider)
    _require(request, provider.sync_capability)
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    refusal = provider.push_refusal(invoice)
    queued = False
    if refusal:
        messages.error(request, f"{refusal}.")
    elif invoice.status == Invoice.Status.DRAFT:
        messages.error(request, "Finalise the invoice before syncing it.")
    else:
        sync_now(connection=connection, obj=invoice, actor=request.user)
        messages.success(request, "Queued")
        queued = True
    if not request.htmx:
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    record = record_for(connection, invoice)
    html, settled = _row_html(request, provider, connection, invoice, record)
    response = HttpResponse(html)
    if queued and settled:
        # A worker that was quicker than this answer: the line comes back settled and will
        # not poll, so the change is announced here.
        _announce_settled(request, response, provider=provider, invoice=invoice, record=record)
    return response


@capability_required(INVOICES_VIEW)
@require_GET
def badge_view(request, provider: str, pk: int):
    provider, connection = _active(request, provider)
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    record = record_for(connection, invoice)
    html, settled = _badge_html(request, provider, connection, invoice, record)
    return _polled(request, html, settled, provider=provider, invoice=invoice, record=record)


@capability_required(INVOICES_VIEW)
@require_GET
def row_view(request, provider: str, pk: int):
    """The invoice page's sync line, polled while it is pending."""
    provider, connection = _active(request, provider)
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    record = record_for(connection, invoice)
    html, settled = _row_html(request, provider, connection, invoice, record)
    return _polled(request, html, settled, provider=provider, invoice=invoice, record=record)


def queued_again_message(count: int) -> str:
    return f"{count} invoice queued again." if count == 1 else f"{count} invoices queued again."


@membership_required
@require_http_methods(["GET", "POST"])
def failed_view(request, provider: str):
    """The failed list with Retry failed. While the records a Retry failed sent again are
    pending, the list follows them (htmx polls it) and says how many arrived."""
    provider, connection = _active(request, provider)
    _require(request, provider.sync_capability)
    if request.method == "POST":
        count = sync_retry_failed(connection=connection, actor=request.user)
        messages.success(request, queued_again_message(count) if count else "Nothing to retry.")
        return redirect("sync:failed", provider=provider.key)
    retry = retry_progress(connection=connection)
    page = Paginator(failed_records(connection=connection), 50).get_page(request.GET.get("page"))
    steps = fix_steps(
        page.object_list,
        provider=provider,
        organisation_id=request.organisation.pk,
        membership=request.membership,
        back_to=request.get_full_path(),
    )
    rows = [(record, steps.get(record.pk, [])) for record in page.object_list]
    context = {"provider": provider, "page": page, "retry": retry, "rows": rows}
    if not request.htmx:
        return render(request, FAILED_PAGE, context)
    response = render(request, f"{FAILED_PAGE}#failed-content", context)
    if retry is None or retry.settled:
        response.status_code = STOP_POLLING
    return response
