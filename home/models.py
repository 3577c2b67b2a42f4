from django.conf import settings
from django.db import models

from accounts.models import Organisation


class ChecklistDismissal(models.Model):
    """The first-run checklist was dismissed for this organisation: it stays hidden."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="checklist_dismissal"
    )
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Checklist dismissed for {self.organisation}"
