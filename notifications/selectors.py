from django.db.models import QuerySet

from .models import Email


def emails_recorded(*, organisation_id: int | None = None) -> QuerySet[Email]:
    """Every recorded email, newest first; only one organisation's when given."""
    emails = Email.objects.select_related("organisation")
    if organisation_id is not None:
        emails = emails.filter(organisation_id=organisation_id)
    return emails.order_by("-created_at", "-pk")
