import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Organisation
from crm.models import Contact
from invoicing.forms import DateInput
from invoicing.selectors import customers
from torqueflow.numbers import object_id

from . import selectors
from .models import Appointment
from .services import AppointmentInput
from .times import local_to_aware, zone_of


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.email


class AppointmentForm(forms.Form):
    """Day and times are typed as the organisation's clock shows them."""

    title = forms.CharField(max_length=200)
    customer = forms.ModelChoiceField(queryset=None)
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose one of this customer's contacts."},
    )
    staff = StaffChoiceField(queryset=None, label="Staff member")
    date = forms.DateField(widget=DateInput)
    start_time = forms.TimeField(widget=TimeInput, label="Start")
    end_time = forms.TimeField(widget=TimeInput, label="End")
    location_type = forms.ChoiceField(choices=Appointment.LocationType.choices, label="Location")
    address = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Needed for an appointment in person.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    # Set by "Book anyway" after the page showed a clash.
    confirm_overlap = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["customer"].queryset = customers(organisation=organisation)
        # Choosing a customer refreshes the contact choices (after a submit without JS).
        self.fields["customer"].widget.attrs.update(
            {
                "hx-get": reverse("scheduling:contact_options"),
                "hx-target": "#contact-field",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )
        self.fields["staff"].queryset = selectors.staff_members(organisation=organisation)
        self.fields["contact"].queryset = self.contacts_for(self.chosen_customer_id())

    def chosen_customer_id(self) -> int | None:
        if self.is_bound:
            return object_id(self.data.get(self.add_prefix("customer")))
        customer = self.initial.get("customer")
        return getattr(customer, "pk", customer)

    def contacts_for(self, customer_id: int | None):
        if customer_id is None:
            return Contact.objects.none()
        return Contact.objects.for_org(self.organisation).filter(customer_id=customer_id)

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("date")
        zone = zone_of(self.organisation)
        for name, key in (("start_time", "start"), ("end_time", "end")):
            time = cleaned.get(name)
            if day is None or time is None:
                continue
            try:
                cleaned[key] = local_to_aware(day, time, zone=zone)
            except ValidationError as error:
                self.add_error(name, error)
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] <= cleaned["start"]:
            self.add_error("end_time", "The end must be after the start.")
        location = cleaned.get("location_type")
        if (
            location == Appointment.LocationType.IN_PERSON
            and not cleaned.get("address", "").strip()
        ):
            self.add_error("address", "Enter the address for an appointment in person.")
        return cleaned

    def to_input(self) -> AppointmentInput:
        data = self.cleaned_data
        return AppointmentInput(
            title=data["title"],
            customer=data["customer"],
            staff=data["staff"],
            start=data["start"],
            end=data["end"],
            location_type=data["location_type"],
            contact=data.get("contact"),
            address=data.get("address", ""),
            notes=data.get("notes", ""),
        )

    @staticmethod
    def initial_for(appointment: Appointment) -> dict:
        zone = zone_of(appointment.organisation)
        start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
        return {
            "title": appointment.title,
            "customer": appointment.customer_id,
            "contact": appointment.contact_id,
            "staff": appointment.staff_id,
            "date": start.date(),
            "start_time": start.time(),
            "end_time": end.time(),
            "location_type": appointment.location_type,
            "address": appointment.address,
            "notes": appointment.notes,
        }

    @staticmethod
    def initial_new(*, day: datetime.date, staff_id: int | None) -> dict:
        return {
            "date": day,
            "start_time": datetime.time(9, 0),
            "end_time": datetime.time(10, 0),
            "staff": staff_id,
        }


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.TextInput(attrs={"placeholder": "Reason"})
    )


class WeekFilterForm(forms.Form):
    staff = StaffChoiceField(queryset=None, required=False, empty_label="Everyone")

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = selectors.staff_members(organisation=organisation)
