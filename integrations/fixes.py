"""Where a failed sync is fixed: the Fix a provider puts on its error, and the steps shown
beside the reason (what is wrong, and a link to the page that fixes it).

The reason text stays as the provider gave it; these steps go beside it. Names are read in
one query per kind of thing for a whole page of records, and a link is shown only to someone
who may use the page it leads to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from accounts.capabilities import FINANCE_SETTINGS_MANAGE, INTEGRATIONS_MANAGE, INVOICES_MANAGE
from invoicing.models import Customer, InvoiceLine, NominalCode, Supplier

from . import registry
from .errors import (
    CONNECTION,
    CUSTOMER,
    NOMINAL_CODES,
    PARTY_NAME_FIELDS,
    SUPPLIER,
    Fix,
)
from .models import SyncRecord

# The reason code of an invoice with a line on a nominal code that has no account code in
# the provider: the nominal code is to be mapped (as opposed to one mapped to an account the
# provider refused).
UNMAPPED_REASON_CODE = "unmapped_nominal_code"

Party = Customer | Supplier
_PARTIES: dict[str, tuple[type[Party], str]] = {
    CUSTOMER: (Customer, "invoicing:customer_edit"),
    SUPPLIER: (Supplier, "invoicing:supplier_edit"),
}


# --- what providers put on their errors ----------------------------------------------------


def nominal_codes_fix(lines: Iterable[InvoiceLine]) -> Fix | None:
    """The nominal codes of these lines, each once, in line order. A line without a nominal
    code has none to map: then there is no place to fix but the invoice itself."""
    ids = dict.fromkeys(line.nominal_code_id for line in lines if line.nominal_code_id)
    return Fix(NOMINAL_CODES, ids=tuple(ids)) if ids else None


def party_fix(party: Party | None, *, rename: bool) -> Fix | None:
    """The customer or supplier to edit; to rename, when the provider refused its name."""
    if party is None:
        return None
    kind = SUPPLIER if isinstance(party, Supplier) else CUSTOMER
    return Fix(kind, ids=(party.pk,), fields=PARTY_NAME_FIELDS if rename else ())


def party_name(party: Party) -> str:
    """The name a provider files the party under: the company's, else the person's."""
    return (party.company_name or "").strip() or party.name.strip()


# --- what the pages show ---------------------------------------------------------------


@dataclass(frozen=True)
class FixStep:
    """One thing to fix: `text` says what is wrong with it; `action` is the link's words
    (to `url`), or plain words naming the fix when the viewer has no link."""

    text: str = ""
    action: str = ""
    url: str = ""
    label: str = ""  # the link's accessible name, when its words alone are ambiguous


def fix_steps(
    records: Sequence[SyncRecord],
    *,
    provider: registry.Provider,
    organisation_id: int,
    membership: Any,
    back_to: str = "",
) -> dict[int, list[FixStep]]:
    """The steps beside each failed record's reason, by record id: one query per kind of
    thing named, however many records. `back_to` is where the fix page returns after a save."""
    failed = [r for r in records if r.state == SyncRecord.State.FAILED and r.fix]
    if not failed:
        return {}

    def can(capability: str) -> bool:
        return bool(membership and membership.can(capability))

    wanted: dict[str, set[int]] = {}
    for record in failed:
        wanted.setdefault(record.fix.get("kind", ""), set()).update(_ids(record.fix))
    codes = {}
    if wanted.get(NOMINAL_CODES):
        codes = NominalCode.objects.filter(
            organisation_id=organisation_id, pk__in=wanted[NOMINAL_CODES]
        ).in_bulk()
    parties: dict[str, dict[int, Party]] = {}
    for kind, (model, _) in _PARTIES.items():
        if wanted.get(kind):
            parties[kind] = model.objects.filter(
                organisation_id=organisation_id, pk__in=wanted[kind]
            ).in_bulk()
    query = f"?{urlencode({'next': back_to})}" if back_to else ""

    steps: dict[int, list[FixStep]] = {}
    for record in failed:
        kind = record.fix.get("kind")
        found: list[FixStep] = []
        if kind == NOMINAL_CODES:
            unmapped = record.reason_code == UNMAPPED_REASON_CODE
            linked = can(FINANCE_SETTINGS_MANAGE)
            for pk in _ids(record.fix):
                code = codes.get(pk)
                if code is None:
                    continue
                problem = (
                    f"has no {provider.name} account code"
                    if unmapped
                    else f"has an account code {provider.name} refused"
                )
                found.append(
                    FixStep(
                        text=f"{code} {problem}",
                        action=("Set it" if unmapped else "Change it") if linked else "",
                        url=reverse("settings_nominal_code_edit", args=[pk]) + query
                        if linked
                        else "",
                        label=f"Set the {provider.name} account code of {code}",
                    )
                )
        elif kind in _PARTIES:
            url_name = _PARTIES[kind][1]
            linked = can(INVOICES_MANAGE)
            rename = bool(set(record.fix.get("fields", ())) & set(PARTY_NAME_FIELDS))
            for pk in _ids(record.fix):
                party = parties.get(kind, {}).get(pk)
                if party is None:
                    continue
                found.append(
                    FixStep(
                        action=f"{'Rename' if rename else 'Edit'} {party_name(party)}",
                        url=reverse(url_name, args=[pk]) + query if linked else "",
                    )
                )
        elif kind == CONNECTION:
            linked = can(INTEGRATIONS_MANAGE)
            found.append(
                FixStep(
                    action=f"Reconnect {provider.name}",
                    url=reverse("integrations:provider", args=[provider.key]) if linked else "",
                )
            )
        if found:
            steps[record.pk] = found
    return steps


def _ids(fix: dict[str, Any]) -> list[int]:
    return [pk for pk in fix.get("ids", ()) if isinstance(pk, int)]
