"""Leads: added by hand or by web forms and webhooks, moved through statuses, converted once."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm import events
from crm.models import Contact, Lead
from crm.services.leads import LeadInput, lead_convert, lead_create, lead_status_set
from invoicing.models import Customer

from ..factories import make_lead
from ..helpers import messages_of, text, visible_text

pytestmark = pytest.mark.django_db


def test_a_lead_from_a_web_form_is_stored_with_its_source_and_e164_phone(org):
    lead = lead_create(
        organisation=org,
        actor=None,
        data=LeadInput(name="  Priya Shah ", company="Northgate Dental", phone="07911 123456"),
        source=Lead.Source.WEB_FORM,
    )

    assert (lead.name, lead.phone, lead.source, lead.status) == (
        "Priya Shah",
        "+447911123456",
        "web_form",
        "new",
    )
    assert lead.created_by is None


def test_what_a_webhook_sends_is_checked_field_by_field(org):
    with pytest.raises(ValidationError) as error:
        lead_create(
            organisation=org,
            actor=None,
            data=LeadInput(name="", email="nope", phone="call me"),
            source=Lead.Source.WEBHOOK,
        )

    assert error.value.message_dict == {
        "name": ["Enter the lead's name."],
        "email": ["Enter a valid email address."],
        "phone": ["Enter a phone number, like 07911 123456 or +44 7911 123456."],
    }
    assert not Lead.objects.exists()


def test_converting_makes_the_customer_and_its_primary_contact(org, staff):
    lead = make_lead(
        org,
        name="Priya Shah",
        company="Northgate Dental",
        email="priya@northgate.example.com",
        phone="07911 123456",
    )

    customer = lead_convert(lead=lead, actor=staff)

    assert (customer.name, customer.company_name, customer.email, customer.phone) == (
        "Northgate Dental",
        "Northgate Dental",
        "priya@northgate.example.com",
        "07911 123456",
    )
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.phone, contact.is_primary) == (
        "Priya Shah",
        "+447911123456",
        True,
    )
    lead.refresh_from_db()
    assert (lead.status, lead.customer) == ("won", customer)


def test_a_lead_without_a_company_becomes_a_customer_named_after_the_person(org):
    customer = lead_convert(lead=make_lead(org, name="Ben Carter"), actor=None)

    assert (customer.name, customer.company_name) == ("Ben Carter", "")


def test_a_converted_lead_cannot_be_converted_again(org):
    lead = make_lead(org)
    lead_convert(lead=lead, actor=None)

    with pytest.raises(ValidationError) as error:
        lead_convert(lead=lead, actor=None)

    assert error.value.messages == ["This lead is already a customer."]
    assert Customer.objects.count() == 1


def test_a_converted_lead_stays_won(org):
    lead = make_lead(org)
    lead_convert(lead=lead, actor=None)

    with pytest.raises(ValidationError):
        lead_status_set(lead=lead, actor=None, status="lost")


def test_status_changes_are_recorded(org):
    lead = make_lead(org)

    lead = lead_status_set(lead=lead, actor=None, status="contacted")

    assert Lead.objects.get().status == "contacted"


def test_lead_list_searches_name_company_email_and_phone_and_filters_status(staff_client, org):
    make_lead(org, name="Priya Shah", company="Northgate Dental", phone="07911 123456")
    make_lead(org, name="Ben Carter", email="ben@carter.example.com")
    lost = make_lead(org, name="Hannah Moore")
    lead_status_set(lead=lost, actor=None, status="lost")
    url = reverse("crm:lead_list")

    def names(**query) -> list[str]:
        page = staff_client.get(url, query)
        return [lead.name for lead in page.context["page"].object_list]

    assert names(q="northgate") == ["Priya Shah"]
    assert names(q="carter.example") == ["Ben Carter"]
    assert names(q="07911 123456") == ["Priya Shah"]
    assert names(status="lost") == ["Hannah Moore"]
    assert sorted(names()) == ["Ben Carter", "Hannah Moore", "Priya Shah"]
    # A filter nobody could have chosen is ignored, not an error.
    assert len(names(status="nonsense", q="x" * 500)) == 3


def test_lead_list_pages(staff_client, org):
    for n in range(30):
        make_lead(org, name=f"Lead {n:02d}")

    second = staff_client.get(reverse("crm:lead_list"), {"page": "2"})

    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2 · 30 in all" in visible_text(second)
    assert staff_client.get(reverse("crm:lead_list"), {"page": "²"}).status_code == 200


def test_the_lead_form_shows_errors_beside_the_fields(staff_client):
    response = staff_client.post(
        reverse("crm:lead_new"), {"name": "", "email": "nope", "phone": "0791"}
    )

    assert response.status_code == 400
    page = text(response)
    assert page.count('class="field has-error"') == 3
    assert "This is not a valid phone number." in page


def test_adding_a_lead_by_hand_announces_it(staff_client, staff):
    heard = []

    def listener(sender, event, payload, **kwargs):
        heard.append(event)

    events.announced.connect(listener, dispatch_uid="test_leads_heard")
    try:
        response = staff_client.post(
            reverse("crm:lead_new"), {"name": "Priya Shah", "phone": "07911 123456"}
        )
    finally:
        events.announced.disconnect(dispatch_uid="test_leads_heard")

    lead = Lead.objects.get()
    assert response.url == reverse("crm:lead_detail", args=[lead.pk])
    assert (lead.source, lead.created_by) == ("manual", staff)
    assert heard == ["lead.created"]


def test_convert_from_the_page_then_again(staff_client, org):
    lead = make_lead(org, name="Priya Shah", company="Northgate Dental")
    url = reverse("crm:lead_convert", args=[lead.pk])

    response = staff_client.post(url)
    customer = Customer.objects.get()
    assert response.url == reverse("crm:customer_detail", args=[customer.pk])
    assert messages_of(response) == ["Priya Shah converted: Northgate Dental is now a customer."]

    again = staff_client.post(url)
    assert again.url == reverse("crm:lead_detail", args=[lead.pk])
    assert messages_of(again)[-1] == "This lead is already a customer."
    detail = visible_text(staff_client.get(again.url))
    assert "Converted to a customer: Northgate Dental" in detail
    assert "Convert to customer" not in detail


def test_a_bad_status_is_refused_without_an_error_page(staff_client, org):
    lead = make_lead(org)

    response = staff_client.post(reverse("crm:lead_status", args=[lead.pk]), {"status": "vip"})

    assert response.status_code == 302
    assert messages_of(response) == ["Choose a status."]
