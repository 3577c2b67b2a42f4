"""Times read and shown in the organisation's own time zone."""

import datetime
from contextlib import AbstractContextManager
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Organisation


def organisation_time(organisation: Organisation) -> AbstractContextManager:
    """While active, forms read typed times and templates show times in the organisation's
    time zone."""
    return timezone.override(ZoneInfo(organisation.timezone))


def organisation_today(organisation: Organisation) -> datetime.date:
    """Today's date where the organisation is."""
    return timezone.now().astimezone(ZoneInfo(organisation.timezone)).date()
