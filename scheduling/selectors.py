"""Reads of appointments, always scoped to one organisation."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, Organisation
from invoicing.models import Customer

from .models import Appointment
from .times import day_bounds, zone_of


def _with_people(rows: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return rows.select_related("customer", "contact", "staff")


def appointment_get(*, organisation: Organisation, pk: int) -> Appointment:
    rows = _with_people(Appointment.objects.for_org(organisation)).select_related("created_by")
    return get_object_or_404(rows, pk=pk)


def staff_members(*, organisation: Organisation) -> QuerySet:
    """The people appointments can be given to: the organisation's members."""
    return (
        get_user_model()
        .objects.filter(
            pk__in=Membership.objects.filter(organisation=organisation).values("user_id")
        )
        .order_by("first_name", "last_name", "email")
    )


def appointments_between(
    *,
    organisation: Organisation,
    start: datetime.datetime,
    end: datetime.datetime,
    staff_id: int | None = None,
) -> QuerySet[Appointment]:
    """Appointments that overlap [start, end), cancelled ones included, by start time."""
    rows = Appointment.objects.for_org(organisation).filter(start__lt=end, end__gt=start)
    if staff_id is not None:
        rows = rows.filter(staff_id=staff_id)
    return _with_people(rows).order_by("start", "pk")


@dataclass
class Day:
    date: datetime.date
    is_today: bool
    appointments: list[Appointment] = field(default_factory=list)


def week_days(
    *, organisation: Organisation, monday: datetime.date, staff_id: int | None = None
) -> list[Day]:
    """Monday to Sunday, each with the appointments starting that day in the organisation's
    time zone; one query for the whole week."""
    zone = zone_of(organisation)
    today = timezone.now().astimezone(zone).date()
    days = [Day(monday + datetime.timedelta(days=n), False) for n in range(7)]
    for day in days:
        day.is_today = day.date == today
    start, _ = day_bounds(days[0].date, zone=zone)
    _, end = day_bounds(days[-1].date, zone=zone)
    by_date = {day.date: day for day in days}
    rows = appointments_between(organisation=organisation, start=start, end=end, staff_id=staff_id)
    for appointment in rows.filter(start__gte=start):
        by_date[appointment.start.astimezone(zone).date()].appointments.append(appointment)
    return days


def day_appointments(
    *, organisation: Organisation, day: datetime.date, staff_id: int | None = None
) -> QuerySet[Appointment]:
    start, end = day_bounds(day, zone=zone_of(organisation))
    return appointments_between(
        organisation=organisation, start=start, end=end, staff_id=staff_id
    ).filter(start__gte=start)


UPCOMING_SHOWN = 5
PAST_SHOWN = 3


def customer_appointments(*, customer: Customer) -> dict[str, list[Appointment]]:
    """A customer's next appointments (booked, soonest first) and its latest past ones:
    two queries whatever the customer holds."""
    now = timezone.now()
    rows = _with_people(
        Appointment.objects.filter(organisation_id=customer.organisation_id, customer=customer)
    )
    upcoming = rows.filter(end__gt=now, status=Appointment.Status.BOOKED).order_by("start", "pk")
    past = rows.exclude(pk__in=upcoming.values("pk")).order_by("-start", "-pk")
    return {"upcoming": list(upcoming[:UPCOMING_SHOWN]), "past": list(past[:PAST_SHOWN])}
