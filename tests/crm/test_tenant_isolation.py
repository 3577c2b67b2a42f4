"""Another organisation's customers, contacts, leads and quotes do not exist here: every
page and action that names one answers 404 and changes nothing."""

import pytest
from django.urls import reverse

from crm.models import Contact, Lead, Quote
from invoicing.models import Customer, Invoice

from ..factories import CustomerFactory, make_contact, make_lead, make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_org):
    customer = CustomerFactory(organisation=other_org, name="Their customer")
    return {
        "customer": customer,
        "contact": make_contact(customer, name="Their contact"),
        "lead": make_lead(other_org, name="Their lead"),
        "quote": make_quote(other_org, customer=customer, status="accepted"),
    }


def snapshot() -> dict:
    return {
        "customers": sorted(Customer.objects.values_list("pk", "name")),
        "contacts": sorted(Contact.objects.values_list("pk", "name", "is_primary")),
        "leads": sorted(Lead.objects.values_list("pk", "name", "status", "customer")),
        "quotes": sorted(Quote.objects.values_list("pk", "status", "invoice")),
        "invoices": Invoice.objects.count(),
    }


def their_urls(t) -> list[tuple[str, str]]:
    customer, contact, lead, quote = t["customer"], t["contact"], t["lead"], t["quote"]
    both = [customer.pk, contact.pk]
    return [
        ("get", reverse("crm:customer_detail", args=[customer.pk])),
        ("get", reverse("crm:contact_new", args=[customer.pk])),
        ("post", reverse("crm:contact_new", args=[customer.pk])),
        ("get", reverse("crm:contact_edit", args=both)),
        ("post", reverse("crm:contact_edit", args=both)),
        ("post", reverse("crm:contact_primary", args=both)),
        ("get", reverse("crm:contact_remove", args=both)),
        ("post", reverse("crm:contact_remove", args=both)),
        ("get", reverse("crm:lead_detail", args=[lead.pk])),
        ("get", reverse("crm:lead_edit", args=[lead.pk])),
        ("post", reverse("crm:lead_edit", args=[lead.pk])),
        ("post", reverse("crm:lead_status", args=[lead.pk])),
        ("post", reverse("crm:lead_convert", args=[lead.pk])),
        ("get", reverse("crm:quote_detail", args=[quote.pk])),
        ("get", reverse("crm:quote_edit", args=[quote.pk])),
        ("post", reverse("crm:quote_edit", args=[quote.pk])),
        ("post", reverse("crm:quote_send", args=[quote.pk])),
        ("post", reverse("crm:quote_accept", args=[quote.pk])),
        ("post", reverse("crm:quote_decline", args=[quote.pk])),
        ("post", reverse("crm:quote_convert", args=[quote.pk])),
    ]


def test_another_organisations_ids_answer_404_and_change_nothing(owner_client, theirs):
    before = snapshot()

    for method, url in their_urls(theirs):
        response = getattr(owner_client, method)(url, {"name": "Taken", "status": "lost"})
        assert response.status_code == 404, f"{method.upper()} {url}"

    assert snapshot() == before


def test_lists_show_only_this_organisations_rows(owner_client, org, theirs):
    mine = make_lead(org, name="My lead")
    my_quote = make_quote(org)

    leads = owner_client.get(reverse("crm:lead_list")).context["page"].object_list
    quotes = owner_client.get(reverse("crm:quote_list")).context["page"].object_list

    assert list(leads) == [mine]
    assert list(quotes) == [my_quote]


def test_a_quote_form_cannot_name_another_organisations_customer_or_contact(owner_client, theirs):
    from ..helpers import invoice_post

    data = invoice_post(
        theirs["customer"],
        **{
            "customer": theirs["customer"].pk,
            "contact": theirs["contact"].pk,
            "expiry_date": "2025-04-09",
        },
    )

    response = owner_client.post(reverse("crm:quote_new"), data)

    assert response.status_code == 400
    assert Quote.objects.count() == 1
