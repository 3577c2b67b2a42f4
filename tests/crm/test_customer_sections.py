"""The customer page's Projects, Contracts and Messages sections: what each shows, at a fixed
number of queries however much the customer holds."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from crm.customer_page import SECTIONS, customer_sections
from crm.models import Contact
from crm.services.messages import message_post
from tests.factories import ContractFactory, CustomerFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def fill(customer, count: int, staff) -> None:
    ana = Contact.objects.create(
        organisation_id=customer.organisation_id, customer=customer, name=f"Ana {count}"
    )
    for n in range(count):
        project = ProjectFactory(organisation=customer.organisation, customer=customer)
        ContractFactory(organisation=customer.organisation, customer=customer, project=project)
        message_post(customer=customer, body=f"From us {n}", author_user=staff)
        message_post(customer=customer, body=f"From them {n}", author_contact=ana)


def mine(customer, membership):
    return {
        section.key: (section, context)
        for section, context in customer_sections(customer=customer, membership=membership)
        if section.key in {"projects", "contracts", "messages"}
    }


def queries(customer, membership) -> int:
    """What these three sections cost together (the page has others of its own)."""
    with CaptureQueriesContext(connection) as captured:
        for key in ("projects", "contracts", "messages"):
            SECTIONS[key].context(customer, membership)
    return len(captured.captured_queries)


def test_the_sections_are_registered_in_order():
    assert [SECTIONS[key].title for key in ("projects", "contracts", "messages")] == [
        "Projects",
        "Contracts",
        "Messages",
    ]


def test_each_section_costs_the_same_queries_however_much_the_customer_holds(org, staff):
    membership = Membership.objects.select_related("role").get(user=staff)
    small, large = CustomerFactory(organisation=org), CustomerFactory(organisation=org)
    fill(small, 1, staff)
    fill(large, 12, staff)

    assert queries(large, membership) == queries(small, membership) == 4


def test_the_sections_show_the_customers_own_things_and_the_latest_messages(org, staff):
    membership = Membership.objects.select_related("role").get(user=staff)
    acme = CustomerFactory(organisation=org, name="ACME Creative Agency")
    fill(acme, 3, staff)
    fill(CustomerFactory(organisation=org), 2, staff)

    sections = mine(acme, membership)

    assert len(sections["projects"][1]["projects"]) == 3
    assert len(sections["contracts"][1]["contracts"]) == 3
    messages = sections["messages"][1]
    assert [m.body for m in messages["messages"]] == ["From them 1", "From us 2", "From them 2"]
    assert messages["unread"] == 3
    html = render_to_string(
        sections["messages"][0].template,
        {"section": messages, "customer": acme, "membership": membership},
    )
    assert "Open the thread (3 unread)" in html
    assert f"/messages/{acme.pk}/" in html
