"""The emulated GoHighLevel's data. GoHighLevel's field names are kept in docstrings and
serializers; the columns use Django's naming. Ids look like GoHighLevel's: 20 letters and
digits for locations, users and contacts, 24 hex digits (a Mongo ObjectId) for invoices."""

from django.db import models
from django.db.models import Q

from .common import money_field

# --- locations -------------------------------------------------------------------------------


class GhlLocation(models.Model):
    """A sub-account (location) the user can pick on the chooselocation page."""

    class DuplicatePriority(models.TextChoices):
        EMAIL = "email", "Email, then phone"
        PHONE = "phone", "Phone, then email"

    location_id = models.CharField(max_length=40, unique=True)
    company_id = models.CharField(max_length=40)
    name = models.CharField(max_length=255)
    email = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="GB")
    postal_code = models.CharField(max_length=20, blank=True)
    website = models.CharField(max_length=255, blank=True)
    timezone = models.CharField(max_length=64, default="Europe/London")
    # settings.allowDuplicateContact, and the order the duplicate check uses.
    allow_duplicate_contact = models.BooleanField(default=False)
    duplicate_priority = models.CharField(
        max_length=5, choices=DuplicatePriority, default=DuplicatePriority.EMAIL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- contacts and invoices -------------------------------------------------------------------


class GhlContact(models.Model):
    location = models.ForeignKey(GhlLocation, on_delete=models.CASCADE, related_name="contacts")
    contact_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=255, blank=True)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company_name = models.CharField(max_length=255, blank=True)
    address1 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    website = models.CharField(max_length=255, blank=True)
    tags = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=100, blank=True)
    date_added = models.DateTimeField()
    date_updated = models.DateTimeField()

    class Meta:
        ordering = ["date_added", "id"]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or self.contact_id


class GhlInvoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        SENT = "sent"
        PAYMENT_PROCESSING = "payment_processing", "Payment processing"
        PAID = "paid"
        VOID = "void"
        PARTIALLY_PAID = "partially_paid", "Partially paid"

    location = models.ForeignKey(GhlLocation, on_delete=models.CASCADE, related_name="invoices")
    invoice_id = models.CharField(max_length=24, unique=True)
    name = models.CharField(max_length=255)
    title = models.CharField(max_length=255, default="INVOICE")
    invoice_number = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    live_mode = models.BooleanField(default=True)
    business_details = models.JSONField(default=dict, blank=True)
    # The contact named by contactDetails.id, when the location holds it.
    contact = models.ForeignKey(
        GhlContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    contact_details = models.JSONField(default=dict)
    # invoiceItems as answered (each with its `_id`); amounts are numbers in major units.
    items = models.JSONField(default=list)
    discount = models.JSONField(default=dict, blank=True)
    sent_to = models.JSONField(default=dict, blank=True)
    terms_notes = models.TextField(blank=True)
    issue_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    sub_total = money_field()
    discount_total = money_field()
    tax_total = money_field()
    total = money_field()
    amount_paid = money_field()
    amount_due = money_field()
    # How it was sent: [{"action": "email", "userId": ..., "at": ISO}], oldest first.
    sends = models.JSONField(default=list, blank=True)
    created_by_app = models.ForeignKey(
        "sandbox.App", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "invoice_number"],
                condition=~Q(invoice_number=""),
                name="sandbox_ghl_invoice_number",
            )
        ]

    def __str__(self) -> str:
        return self.invoice_number or self.invoice_id

    @property
    def sent_via(self) -> str:
        return self.sends[-1]["action"] if self.sends else ""


class GhlPayment(models.Model):
    """A payment the customer made through the payment link (or the sandbox page for them)."""

    invoice = models.ForeignKey(GhlInvoice, on_delete=models.CASCADE, related_name="payments")
    payment_id = models.CharField(max_length=24, unique=True)
    amount = money_field()
    mode = models.CharField(max_length=20, default="card")
    source = models.CharField(max_length=40)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.amount} on {self.invoice}"
