"""What the invoice pages show about syncing: a badge per active connection, and the sync
panel with Sync now. Registered with invoicing's extension points in IntegrationsConfig."""

from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from invoicing.extensions import Badge
from invoicing.models import Invoice

from . import registry
from .fixes import fix_steps
from .models import Connection, SyncRecord

# Added to the URL a pending badge or sync line polls: the answer that finds it settled
# knows it changed on the page (a toast when it failed, "sync-settled" for other panels).
WAS_PENDING = "pending"


def syncing_connections(
    organisation: Organisation, states: Sequence[str] = (Connection.State.ACTIVE,)
) -> list[tuple[registry.Provider, Connection]]:
    """Connections in `states` (active ones, unless told) whose provider shows a badge on
    invoices."""
    pairs = []
    for connection in Connection.objects.filter(
        organisation=organisation, state__in=states
    ).order_by("provider"):
        provider = registry.get(connection.provider)
        if provider is not None and provider.synced_label:
            pairs.append((provider, connection))
    return pairs


def badge(
    *, provider: registry.Provider, invoice: Invoice, record: SyncRecord | None
) -> Badge | None:
    refresh_url = reverse("sync:badge", args=[provider.key, invoice.pk])
    note = record.badge_note if record else ""
    if record is None:
        if invoice.status == Invoice.Status.DRAFT:
            return None
        return Badge(
            label="Not synced",
            tone="grey",
            title=f"Not sent to {provider.name} yet. Sync now sends it.",
            refresh_url=refresh_url,
        )
    if record.state == SyncRecord.State.PENDING:
        return Badge(
            label="Pending",
            tone="grey",
            title="Queued, not yet sent",
            refresh_url=f"{refresh_url}?{WAS_PENDING}=1",
            settled=False,
        )
    if record.state == SyncRecord.State.FAILED:
        return Badge(
            label="Sync failed",
            tone="red",
            title=record.reason_text or "Sync failed",
            refresh_url=refresh_url,
        )
    when = timezone.localtime(record.last_synced_at) if record.last_synced_at else None
    title = f"Last synced {when:%d %b %Y %H:%M}" if when else "Synced"
    return Badge(
        label=note or provider.synced_label,
        tone="orange" if note else "green",
        title=f"{title}. {note}" if note else title,
        refresh_url=refresh_url,
    )


def invoice_badges(
    organisation: Organisation, invoices: Sequence[Invoice]
) -> dict[int, list[Badge]]:
    """Badges for a page of invoices: two queries, however many invoices and connections."""
    pairs = syncing_connections(organisation)
    if not pairs or not invoices:
        return {}
    records = SyncRecord.objects.filter(
        connection__in=[connection for _, connection in pairs],
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id__in=[invoice.pk for invoice in invoices],
    )
    by_key = {(r.connection_id, r.object_id): r for r in records}
    result: dict[int, list[Badge]] = {}
    for invoice in invoices:
        badges = []
        for provider, connection in pairs:
            record = by_key.get((connection.pk, invoice.pk))
            # In a list, an invoice that was never sent shows nothing: its page says
            # "Not synced" beside the provider's name, where it cannot be misread.
            if record is not None:
                badges.append(badge(provider=provider, invoice=invoice, record=record))
        result[invoice.pk] = badges
    return result


def sync_panel_context(request, invoice: Invoice) -> dict[str, Any] | None:
    """The invoice page's sync panel: the badge and Sync now of each syncing connection whose
    provider takes this kind of invoice. An interrupted connection (waiting for a reconnect)
    shows its line only where the invoice failed on it, to say what to fix."""
    pairs = [
        (provider, connection)
        for provider, connection in syncing_connections(
            invoice.organisation, Connection.LINKED_STATES
        )
        if not provider.push_refusal(invoice)
    ]
    if not pairs:
        return None
    records = {
        r.connection_id: r
        for r in SyncRecord.objects.filter(
            connection__in=[connection for _, connection in pairs],
            object_type=ContentType.objects.get_for_model(Invoice),
            object_id=invoice.pk,
        )
    }
    rows = [
        sync_row(
            request,
            provider=provider,
            invoice=invoice,
            record=records.get(c.pk),
            active=c.is_active,
        )
        for provider, c in pairs
        if c.is_active or _failed(records.get(c.pk))
    ]
    return {"sync_rows": rows} if rows else None


def _failed(record: SyncRecord | None) -> bool:
    return record is not None and record.state == SyncRecord.State.FAILED


def sync_row(
    request,
    *,
    provider: registry.Provider,
    invoice: Invoice,
    record: SyncRecord | None,
    active: bool = True,
) -> dict[str, Any]:
    """One provider's line in the sync panel: its badge, the reason with what to fix, and
    the action."""
    shown = badge(provider=provider, invoice=invoice, record=record)
    row_url = reverse("sync:row", args=[provider.key, invoice.pk])
    steps = {}
    if record is not None:
        steps = fix_steps(
            [record],
            provider=provider,
            organisation_id=invoice.organisation_id,
            membership=request.membership,
            back_to=reverse("invoicing:invoice_detail", args=[invoice.pk]),
        )
    return {
        "provider": provider,
        "badge": shown,
        "can_sync": active
        and bool(request.membership and request.membership.can(provider.sync_capability)),
        "sync_url": reverse("sync:sync_now", args=[provider.key, invoice.pk]),
        "row_url": f"{row_url}?{WAS_PENDING}=1" if shown and not shown.settled else row_url,
        "failed_url": reverse("sync:failed", args=[provider.key]),
        "finalised": invoice.status != Invoice.Status.DRAFT,
        "remote_url": record.remote_url if record and record.external_id else "",
        "fix_steps": steps.get(record.pk, []) if record else [],
    }


def failed_toast(*, provider: registry.Provider, invoice: Invoice, record: SyncRecord) -> str:
    """What the user is told when an invoice they were watching turns red."""
    name = invoice.number or f"Invoice {invoice.pk}"
    text = f"{name} could not be sent to {provider.name}"
    return f"{text}: {record.reason_text}" if record.reason_text else f"{text}."
