"""Outbound webhooks (an endpoint, a message per event per endpoint, an attempt per try) and
inbound webhooks (a secret URL that makes leads, and what arrived at it)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from encrypted_fields.fields import EncryptedTextField

from accounts.models import TenantModel

RESPONSE_EXCERPT = 1000
BODY_EXCERPT = 2000


class Endpoint(TenantModel):
    class Kind(models.TextChoices):
        STANDARD = "standard", "Standard Webhooks (signed JSON)"
        SLACK = "slack", "Slack incoming webhook"

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.STANDARD)
    # Event names from crm.events.EVENTS.
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    secret = EncryptedTextField()
    # After a rotation the old secret signs alongside the new one until it expires.
    previous_secret = EncryptedTextField(blank=True, null=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Set at the first failure after a success; cleared by the next success.
    failing_since = models.DateTimeField(null=True, blank=True)
    # While an endpoint is failing its messages wait for the next retry, not one try each.
    paused_until = models.DateTimeField(null=True, blank=True)
    # One worker delivers to an endpoint at a time: it holds this lease while it does.
    busy_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    @property
    def status(self) -> str:
        if not self.enabled:
            return "disabled"
        return "failing" if self.failing_since else "active"


class Message(TenantModel):
    """One event to deliver to one endpoint; `event_id` is the `webhook-id`, the same on
    every attempt and on a resend."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="messages")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    # Position in the retry schedule (a resend starts it again) and tries in all.
    retry_index = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["endpoint", "status", "next_attempt_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]


class Attempt(TenantModel):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "Succeeded"
        FAILURE = "failure", "Failed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    manual = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-pk"]


class InboundHook(TenantModel):
    """A secret URL (/hooks/in/<token>/) that makes a lead of what is posted to it. Only a
    digest of the token is kept: the URL is shown once, when made or rotated."""

    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    # The start of the token, so the owner can tell URLs apart.
    token_hint = models.CharField(max_length=12)
    # When set, posts must carry a Standard Webhooks signature made with it.
    signing_secret = EncryptedTextField(blank=True, null=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class InboundDelivery(TenantModel):
    class Outcome(models.TextChoices):
        CREATED = "created", "Lead created"
        REFUSED = "refused", "Refused"

    hook = models.ForeignKey(InboundHook, on_delete=models.CASCADE, related_name="deliveries")
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome)
    status_code = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    lead = models.ForeignKey(
        "crm.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
