"""The customer page's Projects, Contracts and Messages sections (crm.customer_page)."""

from typing import Any

from accounts.models import Membership
from invoicing.models import Customer

from . import selectors
from .customer_page import CustomerSection, customer_section_register

LATEST_MESSAGES = 3


def projects_context(customer: Customer, membership: Membership) -> dict[str, Any]:
    return {"projects": list(selectors.customer_projects(customer=customer))}


def contracts_context(customer: Customer, membership: Membership) -> dict[str, Any]:
    return {"contracts": list(selectors.customer_contracts(customer=customer))}


def messages_context(customer: Customer, membership: Membership) -> dict[str, Any]:
    return {
        "messages": selectors.thread_latest(customer=customer, count=LATEST_MESSAGES),
        "unread": selectors.thread_unread_count(customer=customer),
    }


def register() -> None:
    for section in (
        CustomerSection(
            key="projects",
            title="Projects",
            template="crm/sections/projects.html",
            context=projects_context,
            order=50,
        ),
        CustomerSection(
            key="contracts",
            title="Contracts",
            template="crm/sections/contracts.html",
            context=contracts_context,
            order=60,
        ),
        CustomerSection(
            key="messages",
            title="Messages",
            template="crm/sections/messages.html",
            context=messages_context,
            order=70,
        ),
    ):
        customer_section_register(section)
