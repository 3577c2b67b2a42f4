"""Saving the fix queues again what failed for want of it: a nominal code given its account
code, a customer or supplier renamed or edited. (Reconnecting resumes its records in
sync.sync_resume_after_reconnect.) Each is called inside the transaction that saved the fix,
so the records go back to pending with it and are pushed once it commits."""

from collections.abc import Collection

from invoicing.models import Customer, NominalCode, Supplier

from .. import registry
from ..errors import CUSTOMER, NOMINAL_CODES, PARTY_NAME_FIELDS, SUPPLIER
from ..fixes import party_name
from ..models import SyncRecord
from .sync import sync_requeue_fixed


def fix_requeue_nominal_code(*, nominal_code: NominalCode, provider_key: str) -> int:
    """The nominal code now has an account code in the provider: that organisation's records
    on that provider which failed naming this code go again."""
    waiting = SyncRecord.objects.filter(
        organisation_id=nominal_code.organisation_id,
        connection__provider=provider_key,
        state=SyncRecord.State.FAILED,
        fix__kind=NOMINAL_CODES,
    ).values_list("pk", "fix")
    ids = [pk for pk, fix in waiting if nominal_code.pk in fix.get("ids", ())]
    provider = registry.get(provider_key)
    name = provider.name if provider else provider_key
    return sync_requeue_fixed(record_ids=ids, fixed=f"{nominal_code} has a {name} account code")


def fix_requeue_party(*, party: Customer | Supplier, changed: Collection[str]) -> int:
    """A customer or supplier was edited: the records that failed naming it go again, on
    every provider, when the edit changed what their fix asked for (a rename: its name)."""
    kind = SUPPLIER if isinstance(party, Supplier) else CUSTOMER
    waiting = SyncRecord.objects.filter(
        organisation_id=party.organisation_id,
        state=SyncRecord.State.FAILED,
        fix__kind=kind,
    ).values_list("pk", "fix")
    changed = set(changed)
    ids = [
        pk
        for pk, fix in waiting
        if party.pk in fix.get("ids", ())
        and (not fix.get("fields") or changed & set(fix["fields"]))
    ]
    renamed = changed & set(PARTY_NAME_FIELDS)
    return sync_requeue_fixed(
        record_ids=ids,
        fixed=f"{kind} {party_name(party)} {'renamed' if renamed else 'edited'}",
    )
