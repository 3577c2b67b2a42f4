from django import forms
from django.utils import timezone

from accounts.models import Organisation
from invoicing import selectors as invoicing_selectors
from invoicing.forms import DateInput

from . import selectors
from .models import Contract, Project
from .services.contracts import pdf_check
from .services.messages import BODY_MAX

# Projects, contracts and messages


class ListFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, label="Status")

    def __init__(self, *args, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "All statuses"), *statuses]

    def filters(self) -> selectors.ListFilters:
        if not self.is_valid():
            return selectors.ListFilters()
        return selectors.ListFilters(
            q=self.cleaned_data["q"].strip(), status=self.cleaned_data["status"]
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
                (invoice.pk, f"{invoice.number} · {invoice.currency} {invoice.total}")
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
