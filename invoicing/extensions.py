"""Places where other apps add to the invoice pages, without invoicing importing them.

An app registers a badge source (badges per invoice, read in bulk for a whole list) or a
detail panel (a template included on the invoice page with the context it computes).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accounts.models import Organisation

from .models import Invoice, Payment


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


# Where a payment came from: "manual" (recorded here), or a source another app registers
# (a provider that records payments it received).
_payment_sources: dict[str, str] = {}


def register_payment_source(key: str, label: str) -> None:
    if key == Payment.MANUAL or _payment_sources.get(key, label) != label:
        raise ValueError(f"Payment source {key!r} is taken")
    _payment_sources[key] = label


def payment_source_label(key: str) -> str:
    if key == Payment.MANUAL:
        return "Recorded in Torqueflow"
    return _payment_sources.get(key, key)


def payment_source_known(key: str) -> bool:
    return key == Payment.MANUAL or key in _payment_sources


def detail_panels(request, invoice: Invoice) -> list[Panel]:
    panels = []
    for template_name, context in _detail_panels:
        computed = context(request, invoice)
        if computed is not None:
            panels.append(Panel(template_name, computed))
    return panels
