"""The demo's appointments: this week and next, each location type, and a second run (even
on a later day) changes nothing."""

import datetime
import os

import pytest
import time_machine
from django.core.management import call_command

from invoicing.demo import DEMO_ORGANISATION
from scheduling.models import Appointment
from scheduling.times import week_start

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)


def seed():
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def rows() -> list[dict]:
    return list(Appointment.objects.order_by("pk").values())


def test_the_demo_books_this_week_and_next_in_every_location_type():
    with time_machine.travel(MONDAY, tick=False):
        seed()

    appointments = Appointment.objects.filter(organisation__name=DEMO_ORGANISATION)
    assert set(appointments.values_list("location_type", flat=True)) == {
        "in_person",
        "phone",
        "google_meet",
        "zoom",
    }
    weeks = {week_start(a.start.date()) for a in appointments}
    assert weeks == {datetime.date(2026, 12, 7), datetime.date(2026, 12, 14)}
    by_staff = set(appointments.values_list("staff__email", flat=True))
    assert by_staff == {"staff@demo.test", "owner@demo.test"}
    acme = appointments.filter(customer__name="ACME Creative Agency").count()
    assert acme > appointments.count() / 2
    assert appointments.exclude(customer__name="ACME Creative Agency").count() >= 2
    assert not appointments.filter(location_type="in_person", address="").exists()


def test_a_second_run_on_a_later_day_changes_and_moves_nothing():
    with time_machine.travel(MONDAY, tick=False):
        seed()
    first = rows()

    with time_machine.travel(MONDAY + datetime.timedelta(days=9), tick=False):
        seed()

    assert rows() == first
    assert len(first) == 6
