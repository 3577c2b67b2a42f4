"""Places where other apps add to the invoice pages, without invoicing importing them.

An app registers a badge source (badges per invoice, read in bulk for a whole list) or a
detail panel (a template included on the invoice page with the context it computes).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accounts.models import Organisation

from .models import Invoice, NominalCode, Payment


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str  # "green", "grey", "red" or "orange"
    title: str = ""
    # Where the badge can be fetched again (for polling while it settles), if anywhere.
    refresh_url: str = ""
    settled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


BadgeSource = Callable[[Organisation, Sequence[Invoice]], dict[int, list[Badge]]]
PanelContext = Callable[[Any, Invoice], dict[str, Any] | None]

_badge_sources: list[BadgeSource] = []
_detail_panels: list[tuple[str, PanelContext]] = []


def register_badge_source(source: BadgeSource) -> BadgeSource:
    if source not in _badge_sources:
        _badge_sources.append(source)
    return source


def register_detail_panel(template_name: str, context: PanelContext) -> None:
    if (template_name, context) not in _detail_panels:
        _detail_panels.append((template_name, context))


def badges_for(organisation: Organisation, invoices: Sequence[Invoice]) -> dict[int, list[Badge]]:
    """Badges per invoice id, from every registered source (each reads in bulk)."""
    merged: dict[int, list[Badge]] = {invoice.pk: [] for invoice in invoices}
    for source in _badge_sources:
        for invoice_id, badges in source(organisation, invoices).items():
            merged.setdefault(invoice_id, []).extend(badges)
    return merged


@dataclass(frozen=True)
class Panel:
    template_name: str
    context: dict[str, Any]


@dataclass(frozen=True)
class AccountCodeColumn:
    """A column of Settings → Finance → Nominal Codes that another app fills: the account
    each nominal code maps to in one provider (keyed by `key`), edited on the code's form."""

    key: str
    heading: str
    help_text: str
    max_length: int
    values: dict[int, str]  # nominal code id → account code


AccountCodeColumns = Callable[[Organisation, Sequence[NominalCode]], list[AccountCodeColumn]]
AccountCodeSave = Callable[[NominalCode, dict[str, str]], None]
_account_codes: list[tuple[AccountCodeColumns, AccountCodeSave]] = []


def register_account_codes(columns: AccountCodeColumns, save: AccountCodeSave) -> None:
    if (columns, save) not in _account_codes:
        _account_codes.append((columns, save))


def account_code_columns(
    organisation: Organisation, codes: Sequence[NominalCode]
) -> list[AccountCodeColumn]:
    return [column for columns, _ in _account_codes for column in columns(organisation, codes)]


def account_codes_save(code: NominalCode, values: dict[str, str]) -> None:
    """Keep the account codes typed on a nominal code's form (column key → code)."""
    for _, save in _account_codes:
        save(code, values)


# Where a payment came from: "manual" (recorded here), or a source another app registers
# (a provider that records payments it received).
_payment_sources: dict[str, str] = {}


def register_payment_source(key: str, label: str) -> None:
    if key == Payment.MANUAL or _payment_sources.get(key, label) != label:
        raise ValueError(f"Payment source {key!r} is taken")
    _payment_sources[key] = label


def payment_source_label(key: str) -> str:
    return _payment_sources.get(key, "")


def payment_source_known(key: str) -> bool:
    return key == Payment.MANUAL or key in _payment_sources


def detail_panels(request, invoice: Invoice) -> list[Panel]:
    panels = []
    for template_name, context in _detail_panels:
        computed = context(request, invoice)
        if computed is not None:
            panels.append(Panel(template_name, computed))
    return panels


# Filter chips another app adds to the invoice lists (the hub: sync state per provider).
# `choices` names the chips for an organisation ([(value, label)], read once per page);
# `apply` narrows a list to a chip's value, or returns None when the value is not its own.
FilterChoices = Callable[[Organisation, str], list[tuple[str, str]]]
FilterApply = Callable[[Organisation, Any, str], Any]
_list_filters: list[tuple[FilterChoices, FilterApply]] = []


def register_list_filter(choices: FilterChoices, apply: FilterApply) -> None:
    if (choices, apply) not in _list_filters:
        _list_filters.append((choices, apply))


def list_filter_choices(organisation: Organisation, kind: str) -> list[tuple[str, str]]:
    return [choice for choices, _ in _list_filters for choice in choices(organisation, kind)]


def list_filter_apply(organisation: Organisation, invoices, value: str):
    """The invoices narrowed by the chip `value`; an unknown value leaves them as they are."""
    for _, apply in _list_filters:
        narrowed = apply(organisation, invoices, value)
        if narrowed is not None:
            return narrowed
    return invoices


@dataclass(frozen=True)
class BulkStarted:
    """What a bulk action that goes on in the background answers: what to tell the user, and
    the page that follows its progress (the list sends the user there)."""

    message: str
    url: str


@dataclass(frozen=True)
class BulkAction:
    """An action on the invoices ticked in a list. `run(request, invoices)` does it and
    returns what to tell the user, or a BulkStarted for work that goes on after the request."""

    key: str
    label: str
    capability: str
    run: Callable[[Any, Sequence[Invoice]], str | BulkStarted]
    # Asked before it runs (an action that reaches customers), or "" for none.
    confirm: str = ""


BulkActions = Callable[[Organisation, str], list[BulkAction]]
_bulk_actions: list[BulkActions] = []


def register_bulk_actions(source: BulkActions) -> None:
    if source not in _bulk_actions:
        _bulk_actions.append(source)


def bulk_actions(organisation: Organisation, kind: str) -> list[BulkAction]:
    """The actions other apps offer on this organisation's list of `kind` invoices."""
    return [action for source in _bulk_actions for action in source(organisation, kind)]
