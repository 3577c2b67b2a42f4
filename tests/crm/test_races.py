"""Two people acting on the same customer or quote at once (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection as db_connection
from django.db import connections

from crm.models import Contact
from crm.services.contacts import contact_delete, contact_make_primary
from crm.services.quotes import quote_convert
from invoicing.models import Invoice

from ..factories import CustomerFactory, make_contact, make_quote


def together(*actions) -> list[Exception]:
    """Run the actions at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(actions))
    errors: list[Exception] = []

    def run(action):
        try:
            barrier.wait()
            action()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def postgresql():
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; make test runs this on PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_making_two_contacts_primary_at_once_leaves_exactly_one(org, postgresql):
    customer = CustomerFactory(organisation=org)
    contacts = [make_contact(customer, name=f"Contact {n}") for n in range(6)]

    errors = together(
        *(lambda c=c: contact_make_primary(contact=c, actor=None) for c in contacts[1:])
    )

    assert errors == []
    assert Contact.objects.filter(customer=customer, is_primary=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_removing_the_primary_while_another_is_made_primary_leaves_one(org, postgresql):
    customer = CustomerFactory(organisation=org)
    first, _second, third = (make_contact(customer, name=n) for n in ("Ann", "Bob", "Cat"))

    errors = together(
        lambda: contact_delete(contact=first, actor=None),
        lambda: contact_make_primary(contact=third, actor=None),
    )

    assert errors == []
    assert Contact.objects.filter(customer=customer, is_primary=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_converting_a_quote_twice_at_once_makes_one_invoice(org, postgresql):
    quote = make_quote(org, status="accepted")

    errors = together(*(lambda: quote_convert(quote=quote, actor=None) for _ in range(4)))

    assert errors == []
    assert Invoice.objects.count() == 1
