"""The business events appointments announce, and their payloads pinned in full."""

import re

import pytest

from crm import events
from crm.models import Contact
from scheduling.services import appointment_cancel, appointment_reschedule
from tests.factories import CustomerFactory, make_appointment
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db

EVENT_ID = re.compile(r"^evt_[0-9a-f]{32}$")
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def heard():
    received = []

    def listener(sender, event, payload, **kwargs):
        received.append((event, payload))

    events.announced.connect(listener, dispatch_uid="test_heard_appointments")
    yield received
    events.announced.disconnect(dispatch_uid="test_heard_appointments")


@pytest.fixture
def booked(org, engineer):
    customer = CustomerFactory(
        organisation=org,
        name="ACME Creative Agency",
        company_name="ACME Creative Agency Ltd",
        email="studio@acme.test",
    )
    contact = Contact.objects.create(
        organisation=org,
        customer=customer,
        name="Priya Shah",
        email="priya@acme.test",
        phone="+447700900123",
        is_primary=True,
    )
    return make_appointment(
        org,
        staff=engineer,
        customer=customer,
        contact=contact,
        title="Project kick-off",
        start=at("2026-07-06", "10:00"),
        minutes=45,
        location_type="zoom",
        notes="Bring the floor plan.",
        allow_overlap=False,
    )


def data(org, booked, engineer, **changes) -> dict:
    return {
        "id": booked.pk,
        "title": "Project kick-off",
        "status": "booked",
        "start": "2026-07-06T09:00:00Z",
        "end": "2026-07-06T09:45:00Z",
        "time_zone": "Europe/London",
        "location_type": "zoom",
        "address": "",
        "meeting_url": "",
        "notes": "Bring the floor plan.",
        "cancel_reason": "",
        "customer": {
            "id": booked.customer.pk,
            "name": "ACME Creative Agency",
            "company_name": "ACME Creative Agency Ltd",
            "email": "studio@acme.test",
        },
        "contact": {
            "id": booked.contact.pk,
            "name": "Priya Shah",
            "email": "priya@acme.test",
            "phone": "+447700900123",
        },
        "staff": {"id": engineer.pk, "name": "Sam Patel", "email": "sam@alpha.test"},
        **changes,
    }


def envelope(org, payload, name) -> dict:
    assert EVENT_ID.match(payload["id"])
    assert UTC_TIME.match(payload["occurred_at"])
    assert payload["type"] == name
    assert payload["version"] == 1
    assert payload["organisation_id"] == org.pk
    return payload["data"]


def test_booking_announces_appointment_booked(org, engineer, heard, booked):
    assert [name for name, _ in heard] == ["appointment.booked"]
    assert envelope(org, heard[0][1], "appointment.booked") == data(org, booked, engineer)


def test_rescheduling_announces_the_new_and_previous_times(org, engineer, heard, booked):
    heard.clear()

    appointment_reschedule(
        appointment=booked,
        actor=None,
        start=at("2026-07-07", "14:00"),
        end=at("2026-07-07", "15:00"),
    )

    assert [name for name, _ in heard] == ["appointment.rescheduled"]
    assert envelope(org, heard[0][1], "appointment.rescheduled") == data(
        org,
        booked,
        engineer,
        start="2026-07-07T13:00:00Z",
        end="2026-07-07T14:00:00Z",
        previous_start="2026-07-06T09:00:00Z",
        previous_end="2026-07-06T09:45:00Z",
    )


def test_saving_without_new_times_announces_nothing(org, heard, booked):
    heard.clear()

    appointment_reschedule(appointment=booked, actor=None, start=booked.start, end=booked.end)

    assert heard == []


def test_cancelling_announces_appointment_cancelled_with_the_reason(org, engineer, heard, booked):
    heard.clear()

    appointment_cancel(appointment=booked, actor=None, reason="Client postponed")

    assert [name for name, _ in heard] == ["appointment.cancelled"]
    assert envelope(org, heard[0][1], "appointment.cancelled") == data(
        org, booked, engineer, status="cancelled", cancel_reason="Client postponed"
    )


def test_a_refused_booking_announces_nothing(org, engineer, heard, booked):
    heard.clear()

    with pytest.raises(Exception, match="already has"):
        make_appointment(org, staff=engineer, start=at("2026-07-06", "10:15"), allow_overlap=False)

    assert heard == []
