"""Appointment pages: the week, a day, the form (book and change), cancel, complete."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import APPOINTMENTS_MANAGE, CRM_VIEW
from accounts.permissions import capability_required
from invoicing.views.common import apply_validation_error
from torqueflow.numbers import object_id

from . import selectors
from .forms import AppointmentForm, CancelForm, WeekFilterForm
from .models import Appointment
from .services import (
    AppointmentClash,
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_update,
)
from .times import parse_day, week_start, zone_of


def _today(request) -> datetime.date:
    return timezone.now().astimezone(zone_of(request.organisation)).date()


def _staff_filter(request) -> tuple[WeekFilterForm, int | None]:
    form = WeekFilterForm(request.GET or None, organisation=request.organisation)
    staff = form.cleaned_data["staff"] if form.is_bound and form.is_valid() else None
    return form, getattr(staff, "pk", None)


@capability_required(CRM_VIEW)
@require_GET
def week(request):
    monday = week_start(parse_day(request.GET.get("week")) or _today(request))
    filter_form, staff_id = _staff_filter(request)
    days = selectors.week_days(organisation=request.organisation, monday=monday, staff_id=staff_id)
    staff_query = f"&staff={staff_id}" if staff_id else ""
    return render(
        request,
        "scheduling/week.html",
        {
            "days": days,
            "monday": monday,
            "sunday": monday + datetime.timedelta(days=6),
            "previous": monday - datetime.timedelta(days=7),
            "next": monday + datetime.timedelta(days=7),
            "filter_form": filter_form,
            "staff_id": staff_id,
            "staff_query": staff_query,
            "zone": request.organisation.timezone,
        },
    )


@capability_required(CRM_VIEW)
@require_GET
def day(request, day: str):
    date = parse_day(day)
    if date is None:
        raise Http404("Not a date")
    filter_form, staff_id = _staff_filter(request)
    rows = selectors.day_appointments(
        organisation=request.organisation, day=date, staff_id=staff_id
    )
    return render(
        request,
        "scheduling/day.html",
        {
            "date": date,
            "appointments": rows,
            "previous": date - datetime.timedelta(days=1),
            "next": date + datetime.timedelta(days=1),
            "filter_form": filter_form,
            "staff_id": staff_id,
            "staff_query": f"?staff={staff_id}" if staff_id else "",
            "zone": request.organisation.timezone,
        },
    )


@capability_required(CRM_VIEW)
@require_GET
def detail(request, pk: int):
    appointment = selectors.appointment_get(organisation=request.organisation, pk=pk)
    return render(
        request,
        "scheduling/detail.html",
        {
            "appointment": appointment,
            "cancel_form": CancelForm(),
            "zone": request.organisation.timezone,
            "can_complete": appointment.is_booked and appointment.start <= timezone.now(),
        },
    )


def _form_page(request, *, appointment: Appointment | None):
    organisation = request.organisation
    clash = None
    if request.method == "POST":
        form = AppointmentForm(request.POST, organisation=organisation)
        if form.is_valid():
            allow_overlap = request.POST.get("confirm_overlap") == "1"
            try:
                if appointment is None:
                    saved = appointment_book(
                        organisation=organisation,
                        actor=request.user,
                        data=form.to_input(),
                        allow_overlap=allow_overlap,
                    )
                    messages.success(request, f"{saved.title} booked.")
                else:
                    saved = appointment_update(
                        appointment=appointment,
                        actor=request.user,
                        data=form.to_input(),
                        allow_overlap=allow_overlap,
                    )
                    messages.success(request, f"{saved.title} saved.")
                return redirect("scheduling:detail", pk=saved.pk)
            except AppointmentClash as error:
                clash = error
            except ValidationError as error:
                apply_validation_error(form, error)
    elif appointment is not None:
        form = AppointmentForm(
            initial=AppointmentForm.initial_for(appointment), organisation=organisation
        )
    else:
        initial = AppointmentForm.initial_new(
            day=parse_day(request.GET.get("date")) or _today(request),
            staff_id=object_id(request.GET.get("staff")) or request.user.pk,
        )
        customer_id = object_id(request.GET.get("customer"))
        if customer_id is not None:
            initial["customer"] = customer_id
        form = AppointmentForm(initial=initial, organisation=organisation)
    return render(
        request,
        "scheduling/form.html",
        {
            "form": form,
            "appointment": appointment,
            "clash": clash,
            "zone": organisation.timezone,
        },
        status=400 if request.method == "POST" else 200,
    )


@capability_required(APPOINTMENTS_MANAGE)
def new(request):
    return _form_page(request, appointment=None)


@capability_required(APPOINTMENTS_MANAGE)
def edit(request, pk: int):
    appointment = selectors.appointment_get(organisation=request.organisation, pk=pk)
    if not appointment.is_booked:
        messages.error(request, "Only booked appointments can be changed.")
        return redirect("scheduling:detail", pk=appointment.pk)
    return _form_page(request, appointment=appointment)


@capability_required(APPOINTMENTS_MANAGE)
@require_GET
def contact_options(request):
    """The contact field for the customer just chosen (htmx swaps it into the form)."""
    form = AppointmentForm(request.GET, organisation=request.organisation)
    return render(request, "scheduling/form.html#contact-field", {"form": form})


@capability_required(APPOINTMENTS_MANAGE)
def cancel(request, pk: int):
    """GET shows the confirmation (the page without JavaScript); POST cancels."""
    appointment = selectors.appointment_get(organisation=request.organisation, pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_cancel(
                appointment=appointment, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, f"{appointment.title} cancelled.")
            return redirect("scheduling:detail", pk=appointment.pk)
        except ValidationError as error:
            apply_validation_error(form, error)
    return render(
        request,
        "scheduling/cancel.html",
        {"appointment": appointment, "cancel_form": form, "zone": request.organisation.timezone},
        status=400 if request.method == "POST" else 200,
    )


@capability_required(APPOINTMENTS_MANAGE)
@require_POST
def complete(request, pk: int):
    appointment = selectors.appointment_get(organisation=request.organisation, pk=pk)
    try:
        appointment_complete(appointment=appointment, actor=request.user)
        messages.success(request, f"{appointment.title} marked completed.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("scheduling:detail", pk=appointment.pk)
