import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone

from accounts.models import Organisation

from . import extensions, selectors
from .models import Customer, Invoice, NominalCode, Supplier, WorkOrder
from .money import plain
from .services.invoices import InvoiceInput, LineInput


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class InvoiceForm(forms.Form):
    party = forms.ModelChoiceField(queryset=Customer.objects.none(), label="Customer")
    work_order = forms.ModelChoiceField(
        queryset=WorkOrder.objects.none(), required=False, label="Work order"
    )
    reference = forms.CharField(max_length=255, required=False)
    issue_date = forms.DateField(widget=DateInput)
    due_date = forms.DateField(widget=DateInput)
    currency = forms.CharField(max_length=3, min_length=3)

    def __init__(self, *args, organisation: Organisation, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == Invoice.Kind.SALES:
            self.fields["party"].queryset = selectors.customers(organisation=organisation)
            self.fields["work_order"].queryset = (
                WorkOrder.objects.for_org(organisation)
                .filter(status=WorkOrder.Status.OPEN)
                .select_related("customer")
            )
        else:
            self.fields["party"].queryset = selectors.suppliers(organisation=organisation)
            self.fields["party"].label = "Supplier"
            del self.fields["work_order"]
        today = timezone.localdate()
        self.fields["issue_date"].initial = today
        self.fields["due_date"].initial = today + datetime.timedelta(days=30)
        self.fields["currency"].initial = organisation.default_currency

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].upper()
        if not currency.isalpha():
            raise forms.ValidationError("Use a three-letter currency code, such as GBP.")
        return currency

    @classmethod
    def initial_for(cls, invoice: Invoice) -> dict:
        return {
            "party": invoice.party,
            "work_order": invoice.work_order,
            "reference": invoice.reference,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "currency": invoice.currency,
        }


class LineForm(forms.Form):
    description = forms.CharField(max_length=500)
    quantity = forms.DecimalField(
        max_digits=12, decimal_places=4, min_value=Decimal("0.0001"), initial=Decimal("1")
    )
    unit_price = forms.DecimalField(max_digits=12, decimal_places=4, label="Unit price")
    tax_rate = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=Decimal("20"),
        label="Tax %",
    )
    nominal_code = forms.ModelChoiceField(
        queryset=NominalCode.objects.none(), required=False, label="Nominal code"
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nominal_code"].queryset = selectors.nominal_codes(organisation=organisation)


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]
        if not kept:
            raise forms.ValidationError("Add at least one line.")

    def line_inputs(self) -> list[LineInput]:
        return [
            LineInput(
                description=f.cleaned_data["description"],
                quantity=f.cleaned_data["quantity"],
                unit_price=f.cleaned_data["unit_price"],
                tax_rate=f.cleaned_data["tax_rate"],
                nominal_code=f.cleaned_data["nominal_code"],
            )
            for f in self.forms
            if f.has_changed() and not self._should_delete_form(f) and f.cleaned_data
        ]


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=0, can_delete=True, max_num=200, validate_max=True
)


def line_formset(*, organisation: Organisation, data=None, initial=None) -> BaseLineFormSet:
    return LineFormSet(
        data=data,
        initial=initial,
        prefix="lines",
        form_kwargs={"organisation": organisation},
    )


def line_initial(invoice: Invoice) -> list[dict]:
    return [
        {
            "description": line.description,
            "quantity": plain(line.quantity),
            "unit_price": plain(line.unit_price),
            "tax_rate": plain(line.tax_rate),
            "nominal_code": line.nominal_code,
        }
        for line in invoice.lines.all()
    ]


def invoice_input(form: InvoiceForm, lines: BaseLineFormSet) -> InvoiceInput:
    data = form.cleaned_data
    party = data["party"]
    return InvoiceInput(
        issue_date=data["issue_date"],
        due_date=data["due_date"],
        currency=data["currency"],
        lines=lines.line_inputs(),
        customer=party if form.kind == Invoice.Kind.SALES else None,
        supplier=party if form.kind == Invoice.Kind.PURCHASE else None,
        work_order=data.get("work_order"),
        reference=data["reference"],
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    date = forms.DateField(widget=DateInput)
    method = forms.ModelChoiceField(queryset=None, label="Method")
    reference = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].queryset = selectors.payment_methods(
            organisation=invoice.organisation
        ).filter(is_system=False)
        self.fields["amount"].initial = invoice.balance_due
        self.fields["date"].initial = timezone.localdate()


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=255, required=False, label="Reason (optional)")


class PaymentDeleteForm(forms.Form):
    reason = forms.CharField(max_length=255, label="Reason")


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    sort = forms.CharField(required=False, max_length=20)


class FilterForm(forms.Form):
    """The invoice lists' filters; a value that does not parse is ignored, not an error page."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(
        required=False, choices=[("", "All statuses"), *Invoice.Status.choices]
    )
    overdue = forms.BooleanField(required=False)
    # Set by links (the home page's figures), not shown as fields.
    owed = forms.BooleanField(required=False)
    paid_since = forms.DateField(required=False)
    sync = forms.CharField(required=False, max_length=60)
    date_from = forms.DateField(required=False, label="Issued from")
    date_to = forms.DateField(required=False, label="Issued to")
    sort = forms.CharField(required=False, max_length=20)

    def filters_data(self) -> dict:
        """The valid values only: a bad date or status drops that filter, not the others."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status") or "",
            "q": (data.get("q") or "").strip(),
            "overdue": bool(data.get("overdue")),
            "owed": bool(data.get("owed")),
            "paid_since": data.get("paid_since"),
            "sync": data.get("sync") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "sort": data.get("sort") or "",
        }


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "company_name", "email", "phone", "postcode"]


class SupplierForm(forms.ModelForm):
    class Meta:
        model = Supplier
        fields = ["name", "company_name", "email", "phone", "postcode"]


class NominalCodeForm(forms.ModelForm):
    """A nominal code, with a field for the account it maps to in each connected accounting
    provider (`<provider>_account_code`, from invoicing.extensions)."""

    class Meta:
        model = NominalCode
        fields = ["code", "name"]

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        codes = [self.instance] if self.instance.pk else []
        self.account_code_columns = extensions.account_code_columns(organisation, codes)
        for column in self.account_code_columns:
            self.fields[f"{column.key}_account_code"] = forms.CharField(
                label=column.heading,
                help_text=column.help_text,
                max_length=column.max_length,
                required=False,
                initial=column.values.get(self.instance.pk, ""),
            )

    def account_codes(self) -> dict[str, str]:
        """What was typed for each provider (column key → code, "" to clear)."""
        return {
            column.key: self.cleaned_data.get(f"{column.key}_account_code", "").strip()
            for column in self.account_code_columns
        }

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        clash = NominalCode.objects.for_org(self.organisation).filter(code=code)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another nominal code already uses this code.")
        return code
