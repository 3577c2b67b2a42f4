"""What `make run` seeds for the CRM."""

from io import StringIO

import pytest
from django.core.management import call_command

from crm.models import Contact, Lead, Quote
from invoicing.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())
    return Customer.objects.get(name="ACME Creative Agency")


def test_acme_has_a_primary_mobile_contact_and_a_landline_contact(acme):
    contacts = list(Contact.objects.filter(customer=acme).values_list("phone", "is_primary"))

    assert contacts == [("+447911123456", True), ("+442079460322", False)]


def test_the_demo_has_leads_in_every_status_from_every_source(acme):
    leads = Lead.objects.filter(organisation=acme.organisation)

    assert set(leads.values_list("status", flat=True)) == set(Lead.Status.values)
    assert set(leads.values_list("source", flat=True)) == set(Lead.Source.values)


def test_acme_has_a_sent_and_an_accepted_quote_that_are_current(acme):
    quotes = Quote.objects.filter(customer=acme).order_by("number")

    assert [(q.number, q.status) for q in quotes] == [
        ("QU-0001", "sent"),
        ("QU-0002", "accepted"),
    ]
    assert all(q.total > 0 and q.contact.is_primary for q in quotes)
