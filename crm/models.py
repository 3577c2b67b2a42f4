"""Contacts, leads, quotes, projects, contracts and messages."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import TenantModel
from invoicing.models import Customer, Invoice, NominalCode, WorkOrder


class Contact(TenantModel):
    """A person at a customer. Phone is stored E.164 (crm.phones); one contact per customer
    is its primary."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_customer",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Project(TenantModel):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200)
    customer = models.ForeignKey(Customer, on_delete=models.RESTRICT, related_name="projects")
    status = models.CharField(max_length=20, choices=Status, default=Status.PLANNED)
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    invoices = models.ManyToManyField(Invoice, blank=True, related_name="projects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class Lead(TenantModel):
    """Someone who may become a customer: typed in, sent by a web form or an inbound
    webhook. Converting one makes its customer and first contact."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        WEB_FORM = "web_form", "Web form"
        WEBHOOK = "webhook", "Inbound webhook"

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=20, choices=Source, default=Source.MANUAL)
    message = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.NEW)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    @property
    def is_converted(self) -> bool:
        return self.customer_id is not None


class Quote(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    number = models.CharField(max_length=40)
    customer = models.ForeignKey(Customer, on_delete=models.RESTRICT, related_name="quotes")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="quotes"
    )
    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="quotes"
    )
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    issue_date = models.DateField()
    expiry_date = models.DateField()
    currency = models.CharField(max_length=3, default="GBP")
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    tax_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    notes = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="quotes"
    )
    # The invoice the accepted quote became (null again if that draft is discarded).
    invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="quotes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="quote_number_unique_per_org"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status", "expiry_date"])]

    def __str__(self) -> str:
        return self.number

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SENT)


class QuoteLine(models.Model):
    """A quote's line: the same columns and money rules as an invoice's line."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    nominal_code = models.ForeignKey(
        NominalCode, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    tax_rate = models.DecimalField(
        "Tax rate (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    line_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description


class QuoteSequence(TenantModel):
    """The next quote number per organisation, taken under a row lock."""

    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="quote_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"next {self.next_value}"


def contract_document_path(contract: "Contract", filename: str) -> str:
    # A random name: the file is only ever served through the contract's own view, and
    # its original name is kept on the row for the download.
    return f"contracts/{contract.organisation_id}/{uuid.uuid4().hex}.pdf"


class Contract(TenantModel):
    """Terms agreed with a customer: typed in, an uploaded PDF, or both. Signed means who
    signed and when are known."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        SIGNED = "signed", "Signed"

    title = models.CharField(max_length=200)
    customer = models.ForeignKey(Customer, on_delete=models.RESTRICT, related_name="contracts")
    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="contracts"
    )
    terms = models.TextField(blank=True)
    document = models.FileField(upload_to=contract_document_path, blank=True, max_length=255)
    document_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    signed_by_name = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(terms="") | ~Q(document=""), name="contract_terms_or_document"
            ),
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (~Q(signed_by_name="") & Q(signed_at__isnull=False)),
                name="contract_signed_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Message(TenantModel):
    """One message in a customer's thread, written by a member of staff or by one of the
    customer's contacts. A contact's message stays unread until staff open the thread."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages")
    body = models.TextField()
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["organisation", "read_at"], name="message_org_unread")]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def author_name(self) -> str:
        if self.author_contact is not None:
            return self.author_contact.name
        if self.author_user is not None:
            return self.author_user.get_full_name() or self.author_user.email
        return "Former member"

    @property
    def from_customer(self) -> bool:
        return self.author_contact_id is not None
