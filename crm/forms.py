import datetime

from django import forms

from accounts.models import Organisation
from invoicing.forms import BaseLineFormSet, DateInput
from invoicing.selectors import customers

from . import selectors
from .models import Contact, Lead, Project, Quote
from .phones import phone_display, phone_to_e164
from .services.contacts import ContactInput
from .services.leads import LeadInput
from .services.quotes import QuoteInput, organisation_today

PHONE_HELP = "As you would dial it here, like 07911 123456, or with the country code."


class PhoneField(forms.CharField):
    """A phone typed in the organisation's national format; cleans to E.164."""

    def __init__(self, *args, country: str = "GB", **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", PHONE_HELP)
        super().__init__(*args, **kwargs)
        self.country = country
        self.widget.input_type = "tel"

    def clean(self, value):
        return phone_to_e164(super().clean(value), country=self.country)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200)
    job_title = forms.CharField(max_length=150, required=False, label="Job title")
    email = forms.EmailField(required=False)
    phone = PhoneField()

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].country = organisation.country

    @staticmethod
    def initial_for(contact: Contact, organisation: Organisation) -> dict:
        return {
            "name": contact.name,
            "job_title": contact.job_title,
            "email": contact.email,
            "phone": phone_display(contact.phone, country=organisation.country),
        }

    def contact_input(self) -> ContactInput:
        return ContactInput(**self.cleaned_data)


class LeadForm(forms.Form):
    name = forms.CharField(max_length=200)
    company = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False)
    phone = PhoneField()
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].country = organisation.country

    @staticmethod
    def initial_for(lead: Lead) -> dict:
        return {
            "name": lead.name,
            "company": lead.company,
            "email": lead.email,
            "phone": phone_display(lead.phone, country=lead.organisation.country),
            "message": lead.message,
        }

    def lead_input(self) -> LeadInput:
        return LeadInput(**self.cleaned_data)


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Lead.Status.choices)


class ListFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "All statuses")])

    def __init__(self, *args, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "All statuses"), *statuses]

    def filters(self) -> selectors.ListFilters:
        if not self.is_valid():
            return selectors.ListFilters()
        return selectors.ListFilters(
            q=self.cleaned_data["q"].strip(), status=self.cleaned_data["status"]
        )


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        return f"{obj.name} ({obj.customer.name})"


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Project) -> str:
        return f"{obj.name} ({obj.customer.name})"


class QuoteForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=None)
    contact = ContactChoiceField(queryset=None, required=False)
    project = ProjectChoiceField(queryset=None, required=False)
    issue_date = forms.DateField(widget=DateInput, label="Issue date")
    expiry_date = forms.DateField(widget=DateInput, label="Expiry date")
    currency = forms.CharField(max_length=3, min_length=3)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers(organisation=organisation)
        self.fields["contact"].queryset = selectors.contacts(organisation=organisation)
        self.fields["project"].queryset = selectors.projects(organisation=organisation)
        today = organisation_today(organisation)
        self.fields["issue_date"].initial = today
        self.fields["expiry_date"].initial = today + datetime.timedelta(days=30)
        self.fields["currency"].initial = organisation.default_currency

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].upper()
        if not currency.isalpha():
            raise forms.ValidationError("Use a three-letter currency code, such as GBP.")
        return currency

    @staticmethod
    def initial_for(quote: Quote) -> dict:
        return {
            "customer": quote.customer_id,
            "contact": quote.contact_id,
            "project": quote.project_id,
            "issue_date": quote.issue_date,
            "expiry_date": quote.expiry_date,
            "currency": quote.currency,
            "notes": quote.notes,
        }

    def quote_input(self, lines: BaseLineFormSet) -> QuoteInput:
        data = self.cleaned_data
        return QuoteInput(
            customer=data["customer"],
            contact=data["contact"],
            project=data["project"],
            issue_date=data["issue_date"],
            expiry_date=data["expiry_date"],
            currency=data["currency"],
            notes=data["notes"],
            lines=lines.line_inputs(),
        )
