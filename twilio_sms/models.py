"""Text messages sent and received through Twilio, and the numbers that opted out."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import TenantModel

# Twilio's statuses in the order a message moves through them: a callback never moves a
# message to a status earlier than the one it holds (callbacks arrive out of order).
STATUS_ORDER = {
    "queued": 0,
    "accepted": 1,
    "scheduled": 1,
    "sending": 2,
    "sent": 3,
    "receiving": 3,
    "received": 4,
    "delivered": 5,
    "read": 6,
    "undelivered": 6,
    "failed": 6,
    "canceled": 6,
    "partially_delivered": 6,
}


class SmsMessage(TenantModel):
    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Sent"
        INBOUND = "inbound", "Received"

    direction = models.CharField(max_length=10, choices=Direction)
    # The thread: the other party's number, E.164.
    phone = models.CharField(max_length=20)
    # Our side: the number or Messaging Service the message went from / came to.
    sender = models.CharField(max_length=40, blank=True)
    body = models.TextField()
    # Twilio's MessageSid; empty until Twilio accepted an outgoing message.
    sid = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=24, default="queued")
    error_code = models.CharField(max_length=10, blank=True)
    segments = models.PositiveSmallIntegerField(default=1)
    encoding = models.CharField(max_length=8, default="GSM-7")
    customer = models.ForeignKey(
        "invoicing.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        "crm.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # A reply stays unread until someone opens the SMS tab's history.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sid"],
                condition=~Q(sid=""),
                name="sms_sid_unique_per_org",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "phone", "-created_at"], name="sms_thread"),
            models.Index(fields=["organisation", "read_at"], name="sms_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.phone}: {self.body[:40]}"


class SmsOptOut(TenantModel):
    """A number that texted STOP: nothing is sent to it until it texts START."""

    phone = models.CharField(max_length=20)
    opted_out_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "phone"], name="sms_optout_unique")
        ]
