""" "Text reminder" on an invoice and on a customer's upcoming appointments: offered only
while Twilio is connected, leading to the SMS tab with the right template."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_appointment, make_invoice
from tests.helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(org, customer, contact):
    return make_invoice(org, customer=customer, lines=((1, "100.00", "20"),), finalise=True)


@pytest.fixture
def appointment(org, owner, customer, contact):
    return make_appointment(
        org,
        staff=owner,
        start=timezone.now() + datetime.timedelta(days=3),
        customer=customer,
        title="Boiler service",
    )


def test_the_invoice_offers_a_text_reminder_while_connected(owner_client, connection, invoice):
    page = text(owner_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])))
    assert "Text reminder" in page
    assert f"template=invoice&amp;invoice={invoice.pk}" in page


def test_the_customer_page_offers_a_reminder_per_upcoming_appointment(
    owner_client, connection, customer, appointment
):
    page = text(owner_client.get(reverse("crm:customer_detail", args=[customer.pk])))
    assert "Text reminders" in page and "Boiler service" in page
    assert f"template=appointment&amp;appointment={appointment.pk}" in page


def test_no_shortcuts_without_twilio(owner_client, invoice, customer, appointment):
    assert "Text reminder" not in text(
        owner_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk]))
    )
    page = text(owner_client.get(reverse("crm:customer_detail", args=[customer.pk])))
    assert "Text reminder</a>" not in page
