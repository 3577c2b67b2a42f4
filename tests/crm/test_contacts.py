"""A customer's contacts: one primary, phones typed nationally and stored E.164."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.models import Contact
from crm.services.contacts import (
    ContactInput,
    contact_create,
    contact_delete,
    contact_make_primary,
    contact_update,
)
from invoicing.models import AuditLog

from ..factories import CustomerFactory, make_contact
from ..helpers import messages_of, text, visible_text

pytestmark = pytest.mark.django_db


def primaries(customer) -> list[str]:
    return list(
        Contact.objects.filter(customer=customer, is_primary=True).values_list("name", flat=True)
    )


def test_the_first_contact_is_the_primary_and_the_next_is_not(org):
    customer = CustomerFactory(organisation=org)

    first = make_contact(customer, name="Maya Chen")
    second = make_contact(customer, name="Ravi Kapoor")

    assert (first.is_primary, second.is_primary) == (True, False)
    assert primaries(customer) == ["Maya Chen"]


def test_a_phone_typed_nationally_is_stored_e164(org):
    customer = CustomerFactory(organisation=org)

    contact = make_contact(customer, phone="07911 123456")

    assert contact.phone == "+447911123456"


def test_a_bad_phone_or_email_is_refused_per_field(org):
    customer = CustomerFactory(organisation=org)

    with pytest.raises(ValidationError) as error:
        contact_create(
            customer=customer,
            actor=None,
            data=ContactInput(name=" ", email="not-an-email", phone="12"),
        )

    assert set(error.value.message_dict) == {"name", "email", "phone"}
    assert not Contact.objects.exists()


def test_make_primary_moves_the_mark_and_leaves_one(org, owner):
    customer = CustomerFactory(organisation=org)
    make_contact(customer, name="Maya Chen")
    ravi = make_contact(customer, name="Ravi Kapoor")

    contact_make_primary(contact=ravi, actor=owner)
    contact_make_primary(contact=ravi, actor=owner)  # again: nothing changes

    assert primaries(customer) == ["Ravi Kapoor"]
    assert AuditLog.objects.filter(action="contact.made_primary").count() == 1


def test_removing_the_primary_promotes_the_next_contact(org):
    customer = CustomerFactory(organisation=org)
    maya = make_contact(customer, name="Maya Chen")
    make_contact(customer, name="Zoe Adams")
    make_contact(customer, name="Ravi Kapoor")

    promoted = contact_delete(contact=maya, actor=None)

    assert promoted.name == "Ravi Kapoor"
    assert primaries(customer) == ["Ravi Kapoor"]


def test_removing_another_contact_keeps_the_primary(org):
    customer = CustomerFactory(organisation=org)
    make_contact(customer, name="Maya Chen")
    ravi = make_contact(customer, name="Ravi Kapoor")

    assert contact_delete(contact=ravi, actor=None) is None
    assert primaries(customer) == ["Maya Chen"]


def test_editing_a_contact_keeps_its_primary_mark(org):
    customer = CustomerFactory(organisation=org)
    maya = make_contact(customer, name="Maya Chen")

    contact_update(
        contact=maya, actor=None, data=ContactInput(name="Maya Chen-Li", phone="+44 20 7946 0322")
    )

    maya.refresh_from_db()
    assert (maya.name, maya.phone, maya.is_primary) == ("Maya Chen-Li", "+442079460322", True)


def test_the_contact_form_shows_errors_beside_the_field(staff_client, org):
    customer = CustomerFactory(organisation=org)
    url = reverse("crm:contact_new", args=[customer.pk])

    response = staff_client.post(url, {"name": "Maya", "phone": "0791"})

    assert response.status_code == 400
    page = text(response)
    assert 'class="field has-error"' in page
    assert "This is not a valid phone number." in page
    assert not Contact.objects.exists()


def test_adding_a_contact_shows_it_on_the_customer_page_nationally(staff_client, org):
    customer = CustomerFactory(organisation=org, name="ACME Creative Agency")
    url = reverse("crm:contact_new", args=[customer.pk])

    response = staff_client.post(
        url, {"name": "Maya Chen", "job_title": "Director", "phone": "07911 123456"}
    )

    assert response.url == reverse("crm:customer_detail", args=[customer.pk])
    page = visible_text(staff_client.get(response.url))
    assert "Maya Chen Primary" in page
    assert "07911 123456" in page


def test_removing_asks_first_then_removes(staff_client, org):
    customer = CustomerFactory(organisation=org)
    maya = make_contact(customer, name="Maya Chen")
    make_contact(customer, name="Ravi Kapoor")
    url = reverse("crm:contact_remove", args=[customer.pk, maya.pk])

    asked = staff_client.get(url)
    assert "Remove Maya Chen?" in visible_text(asked)
    assert Contact.objects.count() == 2

    response = staff_client.post(url)
    assert messages_of(response) == ["Maya Chen removed. Ravi Kapoor is now the primary contact."]
    assert primaries(customer) == ["Ravi Kapoor"]


def test_make_primary_from_the_page(staff_client, org):
    customer = CustomerFactory(organisation=org)
    make_contact(customer, name="Maya Chen")
    ravi = make_contact(customer, name="Ravi Kapoor")

    staff_client.post(reverse("crm:contact_primary", args=[customer.pk, ravi.pk]))

    assert primaries(customer) == ["Ravi Kapoor"]


def test_a_contact_of_another_customer_is_not_found_under_this_one(staff_client, org):
    customer = CustomerFactory(organisation=org)
    elsewhere = make_contact(CustomerFactory(organisation=org), name="Someone Else")

    response = staff_client.post(reverse("crm:contact_primary", args=[customer.pk, elsewhere.pk]))

    assert response.status_code == 404
