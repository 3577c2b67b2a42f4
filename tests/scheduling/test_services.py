"""Booking, changing, cancelling and completing appointments."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from crm.models import Contact
from invoicing.models import AuditLog
from scheduling.models import Appointment
from scheduling.services import (
    AppointmentClash,
    AppointmentInput,
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_reschedule,
)
from scheduling.times import local_to_aware
from tests.conftest import make_member
from tests.factories import CustomerFactory, make_appointment

from .conftest import LONDON, at

pytestmark = pytest.mark.django_db


def book(org, staff, start, end, *, allow_overlap=False, **fields):
    fields.setdefault("customer", CustomerFactory(organisation=org, name="Jane Smith"))
    fields.setdefault("address", "12 High Street")
    return appointment_book(
        organisation=org,
        actor=None,
        data=AppointmentInput(title="Boiler service", staff=staff, start=start, end=end, **fields),
        allow_overlap=allow_overlap,
    )


def test_booking_an_appointment_records_it_and_an_audit_line(org, engineer):
    appointment = book(org, engineer, at("2026-12-08", "10:00"), at("2026-12-08", "11:00"))

    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.start == datetime.datetime(2026, 12, 8, 10, tzinfo=datetime.UTC)
    assert appointment.meeting_url == ""
    assert AuditLog.objects.filter(action="appointment.booked", object_id=appointment.pk).exists()


def test_an_overlapping_booking_of_the_same_staff_member_names_the_clash(org, engineer):
    acme = CustomerFactory(organisation=org, name="ACME Creative Agency")
    make_appointment(
        org, staff=engineer, customer=acme, title="Studio survey", start=at("2026-12-08", "10:00")
    )

    with pytest.raises(AppointmentClash) as error:
        book(org, engineer, at("2026-12-08", "10:30"), at("2026-12-08", "11:30"))

    assert error.value.messages == [
        "Sam Patel already has “Studio survey” with ACME Creative Agency on Tue 8 Dec "
        "from 10:00 to 11:00."
    ]
    assert Appointment.objects.count() == 1


def test_book_anyway_books_the_overlap(org, engineer):
    make_appointment(org, staff=engineer, start=at("2026-12-08", "10:00"))

    book(org, engineer, at("2026-12-08", "10:30"), at("2026-12-08", "11:30"), allow_overlap=True)

    assert Appointment.objects.count() == 2


@pytest.mark.parametrize(
    ("start", "end"),
    [("09:00", "10:00"), ("11:00", "12:00")],
    ids=["ends-when-it-starts", "starts-when-it-ends"],
)
def test_touching_ends_do_not_overlap(org, engineer, start, end):
    make_appointment(org, staff=engineer, start=at("2026-12-08", "10:00"), minutes=60)

    book(org, engineer, at("2026-12-08", start), at("2026-12-08", end))

    assert Appointment.objects.count() == 2


def test_cancelled_appointments_do_not_clash(org, engineer):
    earlier = make_appointment(org, staff=engineer, start=at("2026-12-08", "10:00"))
    appointment_cancel(appointment=earlier, actor=None, reason="Customer away")

    book(org, engineer, at("2026-12-08", "10:00"), at("2026-12-08", "11:00"))

    assert Appointment.objects.filter(status="booked").count() == 1


def test_another_staff_members_appointments_do_not_clash(org, engineer):
    colleague = make_member(org, "staff")
    make_appointment(org, staff=colleague, start=at("2026-12-08", "10:00"))

    book(org, engineer, at("2026-12-08", "10:00"), at("2026-12-08", "11:00"))


def test_a_contact_of_another_customer_is_refused(org, engineer):
    other = CustomerFactory(organisation=org)
    stranger = Contact.objects.create(organisation=org, customer=other, name="Not theirs")

    with pytest.raises(ValidationError) as error:
        book(org, engineer, at("2026-12-08", "10:00"), at("2026-12-08", "11:00"), contact=stranger)

    assert error.value.message_dict == {"contact": ["Choose one of this customer's contacts."]}


def test_a_customer_of_another_organisation_is_refused(org, other_org, engineer):
    theirs = CustomerFactory(organisation=other_org)

    with pytest.raises(ValidationError) as error:
        book(org, engineer, at("2026-12-08", "10:00"), at("2026-12-08", "11:00"), customer=theirs)

    assert error.value.message_dict == {"customer": ["Choose a customer."]}


def test_a_staff_member_outside_the_organisation_is_refused(org, other_org):
    outsider = make_member(other_org, "staff")

    with pytest.raises(ValidationError) as error:
        book(org, outsider, at("2026-12-08", "10:00"), at("2026-12-08", "11:00"))

    assert error.value.message_dict == {"staff": ["Choose a member of this organisation."]}


def test_in_person_needs_an_address_and_the_end_comes_after_the_start(org, engineer):
    with pytest.raises(ValidationError) as error:
        book(org, engineer, at("2026-12-08", "10:00"), at("2026-12-08", "10:00"), address=" ")

    assert error.value.message_dict == {
        "address": ["Enter the address for an appointment in person."],
        "end": ["The end must be after the start."],
    }


def test_online_appointments_keep_no_address(org, engineer):
    appointment = book(
        org,
        engineer,
        at("2026-12-08", "10:00"),
        at("2026-12-08", "11:00"),
        location_type="zoom",
        address="ignored",
    )

    assert (appointment.location_type, appointment.address, appointment.meeting_url) == (
        "zoom",
        "",
        "",
    )


def test_rescheduling_into_a_clash_is_refused_and_moving_within_its_own_slot_is_not(org, engineer):
    make_appointment(org, staff=engineer, title="Survey", start=at("2026-12-08", "09:00"))
    moving = make_appointment(org, staff=engineer, start=at("2026-12-08", "11:00"))

    with pytest.raises(AppointmentClash):
        appointment_reschedule(
            appointment=moving,
            actor=None,
            start=at("2026-12-08", "09:30"),
            end=at("2026-12-08", "10:30"),
        )
    moved = appointment_reschedule(
        appointment=moving,
        actor=None,
        start=at("2026-12-08", "11:30"),
        end=at("2026-12-08", "12:30"),
    )

    moved.refresh_from_db()
    assert moved.start == at("2026-12-08", "11:30")
    assert AuditLog.objects.filter(action="appointment.rescheduled").count() == 1


def test_cancelling_needs_a_reason_and_happens_once(org, engineer):
    appointment = make_appointment(org, staff=engineer, start=at("2026-12-08", "10:00"))

    with pytest.raises(ValidationError):
        appointment_cancel(appointment=appointment, actor=None, reason="  ")
    cancelled = appointment_cancel(appointment=appointment, actor=None, reason="Customer ill")

    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Customer ill")
    assert cancelled.cancelled_at is not None
    with pytest.raises(ValidationError, match="only booked appointments can be cancelled"):
        appointment_cancel(appointment=appointment, actor=None, reason="Again")


def test_an_appointment_is_completed_once_it_has_started(org, engineer):
    future = make_appointment(
        org, staff=engineer, start=timezone.now() + datetime.timedelta(hours=2)
    )
    started = make_appointment(
        org, staff=engineer, start=timezone.now() - datetime.timedelta(minutes=5)
    )

    with pytest.raises(ValidationError, match="once it has started"):
        appointment_complete(appointment=future, actor=None)
    assert appointment_complete(appointment=started, actor=None).status == "completed"


# Time zones: Europe/London goes forward at 01:00 GMT on 29 March 2026 and back at
# 02:00 BST on 25 October 2026.


def test_times_are_read_on_the_organisations_clock():
    summer = local_to_aware(datetime.date(2026, 7, 1), datetime.time(9), zone=LONDON)
    winter = local_to_aware(datetime.date(2026, 12, 1), datetime.time(9), zone=LONDON)

    assert summer.astimezone(datetime.UTC).hour == 8
    assert winter.astimezone(datetime.UTC).hour == 9


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(ValidationError) as error:
        local_to_aware(datetime.date(2026, 3, 29), datetime.time(1, 30), zone=LONDON)

    assert error.value.messages == [
        "01:30 on 29 Mar 2026 does not exist: the clocks go forward then. Choose another time."
    ]


def test_a_time_the_clocks_repeat_is_refused():
    with pytest.raises(ValidationError) as error:
        local_to_aware(datetime.date(2026, 10, 25), datetime.time(1, 30), zone=LONDON)

    assert error.value.messages == [
        "01:30 on 25 Oct 2026 happens twice: the clocks go back then. "
        "Choose a time outside that hour."
    ]


def test_a_booking_across_the_clocks_going_back_lasts_its_real_length(org, engineer):
    start = local_to_aware(datetime.date(2026, 10, 25), datetime.time(0, 30), zone=LONDON)
    end = local_to_aware(datetime.date(2026, 10, 25), datetime.time(2, 30), zone=LONDON)

    appointment = book(org, engineer, start, end)

    # 00:30 BST to 02:30 GMT is three hours, not two.
    assert appointment.end - appointment.start == datetime.timedelta(hours=3)
    assert appointment.start == datetime.datetime(2026, 10, 24, 23, 30, tzinfo=datetime.UTC)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bookings_of_one_staff_member_do_not_both_slip_through(org, engineer):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; SQLite serialises writers on its own.")
    customer = CustomerFactory(organisation=org)
    barrier = threading.Barrier(2)
    results = []

    def attempt():
        try:
            barrier.wait()
            book(
                org,
                engineer,
                at("2026-12-08", "10:00"),
                at("2026-12-08", "11:00"),
                customer=customer,
            )
            results.append("booked")
        except AppointmentClash:
            results.append("clash")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["booked", "clash"]
    assert Appointment.objects.filter(staff=engineer).count() == 1
