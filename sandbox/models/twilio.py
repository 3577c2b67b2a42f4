from django.db import models
from django.utils import timezone


class TwilioSandboxMessage(models.Model):
    """A text the emulated Twilio sent (outbound-api) or one a customer sent in (inbound)."""

    sid = models.CharField(max_length=34, unique=True)
    account_sid = models.CharField(max_length=34)
    direction = models.CharField(max_length=20, default="outbound-api")
    to = models.CharField(max_length=40)
    from_number = models.CharField(max_length=40, blank=True)
    messaging_service_sid = models.CharField(max_length=34, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=20, default="queued")
    error_code = models.CharField(max_length=10, blank=True)
    num_segments = models.PositiveSmallIntegerField(default=1)
    status_callback = models.URLField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.sid
