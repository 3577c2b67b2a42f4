"""The emulated Xero's data. Xero's field names are kept in docstrings and serializers; the
columns use Django's naming."""

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from .common import money_field as _money

# --- organisations and their settings ---------------------------------------------------


class XeroTenant(models.Model):
    """A Xero organisation a user can pick at consent (tenantId)."""

    tenant_id = models.UUIDField(unique=True, default=uuid.uuid4)
    name = models.CharField(max_length=255)
    short_code = models.CharField(max_length=20, blank=True)
    base_currency = models.CharField(max_length=3, default="GBP")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class XeroAccount(models.Model):
    """One line of an organisation's chart of accounts (Accounts)."""

    tenant = models.ForeignKey(XeroTenant, on_delete=models.CASCADE, related_name="accounts")
    account_id = models.UUIDField(unique=True, default=uuid.uuid4)
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=150)
    type = models.CharField(max_length=20)
    klass = models.CharField(max_length=20)
    tax_type = models.CharField(max_length=30)
    enable_payments = models.BooleanField(default=False)
    system = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="sandbox_xero_account_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# --- connections ------------------------------------------------------------------------


class XeroConnection(models.Model):
    """A tenant connected to a grant (GET /connections)."""

    grant = models.ForeignKey(
        "sandbox.Grant", on_delete=models.CASCADE, related_name="xero_connections"
    )
    tenant = models.ForeignKey(XeroTenant, on_delete=models.CASCADE, related_name="connections")
    connection_id = models.UUIDField(unique=True, default=uuid.uuid4)
    auth_event_id = models.UUIDField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grant", "tenant"], name="sandbox_xero_connection")
        ]

    def __str__(self) -> str:
        return f"{self.tenant} via grant {self.grant_id}"


# --- accounting data --------------------------------------------------------------------


class XeroContact(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        ARCHIVED = "ARCHIVED"
        GDPRREQUEST = "GDPRREQUEST"

    tenant = models.ForeignKey(XeroTenant, on_delete=models.CASCADE, related_name="contacts")
    contact_id = models.UUIDField(unique=True, default=uuid.uuid4)
    name = models.CharField(max_length=255)
    contact_number = models.CharField(max_length=50, blank=True)
    account_number = models.CharField(max_length=50, blank=True)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    tax_number = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.ACTIVE)
    addresses = models.JSONField(default=list, blank=True)
    phones = models.JSONField(default=list, blank=True)
    is_customer = models.BooleanField(default=False)
    is_supplier = models.BooleanField(default=False)
    created_by_app = models.ForeignKey(
        "sandbox.App", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_utc = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "tenant",
                condition=Q(status="ACTIVE"),
                name="sandbox_xero_contact_active_name",
            )
        ]

    def __str__(self) -> str:
        return self.name


class XeroInvoice(models.Model):
    class Type(models.TextChoices):
        ACCREC = "ACCREC"
        ACCPAY = "ACCPAY"

    class Status(models.TextChoices):
        DRAFT = "DRAFT"
        SUBMITTED = "SUBMITTED"
        AUTHORISED = "AUTHORISED"
        PAID = "PAID"
        VOIDED = "VOIDED"
        DELETED = "DELETED"

    tenant = models.ForeignKey(XeroTenant, on_delete=models.CASCADE, related_name="invoices")
    invoice_id = models.UUIDField(unique=True, default=uuid.uuid4)
    type = models.CharField(max_length=6, choices=Type)
    invoice_number = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=255, blank=True)
    contact = models.ForeignKey(XeroContact, on_delete=models.PROTECT, related_name="invoices")
    date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    line_amount_types = models.CharField(max_length=10, default="Exclusive")
    # Normalised lines as Xero returns them; amounts are decimal strings.
    line_items = models.JSONField(default=list)
    currency_code = models.CharField(max_length=3, default="GBP")
    currency_rate = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("1"))
    sub_total = _money()
    total_tax = _money()
    total = _money()
    amount_paid = _money()
    amount_due = _money()
    fully_paid_on = models.DateField(null=True, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    sent_to_contact = models.BooleanField(default=False)
    created_by_app = models.ForeignKey(
        "sandbox.App", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_utc = models.DateTimeField()

    class Meta:
        ordering = ["updated_utc", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "invoice_number"],
                condition=Q(type="ACCREC") & ~Q(invoice_number=""),
                name="sandbox_xero_invoice_number",
            )
        ]

    def __str__(self) -> str:
        return self.invoice_number or str(self.invoice_id)


class XeroPayment(models.Model):
    class Status(models.TextChoices):
        AUTHORISED = "AUTHORISED"
        DELETED = "DELETED"

    tenant = models.ForeignKey(XeroTenant, on_delete=models.CASCADE, related_name="payments")
    payment_id = models.UUIDField(unique=True, default=uuid.uuid4)
    invoice = models.ForeignKey(XeroInvoice, on_delete=models.CASCADE, related_name="payments")
    account = models.ForeignKey(XeroAccount, on_delete=models.PROTECT)
    amount = _money()
    date = models.DateField()
    reference = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.AUTHORISED)
    updated_utc = models.DateTimeField()

    class Meta:
        ordering = ["updated_utc", "id"]

    def __str__(self) -> str:
        return f"{self.amount} on {self.invoice}"


# --- idempotency ----------------------------------------------------------------------


class XeroIdempotencyKey(models.Model):
    """The stored answer to a write sent with an Idempotency-Key."""

    tenant = models.ForeignKey(XeroTenant, on_delete=models.CASCADE)
    key = models.CharField(max_length=128)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    # The answer as sent (JSON text, decimals exact).
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="sandbox_xero_idempotency")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.tenant})"
