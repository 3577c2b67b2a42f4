"""Sending from the SMS tab: refusals with clear messages, the message shown at once as
queued, and the task handing it to Twilio (mocked at the HTTP boundary) with its status
callback URL."""

import datetime
from urllib.parse import parse_qs

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_appointment, make_invoice
from tests.helpers import text
from twilio_sms import services
from twilio_sms.models import SmsMessage, SmsOptOut
from twilio_sms.tasks import sms_deliver_task

from .conftest import CONTACT_PHONE, MESSAGES_URL, SENDER, message_resource, twilio_error

pytestmark = pytest.mark.django_db

SEND = reverse("twilio_sms:send")
TAB = reverse("integrations:provider", args=["twilio"])
HTMX = {"HX-Request": "true"}


@pytest.fixture
def queued(monkeypatch):
    """The deliver tasks sent once the request's transaction commits."""
    sent = []
    monkeypatch.setattr(sms_deliver_task, "delay", lambda *args: sent.append(args))
    return sent


def send(client, **data):
    return client.post(SEND, data, headers=HTMX)


@pytest.mark.parametrize(
    ("to", "body", "field", "message"),
    [
        ("12345", "Hello", "to", services.INVALID_NUMBER),
        ("not a number", "Hello", "to", services.INVALID_NUMBER),
        (CONTACT_PHONE, "   ", "body", services.EMPTY_MESSAGE),
        (CONTACT_PHONE, "a" * 1601, "body", services.TOO_LONG),
    ],
    ids=["too short", "letters", "empty", "over 1,600"],
)
def test_refusals_say_what_is_wrong_and_send_nothing(
    owner_client, connection, queued, to, body, field, message, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(owner_client, to=to, body=body)
    assert response.status_code == 200
    assert message in text(response)
    assert not SmsMessage.objects.exists()
    assert queued == []


def test_a_number_that_replied_stop_is_refused(owner_client, connection, org, queued):
    SmsOptOut.objects.create(organisation=org, phone=CONTACT_PHONE)
    response = send(owner_client, to="07911 123456", body="Reminder")
    assert services.OPTED_OUT in text(response)
    assert not SmsMessage.objects.exists()


def test_sending_shows_the_message_queued_at_once_in_e164(
    owner_client, connection, contact, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(owner_client, to="07911 123456", body="Your engineer is on the way")
    page = text(response)
    assert "SMS queued" in response.headers.get("HX-Trigger", "") or "SMS queued" in page
    assert 'id="sms-history"' in page and 'hx-swap-oob="true"' in page
    assert CONTACT_PHONE in page and "Maya Chen" in page
    assert "Your engineer is on the way" in page and "Queued" in page
    message = SmsMessage.objects.get()
    assert (message.phone, message.status, message.contact) == (CONTACT_PHONE, "queued", contact)
    assert queued == [(message.pk, "http://testserver/webhooks/twilio/")]


def test_the_status_callback_uses_the_public_base_behind_a_proxy(
    owner_client, connection, queued, settings, django_capture_on_commit_callbacks
):
    settings.TWILIO_PUBLIC_WEBHOOK_BASE = "https://app.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        send(owner_client, to=CONTACT_PHONE, body="Hi")
    assert queued[0][1] == "https://app.example.com/webhooks/twilio/"


def test_the_task_sends_to_twilio_with_the_callback_and_keeps_the_sid(mocked, connection, org):
    message = SmsMessage.objects.create(
        organisation=org, direction="outbound", phone=CONTACT_PHONE, body="Hi €5"
    )
    mocked.post(MESSAGES_URL, json=message_resource(status="queued", num_segments="1"), status=201)
    sms_deliver_task(message.pk, "https://app.example.com/webhooks/twilio/")
    sent = parse_qs(mocked.calls[0].request.body)
    assert sent == {
        "To": [CONTACT_PHONE],
        "From": [SENDER],
        "Body": ["Hi €5"],
        "StatusCallback": ["https://app.example.com/webhooks/twilio/"],
    }
    message.refresh_from_db()
    assert message.sid == "SM0123456789abcdef0123456789abcdef"
    # Sent again (a redelivered task): nothing more goes to Twilio.
    sms_deliver_task(message.pk, "https://app.example.com/webhooks/twilio/")
    assert len(mocked.calls) == 1


def test_a_messaging_service_sender_goes_as_messaging_service_sid(mocked, connection, org):
    connection.credentials = {
        **connection.credentials,
        "sender": "MG0123456789abcdef0123456789abcdef",
    }
    connection.save()
    message = SmsMessage.objects.create(
        organisation=org, direction="outbound", phone=CONTACT_PHONE, body="Hi"
    )
    mocked.post(MESSAGES_URL, json=message_resource(), status=201)
    sms_deliver_task(message.pk, "")
    assert parse_qs(mocked.calls[0].request.body)["MessagingServiceSid"] == [
        "MG0123456789abcdef0123456789abcdef"
    ]


def test_twilio_refusing_an_opted_out_number_fails_it_with_the_reason(mocked, connection, org):
    message = SmsMessage.objects.create(
        organisation=org, direction="outbound", phone=CONTACT_PHONE, body="Hi"
    )
    mocked.post(
        MESSAGES_URL,
        json=twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"),
        status=400,
    )
    sms_deliver_task(message.pk, "")
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "21610")
    assert SmsOptOut.objects.filter(organisation=org, phone=CONTACT_PHONE).exists()


def test_the_appointment_reminder_template_is_filled(
    owner_client, connection, org, owner, customer, contact
):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=2)
    appointment = make_appointment(
        org, staff=owner, start=start, customer=customer, title="Boiler service"
    )
    response = owner_client.get(TAB, {"template": "appointment", "appointment": appointment.pk})
    page = text(response)
    assert "Hi Maya, this is" in page and "reminding you of Boiler service on" in page
    assert 'value="07911 123456"' in page
    assert "Reply STOP to opt out." in page


def test_the_invoice_reminder_template_is_filled(owner_client, connection, org, customer, contact):
    invoice = make_invoice(org, customer=customer, lines=((1, "100.00", "20"),), finalise=True)
    page = text(owner_client.get(TAB, {"invoice": invoice.pk}))
    assert f"invoice {invoice.number} for £120.00 is due on" in page


def test_another_organisations_appointment_fills_nothing(owner_client, connection, other_org):
    from tests.conftest import make_member
    from tests.factories import CustomerFactory

    other_owner = make_member(other_org, "owner")
    appointment = make_appointment(
        other_org,
        staff=other_owner,
        start=timezone.now() + datetime.timedelta(days=1),
        customer=CustomerFactory(organisation=other_org, name="Secret Co"),
        title="Secret visit",
    )
    page = text(owner_client.get(TAB, {"appointment": appointment.pk}))
    assert "Secret visit" not in page


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("07700 900123", "GB", "+447700900123"),
        ("+1 212 555 1234", "GB", "+12125551234"),
        ("(212) 555-1234", "US", "+12125551234"),
    ],
)
def test_numbers_are_read_in_the_organisations_country(org, typed, country, e164):
    org.country = country
    assert services.phone_normalise(organisation=org, text=typed) == e164
