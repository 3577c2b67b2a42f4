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


# --- apps, consents and tokens ----------------------------------------------------------


class XeroApp(models.Model):
    """An app registered in the (emulated) developer portal."""

    client_id = models.CharField(max_length=100, unique=True)
    client_secret = models.CharField(max_length=200)
    name = models.CharField(max_length=100)
    # Empty: any https URL (or http on localhost) is accepted.
    redirect_uris = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.name


class XeroGrant(models.Model):
    """One user's authorisation of one app: scopes add up across consents."""

    app = models.ForeignKey(XeroApp, on_delete=models.CASCADE, related_name="grants")
    user_id = models.UUIDField()
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.app} for user {self.user_id}"


class XeroConnection(models.Model):
    """A tenant connected to a grant (GET /connections)."""

    grant = models.ForeignKey(XeroGrant, on_delete=models.CASCADE, related_name="connections")
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


class XeroAuthCode(models.Model):
    """A single-use authorisation code."""

    code_hash = models.CharField(max_length=64, unique=True)
    grant = models.ForeignKey(XeroGrant, on_delete=models.CASCADE)
    redirect_uri = models.URLField(max_length=1000)
    scopes = models.JSONField(default=list)
    auth_event_id = models.UUIDField()
    code_challenge = models.CharField(max_length=200, blank=True)
    nonce = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for grant {self.grant_id}"


class XeroRefreshToken(models.Model):
    """A rotating refresh token; `replaced_by` is set when it is used."""

    token_hash = models.CharField(max_length=64, unique=True)
    grant = models.ForeignKey(XeroGrant, on_delete=models.CASCADE, related_name="refresh_tokens")
    scopes = models.JSONField(default=list)
    auth_event_id = models.UUIDField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # When the client first used this token or the access token issued with it: proof that
    # the answer carrying them arrived (which ends the predecessor's grace window).
    pair_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.pk} for grant {self.grant_id}"


class XeroAccessToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    grant = models.ForeignKey(XeroGrant, on_delete=models.CASCADE, related_name="access_tokens")
    refresh_token = models.ForeignKey(
        XeroRefreshToken, null=True, blank=True, on_delete=models.SET_NULL
    )
    scopes = models.JSONField(default=list)
    auth_event_id = models.UUIDField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"access token {self.pk} for grant {self.grant_id}"


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
    created_by_app = models.ForeignKey(XeroApp, null=True, blank=True, on_delete=models.SET_NULL)
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
    created_by_app = models.ForeignKey(XeroApp, null=True, blank=True, on_delete=models.SET_NULL)
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


# --- machinery: idempotency, faults, rate limits, stats, webhooks -----------------------


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


class XeroFaults(models.Model):
    """The fault knobs: a single row (pk=1). Latency, errors, timeouts, the clock
    (`rate_limit_scale`), dropped webhooks and `webhooks_for_api_changes` apply to the whole
    sandbox (GoHighLevel too); the call limits are Xero's (GhlLimits holds GoHighLevel's)."""

    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0.0)
    timeout_rate = models.FloatField(default=0.0)
    # How long a "timed out" request sleeps after committing: past the client's timeout.
    timeout_seconds = models.FloatField(default=35.0)
    # The length of a "minute" for the rate limits, in real seconds (a day is 1440 of them).
    rate_limit_scale = models.FloatField(default=60.0)
    minute_limit = models.PositiveIntegerField(default=60)
    day_limit = models.PositiveIntegerField(default=5000)
    concurrent_limit = models.PositiveIntegerField(default=5)
    app_minute_limit = models.PositiveIntegerField(default=10000)
    drop_webhooks = models.FloatField(default=0.0)
    # Real Xero also sends events for changes an app makes through the API.
    webhooks_for_api_changes = models.BooleanField(default=False)
    last_intent_result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return "Fault settings"

    @classmethod
    def current(cls) -> "XeroFaults":
        return cls.objects.get_or_create(pk=1)[0]


class XeroRateWindow(models.Model):
    """Fixed-window counters, keyed: a Xero tenant ("tenant:<id>") or app ("app:<client_id>"),
    or a GoHighLevel app on a location ("ghl:<client_id>:<location_id>"). `minute_*` is the
    short window (a Xero minute, a GoHighLevel 10 s burst), `day_*` the daily one."""

    key = models.CharField(max_length=150, unique=True)
    minute_start = models.FloatField(default=0.0)
    minute_count = models.PositiveIntegerField(default=0)
    day_start = models.FloatField(default=0.0)
    day_count = models.PositiveIntegerField(default=0)
    in_flight = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.key


class XeroStats(models.Model):
    """Calls and 429s per tenant, for benchmarks (GET/DELETE /sandbox/xero/stats/)."""

    tenant = models.OneToOneField(XeroTenant, on_delete=models.CASCADE, related_name="stats")
    calls = models.PositiveIntegerField(default=0)
    rate_limited = models.PositiveIntegerField(default=0)
    rate_limited_minute = models.PositiveIntegerField(default=0)
    rate_limited_day = models.PositiveIntegerField(default=0)
    rate_limited_concurrent = models.PositiveIntegerField(default=0)
    errors_injected = models.PositiveIntegerField(default=0)
    timeouts_injected = models.PositiveIntegerField(default=0)
    since = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Stats for {self.tenant}"


class XeroWebhookEvent(models.Model):
    """One event sent (or to be sent) to Torqueflow; the pk is the event sequence."""

    tenant = models.ForeignKey(XeroTenant, on_delete=models.CASCADE)
    category = models.CharField(max_length=20, default="INVOICE")
    event_type = models.CharField(max_length=10, default="UPDATE")
    resource_id = models.UUIDField()
    resource_url = models.CharField(max_length=500)
    event_date = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    dropped = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} {self.event_type} {self.resource_id}"
