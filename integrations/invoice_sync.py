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
from .models import Connection, SyncRecord


def syncing_connections(organisation: Organisation) -> list[tuple[registry.Provider, Connection]]:
    """Active connections whose provider shows a badge on invoices."""
    pairs = []
    for connection in Connection.objects.filter(
        organisation=organisation, state=Connection.State.ACTIVE
    ).order_by("provider"):
        provider = registry.get(connection.provider)
        if provider is not None and provider.synced_label:
            pairs.append((provider, connection))
    return pairs


def badge(
    *,
    provider: registry.Provider,
    invoice: Invoice,
    record: SyncRecord | None,
    connection: Connection | None = None,
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
            refresh_url=refresh_url,
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
    if note:
        return Badge(label=note, tone="orange", title=f"{title}. {note}", refresh_url=refresh_url)
    hint = provider.badge_hint(connection) if connection is not None else ""
    return Badge(
        label=provider.synced_label,
        tone="green",
        title=f"{title}. {hint}" if hint else title,
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
                badges.append(
                    badge(provider=provider, invoice=invoice, record=record, connection=connection)
                )
        result[invoice.pk] = badges
    return result


def sync_panel_context(request, invoice: Invoice) -> dict[str, Any] | None:
    """The invoice page's sync panel: the badge and Sync now of each syncing connection whose
    provider takes this kind of invoice."""
    pairs = [
        (provider, connection)
        for provider, connection in syncing_connections(invoice.organisation)
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
    return {
        "sync_rows": [
            sync_row(
                request,
                provider=provider,
                invoice=invoice,
                record=records.get(c.pk),
                connection=c,
            )
            for provider, c in pairs
        ]
    }


def sync_row(
    request,
    *,
    provider: registry.Provider,
    invoice: Invoice,
    record: SyncRecord | None,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """One provider's line in the sync panel: its badge, the reason, and the action."""
    return {
        "provider": provider,
        "badge": badge(provider=provider, invoice=invoice, record=record, connection=connection),
        "can_sync": bool(request.membership and request.membership.can(provider.sync_capability)),
        "sync_url": reverse("sync:sync_now", args=[provider.key, invoice.pk]),
        "row_url": reverse("sync:row", args=[provider.key, invoice.pk]),
        "failed_url": reverse("sync:failed", args=[provider.key]),
        "finalised": invoice.status != Invoice.Status.DRAFT,
        "remote_url": record.remote_url if record and record.external_id else "",
    }
