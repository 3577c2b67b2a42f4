"""Writes to appointments: book, change and reschedule, cancel, complete.

Each staff member's bookings are serialised by a lock on their membership row, so two
people booking the same slot at once cannot both pass the overlap check."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Membership, Organisation
from crm import events
from crm.models import Contact
from invoicing.models import Customer
from invoicing.services.audit import audit_record

from .models import Appointment
from .times import zone_of


@dataclass(frozen=True)
class AppointmentInput:
    title: str
    customer: Customer
    staff: AbstractBaseUser
    start: datetime.datetime
    end: datetime.datetime
    location_type: str = Appointment.LocationType.IN_PERSON
    contact: Contact | None = None
    address: str = ""
    notes: str = ""


class AppointmentClash(ValidationError):
    """The staff member already has booked appointments overlapping the new times; the
    booking goes ahead only when the person booking confirms it."""

    def __init__(self, *, clashes: list[Appointment], organisation: Organisation):
        self.clashes = clashes
        zone = zone_of(organisation)
        first = clashes[0]
        person = first.staff.get_full_name() or first.staff.email
        start, end = first.start.astimezone(zone), first.end.astimezone(zone)
        message = (
            f"{person} already has “{first.title}” with {first.customer.name} "
            f"on {start:%a %-d %b} from {start:%H:%M} to {end:%H:%M}."
        )
        if len(clashes) > 1:
            message += f" (and {len(clashes) - 1} more at that time)"
        super().__init__(message, code="clash")


def _lock_staff(*, organisation: Organisation, staff: AbstractBaseUser) -> Membership:
    """The staff member's membership, locked until the transaction ends. Also checks that
    they belong to the organisation."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .filter(organisation=organisation, user_id=staff.pk)
        .first()
    )
    if membership is None:
        raise ValidationError({"staff": "Choose a member of this organisation."})
    return membership


def _clashes(
    *,
    organisation: Organisation,
    staff: AbstractBaseUser,
    start: datetime.datetime,
    end: datetime.datetime,
    exclude: Appointment | None = None,
) -> QuerySet[Appointment]:
    """Booked appointments of `staff` that overlap [start, end). One that ends when the
    other starts does not overlap."""
    rows = Appointment.objects.for_org(organisation).filter(
        staff_id=staff.pk, status=Appointment.Status.BOOKED, start__lt=end, end__gt=start
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows.select_related("staff", "customer").order_by("start", "pk")


def _validate(*, organisation: Organisation, data: AppointmentInput) -> None:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "Give the appointment a title."
    if data.customer is None or data.customer.organisation_id != organisation.pk:
        errors["customer"] = "Choose a customer."
    elif data.contact is not None and data.contact.customer_id != data.customer.pk:
        errors["contact"] = "Choose one of this customer's contacts."
    if data.location_type not in Appointment.LocationType.values:
        errors["location_type"] = "Choose where the appointment takes place."
    elif data.location_type == Appointment.LocationType.IN_PERSON and not data.address.strip():
        errors["address"] = "Enter the address for an appointment in person."
    if timezone.is_naive(data.start) or timezone.is_naive(data.end):
        raise ValueError("Appointment times must be aware datetimes.")
    if data.end <= data.start:
        errors["end"] = "The end must be after the start."
    if errors:
        raise ValidationError(errors)


def _check_clashes(
    *,
    organisation: Organisation,
    staff: AbstractBaseUser,
    start: datetime.datetime,
    end: datetime.datetime,
    allow_overlap: bool,
    exclude: Appointment | None = None,
) -> None:
    _lock_staff(organisation=organisation, staff=staff)
    if allow_overlap:
        return
    clashes = list(
        _clashes(organisation=organisation, staff=staff, start=start, end=end, exclude=exclude)
    )
    if clashes:
        raise AppointmentClash(clashes=clashes, organisation=organisation)


def _apply(appointment: Appointment, data: AppointmentInput) -> None:
    appointment.title = data.title.strip()
    appointment.customer = data.customer
    appointment.contact = data.contact
    appointment.staff = data.staff
    appointment.start = data.start
    appointment.end = data.end
    appointment.location_type = data.location_type
    # An address only means something in person; a link only online.
    in_person = data.location_type == Appointment.LocationType.IN_PERSON
    appointment.address = data.address.strip() if in_person else ""
    if data.location_type not in Appointment.ONLINE:
        appointment.meeting_url = ""
    appointment.notes = data.notes.strip()


def _lock(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)


def _require_booked(appointment: Appointment, doing: str) -> None:
    if not appointment.is_booked:
        raise ValidationError(
            f"This appointment is {appointment.get_status_display().lower()}; "
            f"only booked appointments can be {doing}."
        )


@transaction.atomic
def appointment_book(
    *,
    organisation: Organisation,
    actor: AbstractBaseUser | None,
    data: AppointmentInput,
    allow_overlap: bool = False,
) -> Appointment:
    """Book an appointment. Raises AppointmentClash when the staff member is already booked
    then, unless `allow_overlap` (the person booking confirmed it)."""
    _validate(organisation=organisation, data=data)
    _check_clashes(
        organisation=organisation,
        staff=data.staff,
        start=data.start,
        end=data.end,
        allow_overlap=allow_overlap,
    )
    appointment = Appointment(
        organisation=organisation,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    _apply(appointment, data)
    appointment.save()
    audit_record(
        organisation=organisation,
        actor=actor,
        action="appointment.booked",
        obj=appointment,
        details={"start": appointment.start.isoformat(), "overlap_confirmed": allow_overlap},
    )
    events.announce(events.APPOINTMENT_BOOKED, appointment)
    return appointment


@transaction.atomic
def appointment_update(
    *,
    appointment: Appointment,
    actor: AbstractBaseUser | None,
    data: AppointmentInput,
    allow_overlap: bool = False,
) -> Appointment:
    """Change a booked appointment's details; new times make it a reschedule (announced as
    one), checked for clashes like a new booking."""
    organisation = appointment.organisation
    _validate(organisation=organisation, data=data)
    _check_clashes(
        organisation=organisation,
        staff=data.staff,
        start=data.start,
        end=data.end,
        allow_overlap=allow_overlap,
        exclude=appointment,
    )
    locked = _lock(appointment)
    _require_booked(locked, "changed")
    previous_start, previous_end, previous_staff = locked.start, locked.end, locked.staff_id
    _apply(locked, data)
    locked.save()
    moved = (previous_start, previous_end) != (locked.start, locked.end)
    audit_record(
        organisation=organisation,
        actor=actor,
        action="appointment.rescheduled" if moved else "appointment.updated",
        obj=locked,
        details={
            "previous_start": previous_start.isoformat(),
            "start": locked.start.isoformat(),
            "staff_changed": previous_staff != locked.staff_id,
        },
    )
    if moved:
        events.announce(
            events.APPOINTMENT_RESCHEDULED,
            locked,
            previous_start=previous_start,
            previous_end=previous_end,
        )
    return locked


def appointment_reschedule(
    *,
    appointment: Appointment,
    actor: AbstractBaseUser | None,
    start: datetime.datetime,
    end: datetime.datetime,
    allow_overlap: bool = False,
) -> Appointment:
    """Move a booked appointment to new times, keeping everything else."""
    data = AppointmentInput(
        title=appointment.title,
        customer=appointment.customer,
        staff=appointment.staff,
        start=start,
        end=end,
        location_type=appointment.location_type,
        contact=appointment.contact,
        address=appointment.address,
        notes=appointment.notes,
    )
    return appointment_update(
        appointment=appointment, actor=actor, data=data, allow_overlap=allow_overlap
    )


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, actor: AbstractBaseUser | None, reason: str
) -> Appointment:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the appointment is cancelled."})
    locked = _lock(appointment)
    _require_booked(locked, "cancelled")
    locked.status = Appointment.Status.CANCELLED
    locked.cancel_reason = reason
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["status", "cancel_reason", "cancelled_at"])
    audit_record(
        organisation=locked.organisation,
        actor=actor,
        action="appointment.cancelled",
        obj=locked,
        details={"reason": reason},
    )
    events.announce(events.APPOINTMENT_CANCELLED, locked)
    return locked


@transaction.atomic
def appointment_complete(
    *, appointment: Appointment, actor: AbstractBaseUser | None
) -> Appointment:
    locked = _lock(appointment)
    _require_booked(locked, "completed")
    if locked.start > timezone.now():
        raise ValidationError("An appointment can be marked completed once it has started.")
    locked.status = Appointment.Status.COMPLETED
    locked.save(update_fields=["status"])
    audit_record(
        organisation=locked.organisation, actor=actor, action="appointment.completed", obj=locked
    )
    return locked
