"""Writes of the home page."""

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Organisation

from .models import ChecklistDismissal


def checklist_dismiss(*, organisation: Organisation, actor: AbstractBaseUser) -> None:
    """Hide the first-run checklist for everyone in the organisation (dismissing twice is
    a no-op)."""
    ChecklistDismissal.objects.get_or_create(
        organisation=organisation, defaults={"dismissed_by": actor}
    )
