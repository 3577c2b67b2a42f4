"""What the hub adds to the invoice lists: a sync-state chip per connected provider, and
Sync now on the invoices ticked."""

from collections.abc import Sequence

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from accounts.models import Organisation
from invoicing.extensions import BulkAction
from invoicing.models import Invoice

from . import registry
from .models import Connection, SyncRecord
from .services.sync import sync_now

CHIP_STATES = (SyncRecord.State.PENDING, SyncRecord.State.SYNCED, SyncRecord.State.FAILED)


def _syncing(organisation: Organisation, kind: str) -> list[tuple[registry.Provider, Connection]]:
    """Active connections whose provider shows badges and takes this kind of invoice."""
    probe = Invoice(kind=kind, status=Invoice.Status.UNPAID)
    pairs = []
    for connection in Connection.objects.filter(
        organisation=organisation, state=Connection.State.ACTIVE
    ).order_by("provider"):
        provider = registry.get(connection.provider)
        if provider is not None and provider.synced_label and not provider.push_refusal(probe):
            pairs.append((provider, connection))
    return pairs


def sync_filter_choices(organisation: Organisation, kind: str) -> list[tuple[str, str]]:
    """ "xero:failed" → "Xero: Sync failed", one per state and connected provider."""
    return [
        (f"{provider.key}:{state.value}", f"{provider.short_name or provider.name}: {state.label}")
        for provider, _ in _syncing(organisation, kind)
        for state in CHIP_STATES
    ]


def sync_filter_apply(
    organisation: Organisation, invoices: QuerySet[Invoice], value: str
) -> QuerySet[Invoice] | None:
    provider_key, _, state = value.partition(":")
    if registry.get(provider_key) is None:
        return None
    if state not in SyncRecord.State.values:
        return invoices
    ids = SyncRecord.objects.filter(
        organisation=organisation,
        connection__provider=provider_key,
        connection__state=Connection.State.ACTIVE,
        object_type=ContentType.objects.get_for_model(Invoice),
        state=state,
    ).values("object_id")
    return invoices.filter(pk__in=ids)


def _sync_selected(organisation: Organisation, kind: str):
    def run(request, invoices: Sequence[Invoice]) -> str:
        queued = 0
        for provider, connection in _syncing(organisation, kind):
            if not request.membership.can(provider.sync_capability):
                continue
            for invoice in invoices:
                if invoice.status == Invoice.Status.DRAFT or provider.push_refusal(invoice):
                    continue
                sync_now(connection=connection, obj=invoice, actor=request.user)
                queued += 1
        if not queued:
            return "None of those invoices can be synced: finalise them first."
        return "1 sync queued." if queued == 1 else f"{queued} syncs queued."

    return run


def sync_bulk_actions(organisation: Organisation, kind: str) -> list[BulkAction]:
    pairs = _syncing(organisation, kind)
    if not pairs:
        return []
    capability = pairs[0][0].sync_capability
    return [BulkAction("sync", "Sync now", capability, _sync_selected(organisation, kind))]
