"""The demo's appointments: this week and next, one of each location type, mostly for ACME
Creative Agency. Each is found by title and customer before it is created, so a second run
(on any later day) changes and moves nothing."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.capabilities import OWNER, STAFF
from accounts.models import Organisation
from invoicing.models import Customer

from .models import Appointment
from .services import AppointmentInput, appointment_book
from .times import local_to_aware, week_start, zone_of

In = Appointment.LocationType


@dataclass(frozen=True)
class DemoAppointment:
    title: str
    customer: str
    staff: str  # a role key of the demo people
    week: int  # 0 this week, 1 next week
    weekday: int  # 0 Monday
    start: datetime.time
    minutes: int
    location_type: str
    address: str = ""
    notes: str = ""


ACME = "ACME Creative Agency"
ACME_ADDRESS = "ACME Creative Agency\n12 Rivington Street\nLondon EC2A 4NE"

APPOINTMENTS = [
    DemoAppointment(
        "Studio radiator survey", ACME, STAFF, 0, 1, datetime.time(10), 60, In.IN_PERSON,
        ACME_ADDRESS, "Measure the two meeting rooms for column radiators.",
    ),
    DemoAppointment(
        "Heating plan call", ACME, STAFF, 0, 3, datetime.time(14), 30, In.PHONE,
        notes="Talk through the survey findings and the quote.",
    ),
    DemoAppointment(
        "Project kick-off", ACME, OWNER, 1, 0, datetime.time(10), 60, In.GOOGLE_MEET,
    ),
    DemoAppointment(
        "Snagging walkthrough", ACME, STAFF, 1, 2, datetime.time(15), 45, In.ZOOM,
    ),
    DemoAppointment(
        "Annual boiler service", "Jane Smith", STAFF, 0, 4, datetime.time(9), 60, In.IN_PERSON,
        "Flat 2, 10 Abbey Orchard Street\nLondon SW1A 1AA",
    ),
    DemoAppointment(
        "Call-out follow-up", "Tom Baker", STAFF, 1, 3, datetime.time(11), 60, In.IN_PERSON,
        "4 Harbourside Walk\nBristol BS1 4DJ",
    ),
]  # fmt: skip


def appointments_seed(*, organisation: Organisation, users: dict[str, AbstractBaseUser]) -> None:
    zone = zone_of(organisation)
    monday = week_start(timezone.now().astimezone(zone).date())
    for spec in APPOINTMENTS:
        customer = (
            Customer.objects.for_org(organisation).filter(name=spec.customer).order_by("pk").first()
        )
        if customer is None:
            continue
        if (
            Appointment.objects.for_org(organisation)
            .filter(title=spec.title, customer=customer)
            .exists()
        ):
            continue
        day = monday + datetime.timedelta(weeks=spec.week, days=spec.weekday)
        start = local_to_aware(day, spec.start, zone=zone)
        appointment_book(
            organisation=organisation,
            actor=users[OWNER],
            data=AppointmentInput(
                title=spec.title,
                customer=customer,
                staff=users[spec.staff],
                start=start,
                end=start + datetime.timedelta(minutes=spec.minutes),
                location_type=spec.location_type,
                contact=customer.contacts.order_by("-is_primary", "pk").first(),
                address=spec.address,
                notes=spec.notes,
            ),
            allow_overlap=True,
        )
