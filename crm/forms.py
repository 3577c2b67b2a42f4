import datetime

from django import forms
from django.utils import timezone

from accounts.models import Organisation
from invoicing import selectors as invoicing_selectors
from invoicing.forms import BaseLineFormSet, DateInput
from invoicing.selectors import customers
from torqueflow.formatting import money

from . import selectors
from .models import Contact, Contract, Lead, Project, Quote
from .org_time import organisation_today
from .phones import phone_display, phone_to_e164
from .services.contacts import ContactInput
from .services.contracts import pdf_check
from .services.leads import LeadInput
from .services.messages import BODY_MAX
from .services.quotes import QuoteInput

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


# Projects, contracts and messages


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


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "customer", "status", "start_date", "due_date", "description"]
        widgets = {
            "start_date": DateInput,
            "due_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["customer"].queryset = invoicing_selectors.customers(organisation=organisation)

    def clean(self):
        cleaned = super().clean()
        start, due = cleaned.get("start_date"), cleaned.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", "The due date cannot be before the start date.")
        return cleaned


class InvoiceLinkForm(forms.Form):
    """Offers the project customer's own invoices; any sales invoice of the organisation is
    accepted here so that the service can say why another customer's is refused."""

    invoice = forms.ModelChoiceField(queryset=None, label="Invoice", empty_label="Choose…")

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["invoice"]
        field.queryset = selectors.sales_invoices(organisation=project.organisation)
        field.widget.choices = [
            ("", "Choose…"),
            *(
                (invoice.pk, f"{invoice.number} · {money(invoice.total, invoice.currency)}")
                for invoice in selectors.project_linkable_invoices(project=project)
            ),
        ]


class ContractForm(forms.ModelForm):
    document = forms.FileField(
        required=False,
        label="Contract PDF",
        help_text="A PDF of at most 10 MB. Leave empty to keep the current one.",
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    class Meta:
        model = Contract
        fields = ["title", "customer", "project", "terms"]
        widgets = {"terms": forms.Textarea(attrs={"rows": 8})}
        help_texts = {"terms": "Type the terms, upload a PDF, or both."}

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["customer"].queryset = invoicing_selectors.customers(organisation=organisation)
        self.fields["project"].queryset = Project.objects.for_org(organisation).select_related(
            "customer"
        )
        self.fields["project"].label_from_instance = lambda p: f"{p.name} ({p.customer.name})"
        if not self.instance.document:
            self.fields["document"].help_text = "A PDF of at most 10 MB."

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload:
            pdf_check(upload=upload)
        return upload or None

    def clean(self):
        cleaned = super().clean()
        has_terms = bool((cleaned.get("terms") or "").strip())
        has_document = bool(cleaned.get("document") or self.instance.document)
        if "document" not in self.errors and not has_terms and not has_document:
            self.add_error("terms", "Type the terms or upload the contract as a PDF.")
        project, customer = cleaned.get("project"), cleaned.get("customer")
        if project and customer and project.customer_id != customer.pk:
            self.add_error("project", "Choose a project of this customer.")
        return cleaned


class ContractSignForm(forms.Form):
    signed_by_name = forms.CharField(max_length=200, label="Signed by")
    signed_at = forms.DateTimeField(
        label="Signed on",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text="In your organisation's time zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read and shown in the current time zone, which the view sets to the organisation's.
        self.fields["signed_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a reply…"}),
    )
