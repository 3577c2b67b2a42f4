"""Times and dates the way GoHighLevel writes and reads them."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """Now in UTC, to the millisecond (the resolution of GoHighLevel's timestamps)."""
    current = timezone.now().astimezone(dt.UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def iso(value: dt.datetime) -> str:
    """ "2023-12-12T09:27:42.355Z"."""
    utc = value.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def parse_date(value: str) -> dt.date:
    """A date sent by a client: "2023-01-01", or an ISO timestamp (its date). ValueError when
    it cannot be read."""
    return dt.date.fromisoformat(value.strip()[:10])
