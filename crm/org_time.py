"""Times read and shown in the organisation's own time zone."""

from contextlib import AbstractContextManager
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Organisation
from accounts.selectors import organisation_today

__all__ = ["organisation_time", "organisation_today"]


def organisation_time(organisation: Organisation) -> AbstractContextManager:
    """While active, forms read typed times and templates show times in the organisation's
    time zone."""
    return timezone.override(ZoneInfo(organisation.timezone))
