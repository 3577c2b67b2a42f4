"""Contacts, leads, quotes, projects, contracts and messages."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import TenantModel
from invoicing.models import Customer, Invoice


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
