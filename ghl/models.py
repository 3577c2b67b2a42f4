from django.conf import settings
from django.db import models

from accounts.models import TenantModel
from integrations.models import Connection


class PaymentLinkRun(TenantModel):
    """Payment links sent for several invoices at once (the invoice list's bulk action): a
    task sends them one at a time, and the run's page follows it. `position` is how many of
    `invoice_ids` have been tried; each try commits with its outcome, so a run picked up
    again after a lost task never sends a link twice."""

    class State(models.TextChoices):
        RUNNING = "running", "Sending"
        DONE = "done", "Done"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    invoice_ids = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    # One entry per invoice tried: {"invoice": id, "number": "INV-0001", "sent": bool, "text": ...}
    outcomes = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State, default=State.RUNNING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    progressed_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "progressed_at"])]

    @property
    def total(self) -> int:
        return len(self.invoice_ids)

    @property
    def failed(self) -> int:
        return self.position - self.sent

    @property
    def running(self) -> bool:
        return self.state == self.State.RUNNING
