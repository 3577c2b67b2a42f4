"""The sandbox's clock: UTC to the millisecond, the resolution the providers write."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    current = timezone.now().astimezone(dt.UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def iso(value: dt.datetime) -> str:
    """ "2023-12-12T09:27:42.355Z"."""
    utc = value.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
