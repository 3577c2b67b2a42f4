"""The customer page: the customer's details and every registered section, in order."""

import re

import pytest
from django.urls import reverse

from crm import customer_page
from crm.customer_page import CustomerSection

from ..factories import CustomerFactory, make_contact, make_invoice, make_quote
from ..helpers import text, visible_text

pytestmark = pytest.mark.django_db


VISITS_TEMPLATE = "<h2>Visits</h2><p>{{ section.count }} visits</p>"


def section_keys(response) -> list[str]:
    return re.findall(r'<section class="card" id="section-([a-z_-]+)"', text(response))


@pytest.fixture
def acme(org):
    customer = CustomerFactory(
        organisation=org, name="ACME Creative Agency", company_name="ACME Creative Agency Ltd"
    )
    make_contact(customer, name="Maya Chen", phone="07911 123456", job_title="Studio Director")
    make_contact(customer, name="Ravi Kapoor", phone="020 7946 0322")
    return customer


def test_the_page_shows_contacts_invoices_and_quotes_in_that_order(staff_client, org, acme):
    invoice = make_invoice(org, customer=acme, finalise=True)
    quote = make_quote(org, customer=acme, status="sent")
    make_invoice(org)  # someone else's

    response = staff_client.get(reverse("crm:customer_detail", args=[acme.pk]))
    page = visible_text(response)

    assert section_keys(response)[:3] == ["contacts", "invoices", "quotes"]
    assert "Maya Chen Primary Studio Director" in page
    assert "07911 123456" in page and "020 7946 0322" in page
    assert f"{invoice.number} {invoice.issue_date:%-d %b %Y} £120.00 Unpaid" in page
    assert f"{quote.number}" in page and "Sent" in page
    assert page.count("INV-") == 1


def test_a_section_another_app_registers_is_shown_too(staff_client, acme, monkeypatch):
    monkeypatch.setitem(
        customer_page.SECTIONS,
        "visits",
        CustomerSection(
            key="visits",
            title="Visits",
            template="crm/sections/test_visits.html",
            context=lambda customer, membership: {"count": 3},
            order=25,
        ),
    )
    from django.template import engines

    engine = engines["django"].engine
    monkeypatch.setattr(
        engine,
        "template_loaders",
        [
            engine.find_template_loader(
                (
                    "django.template.loaders.locmem.Loader",
                    {"crm/sections/test_visits.html": VISITS_TEMPLATE},
                )
            ),
            *engine.template_loaders,
        ],
    )

    response = staff_client.get(reverse("crm:customer_detail", args=[acme.pk]))

    mine = {"contacts", "invoices", "visits", "quotes"}
    assert [k for k in section_keys(response) if k in mine] == [
        "contacts",
        "invoices",
        "visits",
        "quotes",
    ]
    assert "Visits 3 visits" in visible_text(response)


def test_the_accountant_reads_but_cannot_change_contacts(accountant_client, acme):
    page = text(accountant_client.get(reverse("crm:customer_detail", args=[acme.pk])))

    assert "Maya Chen" in page
    assert "Make primary" not in page and "Add contact" not in page


def test_customer_names_in_the_customer_list_open_the_customer_page(staff_client, acme):
    page = text(staff_client.get(reverse("invoicing:customer_list")))

    assert f'href="{reverse("crm:customer_detail", args=[acme.pk])}"' in page


def test_another_organisations_customer_is_not_found(staff_client, other_org):
    elsewhere = CustomerFactory(organisation=other_org)

    response = staff_client.get(reverse("crm:customer_detail", args=[elsewhere.pk]))

    assert response.status_code == 404


def test_new_quote_and_new_invoice_from_the_page_name_the_customer(staff_client, acme):
    quote_form = staff_client.get(reverse("crm:quote_new"), {"customer": acme.pk})
    invoice_form = staff_client.get(reverse("invoicing:sales_new"), {"customer": acme.pk})
    bad = staff_client.get(reverse("invoicing:sales_new"), {"customer": "²"})

    assert quote_form.context["form"]["customer"].value() == acme.pk
    assert invoice_form.context["form"]["party"].value() == acme.pk
    assert bad.status_code == 200
