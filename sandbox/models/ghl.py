"""The emulated GoHighLevel's data. GoHighLevel's field names are kept in docstrings and
serializers; the columns use Django's naming. Ids look like GoHighLevel's: 20 letters and
digits for locations, users and contacts, 24 hex digits (a Mongo ObjectId) for invoices."""

from django.db import models
from django.db.models import Q

from .common import money_field

# --- locations, the app, installs and tokens -------------------------------------------------


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


class GhlApp(models.Model):
    """A marketplace app. Its app id (webhooks' `appId`) is the client id up to its first "-"."""

    client_id = models.CharField(max_length=100, unique=True)
    client_secret = models.CharField(max_length=200)
    name = models.CharField(max_length=100)
    # Empty: any https URL (or http on localhost) is accepted.
    redirect_uris = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def app_id(self) -> str:
        return self.client_id.split("-", 1)[0]


class GhlInstall(models.Model):
    """The app installed on a location by a user (what "Allow" on chooselocation makes)."""

    app = models.ForeignKey(GhlApp, on_delete=models.CASCADE, related_name="installs")
    location = models.ForeignKey(GhlLocation, on_delete=models.CASCADE, related_name="installs")
    user_id = models.CharField(max_length=40)
    scopes = models.JSONField(default=list)
    installed_at = models.DateTimeField()
    uninstalled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "location"], name="sandbox_ghl_install")
        ]

    def __str__(self) -> str:
        return f"{self.app} on {self.location}"


class GhlAuthCode(models.Model):
    """A single-use authorisation code."""

    code_hash = models.CharField(max_length=64, unique=True)
    install = models.ForeignKey(GhlInstall, on_delete=models.CASCADE)
    redirect_uri = models.URLField(max_length=1000)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.install}"


class GhlRefreshToken(models.Model):
    """A single-use refresh token. Once used, the same token asked again within 30 seconds
    gets the same answer (`answer`), as GoHighLevel does for concurrent refreshes."""

    token_hash = models.CharField(max_length=64, unique=True)
    # The `refreshTokenId` of the token answer.
    public_id = models.CharField(max_length=24, unique=True)
    install = models.ForeignKey(GhlInstall, on_delete=models.CASCADE, related_name="refresh_tokens")
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # The token answer given when it was used (JSON), kept for the concurrency window only.
    answer = models.TextField(blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.public_id}"


class GhlAccessToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    install = models.ForeignKey(GhlInstall, on_delete=models.CASCADE, related_name="access_tokens")
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"access token {self.pk} for {self.install}"


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
    created_by_app = models.ForeignKey(GhlApp, null=True, blank=True, on_delete=models.SET_NULL)
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


# --- machinery: limits, stats, webhooks ------------------------------------------------------


class GhlLimits(models.Model):
    """GoHighLevel's call limits per app and location: a single row (pk=1). The windows run on
    the sandbox clock (XeroFaults.rate_limit_scale): 10 s is a sixth of its minute."""

    burst_limit = models.PositiveIntegerField(default=100)
    daily_limit = models.PositiveIntegerField(default=200_000)

    def __str__(self) -> str:
        return "GoHighLevel limits"

    @classmethod
    def current(cls) -> "GhlLimits":
        return cls.objects.get_or_create(pk=1)[0]


class GhlStats(models.Model):
    """Calls and 429s per location, for benchmarks (GET/DELETE /sandbox/ghl/stats/)."""

    location = models.OneToOneField(GhlLocation, on_delete=models.CASCADE, related_name="stats")
    calls = models.PositiveIntegerField(default=0)
    rate_limited = models.PositiveIntegerField(default=0)
    errors_injected = models.PositiveIntegerField(default=0)
    timeouts_injected = models.PositiveIntegerField(default=0)
    since = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Stats for {self.location}"


class GhlWebhookEvent(models.Model):
    """One webhook sent (or to be sent) to Torqueflow. `payload` is the body without its
    `timestamp`, which is set at each delivery; `webhookId` stays the same."""

    location = models.ForeignKey(GhlLocation, null=True, blank=True, on_delete=models.CASCADE)
    event_type = models.CharField(max_length=40)
    webhook_id = models.UUIDField(unique=True)
    payload = models.JSONField(default=dict)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    attempted_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    dropped = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"
