"""Wall-clock times in an organisation's time zone, and the weeks and days the pages show.

A time typed on the day the clocks change may not exist (it is skipped when they go
forward) or may happen twice (when they go back); both are refused with a message rather
than guessed."""

import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from accounts.models import Organisation


def zone_of(organisation: Organisation) -> ZoneInfo:
    return ZoneInfo(organisation.timezone)


def local_to_aware(day: datetime.date, time: datetime.time, *, zone: ZoneInfo) -> datetime.datetime:
    """The moment `time` on `day` as read on a clock in `zone`, in UTC (so that sums and
    differences count real time across a clock change). Raises a ValidationError
    for a time the clocks skip or repeat that day."""
    naive = datetime.datetime.combine(day, time.replace(tzinfo=None))
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    shown = f"{time:%H:%M} on {day:%-d %b %Y}"
    round_trip = first.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise ValidationError(
            f"{shown} does not exist: the clocks go forward then. Choose another time.",
            code="nonexistent",
        )
    if first.utcoffset() != second.utcoffset():
        raise ValidationError(
            f"{shown} happens twice: the clocks go back then. Choose a time outside that hour.",
            code="ambiguous",
        )
    return first.astimezone(datetime.UTC)


def day_bounds(
    day: datetime.date, *, zone: ZoneInfo
) -> tuple[datetime.datetime, datetime.datetime]:
    """From local midnight of `day` to local midnight of the next day (23 or 25 hours on a
    clock-change day)."""
    start = datetime.datetime.combine(day, datetime.time(0), tzinfo=zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone)
    return start, end


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of `day`'s week."""
    return day - datetime.timedelta(days=day.weekday())


def parse_day(text: str | None) -> datetime.date | None:
    """A YYYY-MM-DD date from a URL or query string, or None when it is not one."""
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None
