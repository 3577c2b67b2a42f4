"""The sections of a customer's page. Each app that holds something about a customer (its
contacts, quotes, projects, appointments…) registers a section from its AppConfig.ready(), so
the page shows them all without crm importing the apps that build on it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.models import Membership
from invoicing.models import Customer


@dataclass(frozen=True)
class CustomerSection:
    key: str
    title: str
    # Rendered with `customer`, `membership` and `section` (what `context` returned).
    template: str
    # What the section shows, in a query or two whatever the customer holds.
    context: Callable[[Customer, Membership], dict[str, Any]]
    order: int = 100
    # The capability a member needs to see the section ("" for everyone who sees the page).
    capability: str = ""


SECTIONS: dict[str, CustomerSection] = {}


def customer_section_register(section: CustomerSection) -> None:
    if SECTIONS.get(section.key, section) != section:
        raise ValueError(f"Customer section {section.key!r} is already registered")
    SECTIONS[section.key] = section


def customer_sections(
    *, customer: Customer, membership: Membership
) -> list[tuple[CustomerSection, dict[str, Any]]]:
    """The sections this member may see, in order, each with its context."""
    shown = sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))
    return [
        (section, section.context(customer, membership))
        for section in shown
        if not section.capability or membership.can(section.capability)
    ]
