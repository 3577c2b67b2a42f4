"""Writes to customers and suppliers."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from invoicing import signals
from invoicing.models import Customer, Supplier

from .audit import audit_record


@transaction.atomic
def party_save(
    *,
    party: Customer | Supplier,
    actor: AbstractBaseUser | None,
    changed: list[str],
) -> Customer | Supplier:
    """Save a customer or supplier the form filled in (`changed`: the fields it changed).
    An edit that changed something tells the other apps, in the same transaction."""
    created = party.pk is None
    party.save()
    kind = "supplier" if isinstance(party, Supplier) else "customer"
    audit_record(
        organisation=party.organisation,
        actor=actor,
        action=f"{kind}.{'created' if created else 'updated'}",
        obj=party,
        details={"changed": changed},
    )
    if not created and changed:
        signals.party_changed.send(sender=type(party), party=party, changed=list(changed))
    return party
