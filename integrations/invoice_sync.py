"""What the invoice pages show about syncing: a badge per active connection, a grey "Was in
…" where an invoice was sent to an account that is no longer synced with (a disconnected
connection's records, or history left by a connection that moved to another account), and
the sync panel with Sync now. Registered with invoicing's extension points in
IntegrationsConfig."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from invoicing.extensions import Badge
from invoicing.models import Invoice

from . import registry
from .fixes import fix_steps
from .models import Connection, PastSyncRecord, SyncRecord

# Added to the URL a pending badge or sync line polls: the answer that finds it settled
# knows it changed on the page (a toast when it failed, "sync-settled" for other panels).
WAS_PENDING = "pending"


def badge_connections(organisation: Organisation) -> list[tuple[registry.Provider, Connection]]:
    """Connections whose provider shows a badge on invoices, in any state: active ones sync;
    interrupted ones (waiting for a reconnect) show where an invoice failed; the ones no
    longer linked to an account (disconnected) say where invoices were."""
    pairs = []
    for connection in Connection.objects.filter(organisation=organisation).order_by("provider"):
        provider = registry.get(connection.provider)
        if provider is not None and provider.synced_label:
            pairs.append((provider, connection))
    return pairs


def _interrupted(connection: Connection) -> bool:
    return connection.state in Connection.INTERRUPTED_STATES


def _failed(record: SyncRecord | None) -> bool:
    return record is not None and record.state == SyncRecord.State.FAILED


def _short(provider: registry.Provider) -> str:
    return provider.short_name or provider.name


def _when(value) -> str:
    return f"{timezone.localtime(value):%d %b %Y %H:%M}" if value else ""


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
    when = _when(record.last_synced_at)
    title = f"Last synced {when}" if when else "Synced"
    if note:
        return Badge(label=note, tone="orange", title=f"{title}. {note}", refresh_url=refresh_url)
    hint = provider.badge_hint(connection) if connection is not None else ""
    return Badge(
        label=provider.synced_label,
        tone="green",
        title=f"{title}. {hint}" if hint else title,
        refresh_url=refresh_url,
    )


def compact_badge(*, provider: registry.Provider, shown: Badge | None) -> Badge | None:
    """The invoice list's form of a badge: the provider's short name and one word, with the
    full text in the hover, so each provider's badge fits side by side."""
    if shown is None:
        return None
    words = {
        "Not synced": "Not synced",
        "Pending": "Pending",
        "Sync failed": "Failed",
        provider.synced_label: provider.synced_word,
    }
    word = words.get(shown.label)
    refresh_url = ""
    if shown.refresh_url:
        joiner = "&" if "?" in shown.refresh_url else "?"
        refresh_url = f"{shown.refresh_url}{joiner}compact=1"
    if word is None:  # a note ("Voided in GHL") names the provider already
        return replace(shown, refresh_url=refresh_url)
    full = shown.label if shown.label == provider.synced_label else f"{provider.name}: {word}"
    return replace(
        shown,
        label=f"{_short(provider)}: {word}",
        title=f"{full}. {shown.title}",
        refresh_url=refresh_url,
    )


@dataclass(frozen=True)
class WasIn:
    """An invoice that was in an account the organisation no longer syncs with."""

    provider: registry.Provider
    account: str  # "Xero" after a disconnect, the organisation's name after a move
    external_id: str
    last_synced_at: Any
    remote_url: str = ""

    @property
    def badge(self) -> Badge:
        when = _when(self.last_synced_at)
        title = f"{self.provider.name} invoice ID {self.external_id}"
        return Badge(
            label=f"Was in {self.account}",
            tone="grey",
            title=f"{title}. Last synced {when}" if when else title,
        )


def _was_in_disconnected(provider: registry.Provider, record: SyncRecord) -> WasIn:
    return WasIn(
        provider=provider,
        account=provider.name,
        external_id=record.external_id,
        last_synced_at=record.last_synced_at,
        remote_url=record.remote_url,
    )


def _was_in_past(provider: registry.Provider, past: PastSyncRecord) -> WasIn:
    # No link: the provider's page for it opens in whichever account its user is in now.
    return WasIn(
        provider=provider,
        account=past.remote_account_name or past.remote_account_id or provider.name,
        external_id=past.external_id,
        last_synced_at=past.last_synced_at,
    )


def _past_records(
    organisation: Organisation, invoice_ids: Sequence[int]
) -> list[tuple[registry.Provider, PastSyncRecord]]:
    rows = PastSyncRecord.objects.filter(
        organisation=organisation,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id__in=invoice_ids,
    ).order_by("archived_at", "pk")
    found = []
    for row in rows:
        provider = registry.get(row.provider)
        if provider is not None and provider.synced_label:
            found.append((provider, row))
    return found


def invoice_badges(
    organisation: Organisation, invoices: Sequence[Invoice]
) -> dict[int, list[Badge]]:
    """Badges for a page of invoices: each active provider's compact badge (Not synced too,
    for an invoice it takes), then where each invoice was. Three queries, however many
    invoices, connections and past accounts."""
    if not invoices:
        return {}
    ids = [invoice.pk for invoice in invoices]
    pairs = badge_connections(organisation)
    records = SyncRecord.objects.filter(
        connection__in=[connection for _, connection in pairs],
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id__in=ids,
    )
    by_key = {(r.connection_id, r.object_id): r for r in records} if pairs else {}
    past: dict[int, list[WasIn]] = {}
    for provider, row in _past_records(organisation, ids):
        past.setdefault(row.object_id, []).append(_was_in_past(provider, row))
    result: dict[int, list[Badge]] = {}
    for invoice in invoices:
        badges = []
        for provider, connection in pairs:
            record = by_key.get((connection.pk, invoice.pk))
            if connection.is_active:
                never_sent_void = record is None and invoice.status == Invoice.Status.VOID
                if never_sent_void or provider.push_refusal(invoice):
                    continue
                shown = badge(
                    provider=provider, invoice=invoice, record=record, connection=connection
                )
                if shown is not None:
                    badges.append(compact_badge(provider=provider, shown=shown))
            elif _interrupted(connection):
                if _failed(record) and not provider.push_refusal(invoice):
                    shown = badge(
                        provider=provider, invoice=invoice, record=record, connection=connection
                    )
                    badges.append(compact_badge(provider=provider, shown=shown))
            elif record is not None and record.external_id:
                badges.append(_was_in_disconnected(provider, record).badge)
        badges.extend(was.badge for was in past.get(invoice.pk, []))
        result[invoice.pk] = badges
    return result


def sync_panel_context(request, invoice: Invoice) -> dict[str, Any] | None:
    """The invoice page's sync panel: the badge and Sync now of each syncing connection whose
    provider takes this kind of invoice, then a line for each account it was in. An
    interrupted connection (waiting for a reconnect) shows its line only where the invoice
    failed on it, to say what to fix."""
    pairs = badge_connections(invoice.organisation)
    records = {
        r.connection_id: r
        for r in SyncRecord.objects.filter(
            connection__in=[connection for _, connection in pairs],
            object_type=ContentType.objects.get_for_model(Invoice),
            object_id=invoice.pk,
        )
    }
    rows = []
    history = []
    for provider, connection in pairs:
        record = records.get(connection.pk)
        if connection.is_active or (_interrupted(connection) and _failed(record)):
            if not provider.push_refusal(invoice):
                rows.append(
                    sync_row(
                        request,
                        provider=provider,
                        invoice=invoice,
                        record=record,
                        active=connection.is_active,
                        connection=connection,
                    )
                )
        elif not _interrupted(connection) and record is not None and record.external_id:
            history.append(_was_in_disconnected(provider, record))
    history.extend(
        _was_in_past(p, row) for p, row in _past_records(invoice.organisation, [invoice.pk])
    )
    if not rows and not history:
        return None
    return {"sync_rows": rows, "history_rows": [history_row(was) for was in history]}


def history_row(was: WasIn) -> dict[str, Any]:
    """A line for an account the invoice was in: its grey badge, the remote id and when."""
    return {
        "provider": was.provider,
        "badge": was.badge,
        "remote_url": was.remote_url,
    }


def sync_row(
    request,
    *,
    provider: registry.Provider,
    invoice: Invoice,
    record: SyncRecord | None,
    active: bool = True,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """One provider's line in the sync panel: its badge, the reason with what to fix, and
    the action."""
    shown = badge(provider=provider, invoice=invoice, record=record, connection=connection)
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
