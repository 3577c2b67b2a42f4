"""The appointment pages: what a member sees and what the forms refuse."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from crm.models import Contact
from scheduling.models import Appointment
from tests.conftest import client_for, make_member
from tests.factories import CustomerFactory, make_appointment
from tests.helpers import text, visible_text

from .conftest import at

pytestmark = pytest.mark.django_db

# A Tuesday in December (GMT), so London's clock reads UTC.
NOW = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(org):
    return CustomerFactory(organisation=org, name="ACME Creative Agency")


def form_post(party, person, **fields) -> dict:
    return {
        "title": "Studio survey",
        "customer": party.pk,
        "contact": "",
        "staff": person.pk,
        "date": "2026-12-09",
        "start_time": "10:00",
        "end_time": "11:00",
        "location_type": "zoom",
        "address": "",
        "notes": "",
        **fields,
    }


def test_the_week_shows_each_appointment_on_its_day_with_a_book_link(staff_client, engineer, acme):
    make_appointment(
        engineer_org := acme.organisation,
        staff=engineer,
        customer=acme,
        title="Studio survey",
        start=at("2026-12-10", "14:00"),
    )
    make_appointment(
        engineer_org, staff=engineer, title="Later visit", start=at("2026-12-15", "09:00")
    )

    response = staff_client.get(reverse("scheduling:week"))

    page = text(response)
    thursday = page[page.index('id="day-2026-12-10"') : page.index('id="day-2026-12-11"')]
    assert "Studio survey" in thursday and "14:00\u201315:00" in thursday
    assert "ACME Creative Agency" in thursday
    assert "Later visit" not in page
    assert f"{reverse('scheduling:new')}?date=2026-12-07" in page
    assert "7 Dec \u2013 13 Dec 2026" in visible_text(response)
    assert "?week=2026-12-14" in page and "?week=2026-11-30" in page


def test_another_week_and_one_staff_member(staff_client, org, engineer):
    colleague = make_member(org, "staff", first_name="Lee")
    make_appointment(org, staff=engineer, title="Sam's visit", start=at("2026-12-16", "09:00"))
    make_appointment(org, staff=colleague, title="Lee's visit", start=at("2026-12-16", "11:00"))

    everyone = visible_text(staff_client.get(reverse("scheduling:week"), {"week": "2026-12-17"}))
    only_sam = visible_text(
        staff_client.get(reverse("scheduling:week"), {"week": "2026-12-17", "staff": engineer.pk})
    )

    assert "14 Dec \u2013 20 Dec 2026" in everyone
    assert "Sam's visit" in everyone and "Lee's visit" in everyone
    assert "Sam's visit" in only_sam and "Lee's visit" not in only_sam


@pytest.mark.parametrize(
    "week",
    ["nonsense", "2026-13-01", "\u0662\u0660\u0662\u0666-\u0661\u0662-\u0660\u0661", "2026-12-1"],
)
def test_a_bad_week_shows_this_week(staff_client, week):
    response = staff_client.get(reverse("scheduling:week"), {"week": week, "staff": "x"})

    assert response.status_code == 200
    assert "7 Dec \u2013 13 Dec 2026" in visible_text(response)


def test_the_day_list_shows_that_days_appointments_by_time(staff_client, org, engineer):
    make_appointment(org, staff=engineer, title="Afternoon", start=at("2026-12-09", "15:00"))
    make_appointment(org, staff=engineer, title="Morning", start=at("2026-12-09", "08:00"))
    make_appointment(org, staff=engineer, title="Another day", start=at("2026-12-10", "08:00"))

    page = visible_text(staff_client.get(reverse("scheduling:day", args=["2026-12-09"])))

    assert "Wednesday 9 December 2026" in page
    assert page.index("Morning") < page.index("Afternoon")
    assert "Another day" not in page


@pytest.mark.parametrize("day", ["2026-02-30", "yesterday", "2026-1-01"])
def test_a_day_that_is_not_a_date_is_not_found(staff_client, day):
    assert staff_client.get(reverse("scheduling:day", args=[day])).status_code == 404


def test_the_new_form_opens_on_the_day_chosen_in_the_week(staff_client, staff):
    response = staff_client.get(reverse("scheduling:new"), {"date": "2026-12-11"})

    page = text(response)
    assert 'name="date" value="2026-12-11"' in page
    assert f'<option value="{staff.pk}" selected>' in page


def test_booking_from_the_form_shows_the_appointment(staff_client, staff, acme):
    response = staff_client.post(reverse("scheduling:new"), form_post(acme, staff))

    appointment = Appointment.objects.get()
    assert response.url == reverse("scheduling:detail", args=[appointment.pk])
    assert appointment.start == datetime.datetime(2026, 12, 9, 10, tzinfo=datetime.UTC)
    assert appointment.created_by == staff
    page = visible_text(staff_client.get(response.url))
    assert "Studio survey booked." in page
    assert "Wednesday 9 December 2026, 10:00\u201311:00" in page
    assert "The Meet or Zoom link field stays empty until those integrations fill it." in page


def test_form_times_are_read_on_the_organisations_clock_in_summer(staff_client, staff, acme):
    staff_client.post(reverse("scheduling:new"), form_post(acme, staff, date="2027-07-01"))

    assert Appointment.objects.get().start == datetime.datetime(2027, 7, 1, 9, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"end_time": "09:00"}, "end_time", "The end must be after the start."),
        ({"date": "2027-03-28", "start_time": "01:30", "end_time": "03:00"}, "start_time",
         "01:30 on 28 Mar 2027 does not exist: the clocks go forward then."),
        ({"location_type": "in_person"}, "address",
         "Enter the address for an appointment in person."),
        ({"location_type": "teleport"}, "location_type", "Select a valid choice."),
        ({"date": "31/02/2026"}, "date", "Enter a valid date."),
        ({"customer": "99999999999999999999"}, "customer", "Select a valid choice."),
    ],
    ids=["title", "end", "clock-change", "address", "location", "date", "customer"],
)  # fmt: skip
def test_bad_input_is_refused_beside_the_field(staff_client, staff, acme, fields, field, message):
    response = staff_client.post(reverse("scheduling:new"), form_post(acme, staff, **fields))

    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert message in visible_text(response)
    assert Appointment.objects.count() == 0


def test_a_contact_of_another_customer_is_refused(staff_client, org, staff, acme):
    other = Contact.objects.create(
        organisation=org, customer=CustomerFactory(organisation=org), name="Not theirs"
    )

    response = staff_client.post(
        reverse("scheduling:new"), form_post(acme, staff, contact=other.pk)
    )

    assert response.status_code == 400
    assert "Choose one of this customer's contacts." in visible_text(response)


def test_the_contact_choices_follow_the_customer(staff_client, org, other_org, acme):
    Contact.objects.create(organisation=org, customer=acme, name="Priya Shah")
    elsewhere = CustomerFactory(organisation=other_org)
    Contact.objects.create(organisation=other_org, customer=elsewhere, name="Someone Else")

    ours = text(staff_client.get(reverse("scheduling:contact_options"), {"customer": acme.pk}))
    theirs = text(
        staff_client.get(reverse("scheduling:contact_options"), {"customer": elsewhere.pk})
    )

    assert 'id="contact-field"' in ours and "Priya Shah" in ours
    assert "Someone Else" not in theirs


def test_a_clash_is_shown_and_book_anyway_books_it(staff_client, org, staff, acme):
    make_appointment(org, staff=staff, title="Boiler service", start=at("2026-12-09", "10:30"))

    response = staff_client.post(reverse("scheduling:new"), form_post(acme, staff))

    assert response.status_code == 400
    page = visible_text(response)
    assert "This clashes with another booking." in page
    assert "already has “Boiler service”" in page
    assert "Book anyway" in page
    assert Appointment.objects.count() == 1

    response = staff_client.post(
        reverse("scheduling:new"), form_post(acme, staff, confirm_overlap="1")
    )

    assert response.status_code == 302
    assert Appointment.objects.count() == 2


def test_rescheduling_from_the_edit_form(staff_client, org, staff, acme):
    appointment = make_appointment(org, staff=staff, customer=acme, start=at("2026-12-09", "10:00"))
    url = reverse("scheduling:edit", args=[appointment.pk])
    assert 'name="start_time" value="10:00"' in text(staff_client.get(url))

    response = staff_client.post(
        url,
        form_post(acme, staff, title="Site visit", start_time="13:00", end_time="14:30",
                  location_type="in_person", address="1 High Street"),
    )  # fmt: skip

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.start, appointment.end) == (
        at("2026-12-09", "13:00"),
        at("2026-12-09", "14:30"),
    )


def test_cancelling_needs_a_reason_and_shows_it(staff_client, org, staff):
    appointment = make_appointment(org, staff=staff, start=at("2026-12-09", "10:00"))
    url = reverse("scheduling:cancel", args=[appointment.pk])

    refused = staff_client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in visible_text(refused)

    staff_client.post(url, {"reason": "Customer away"})
    page = visible_text(staff_client.get(reverse("scheduling:detail", args=[appointment.pk])))
    assert "Cancelled" in page and "Customer away" in page
    assert "Reschedule" not in page


def test_a_cancelled_appointment_cannot_be_edited(staff_client, org, staff):
    appointment = make_appointment(org, staff=staff, start=at("2026-12-09", "10:00"))
    staff_client.post(reverse("scheduling:cancel", args=[appointment.pk]), {"reason": "Away"})

    response = staff_client.get(reverse("scheduling:edit", args=[appointment.pk]))

    assert response.url == reverse("scheduling:detail", args=[appointment.pk])


def test_another_organisations_appointments_are_not_found(org, other_org, staff_client):
    theirs = make_appointment(
        other_org, staff=make_member(other_org, "staff"), start=at("2026-12-09", "10:00")
    )

    for name, method, data in [
        ("detail", "get", {}),
        ("edit", "get", {}),
        ("edit", "post", {"title": "Mine now"}),
        ("cancel", "get", {}),
        ("cancel", "post", {"reason": "Mine now"}),
        ("complete", "post", {}),
    ]:
        response = getattr(staff_client, method)(
            reverse(f"scheduling:{name}", args=[theirs.pk]), data
        )
        assert response.status_code == 404, name
    theirs.refresh_from_db()
    assert (theirs.title, theirs.status) == ("Site visit", "booked")
    week = visible_text(staff_client.get(reverse("scheduling:week")))
    assert "Site visit" not in week


def test_another_organisations_customer_and_people_are_not_offered(staff_client, other_org, staff):
    theirs = CustomerFactory(organisation=other_org, name="Bravo's customer")
    outsider = make_member(other_org, "staff", first_name="Outsider")

    page = text(staff_client.get(reverse("scheduling:new")))
    response = staff_client.post(reverse("scheduling:new"), form_post(theirs, outsider))

    assert "Bravo's customer" not in page and "Outsider" not in page
    assert set(response.context["form"].errors) >= {"customer", "staff"}


def test_the_accountant_reads_but_sees_no_booking_links(org, engineer):
    make_appointment(org, staff=engineer, start=at("2026-12-09", "10:00"))
    client = client_for(make_member(org, "accountant"))

    page = text(client.get(reverse("scheduling:week")))

    assert "Site visit" in page
    assert "+ Book" not in page and "Book appointment" not in page


def test_the_week_the_clocks_go_back_puts_each_appointment_on_its_local_day(
    staff_client, org, engineer
):
    # Monday 19 Oct 00:30 BST is Sunday 23:30 UTC; Sunday 25 Oct 23:30 GMT is after the change.
    make_appointment(org, staff=engineer, title="Early Monday", start=at("2026-10-19", "00:30"))
    make_appointment(org, staff=engineer, title="Late Sunday", start=at("2026-10-25", "23:30"))
    make_appointment(org, staff=engineer, title="Following Monday", start=at("2026-10-26", "00:30"))

    page = text(staff_client.get(reverse("scheduling:week"), {"week": "2026-10-21"}))

    monday = page[page.index('id="day-2026-10-19"') : page.index('id="day-2026-10-20"')]
    sunday = page[page.index('id="day-2026-10-25"') :]
    assert "Early Monday" in monday and "00:30" in monday
    assert "Late Sunday" in sunday and "23:30" in sunday
    assert "Following Monday" not in page
