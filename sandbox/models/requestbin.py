"""The request bin: an address that records what is posted to it (Torqueflow's outbound
webhooks in the demo and the tests), and how it answers."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class RequestBin(models.Model):
    class Answer(models.TextChoices):
        OK = "200", "200 OK"
        ERROR = "500", "500 Internal Server Error"
        GONE = "410", "410 Gone"
        SLOW = "slow", "Slowly (then 200)"

    key = models.SlugField(max_length=50, unique=True)
    # The endpoint's signing secret (whsec_…), to check the signatures of what arrives.
    secret = models.CharField(max_length=200, blank=True)
    answer = models.CharField(max_length=10, choices=Answer, default=Answer.OK)
    slow_seconds = models.FloatField(
        default=20.0, validators=[MinValueValidator(0.0), MaxValueValidator(120.0)]
    )

    def __str__(self) -> str:
        return self.key


class BinRequest(models.Model):
    bin = models.ForeignKey(RequestBin, on_delete=models.CASCADE, related_name="requests")
    received_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True)
    # None: unsigned or no secret set to check with.
    signature_ok = models.BooleanField(null=True)
    verify_error = models.CharField(max_length=200, blank=True)
    answered = models.CharField(max_length=10)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.method} to {self.bin_id} at {self.received_at}"
