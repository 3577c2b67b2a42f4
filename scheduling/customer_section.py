"""The "Appointments" section of a customer's page."""

from typing import Any

from accounts.capabilities import APPOINTMENTS_MANAGE
from accounts.models import Membership
from crm.customer_page import CustomerSection
from invoicing.models import Customer

from .selectors import customer_appointments


def appointments_section_context(customer: Customer, membership: Membership) -> dict[str, Any]:
    """Upcoming first, then a few past ones; two queries whatever the customer holds."""
    return {
        **customer_appointments(customer=customer),
        "zone": membership.organisation.timezone,
        "can_book": membership.can(APPOINTMENTS_MANAGE),
    }


APPOINTMENTS_SECTION = CustomerSection(
    key="appointments",
    title="Appointments",
    template="scheduling/_customer_section.html",
    context=appointments_section_context,
    order=40,
)
