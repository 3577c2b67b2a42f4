"""Dates the way Xero writes and reads them: MS-JSON "/Date(ms+0000)/" next to ISO strings."""

import datetime as dt
import re
from email.utils import parsedate_to_datetime

from django.utils import timezone

from sandbox.core import clock

UTC = dt.UTC
_MS_JSON = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def now() -> dt.datetime:
    """The sandbox clock, to the millisecond (Xero's resolution, so If-Modified-Since
    round-trips)."""
    return clock.now()


def today() -> dt.date:
    return timezone.localdate()


def _epoch_ms(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


def ms_date(value: dt.date | None) -> str | None:
    """A calendar date: "/Date(1552262400000+0000)/"."""
    if value is None:
        return None
    midnight = dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    return f"/Date({_epoch_ms(midnight)}+0000)/"


def ms_datetime(value: dt.datetime | None) -> str | None:
    """A UTC timestamp on a record: "/Date(1552327126117+0000)/"."""
    if value is None:
        return None
    return f"/Date({_epoch_ms(value)}+0000)/"


def ms_envelope(value: dt.datetime) -> str:
    """The response envelope's DateTimeUTC: "/Date(1552327126164)/"."""
    return f"/Date({_epoch_ms(value)})/"


def date_string(value: dt.date | None) -> str | None:
    return None if value is None else f"{value.isoformat()}T00:00:00"


def utc_string(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def webhook_string(value: dt.datetime) -> str:
    """Webhook eventDateUtc: UTC without a zone suffix, to the millisecond."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def expired_string(value: dt.datetime) -> str:
    """The stamp in "TokenExpired: token expired at MM/DD/YYYY hh:mm:ss"."""
    return value.astimezone(UTC).strftime("%m/%d/%Y %H:%M:%S")


def parse_date(value: object) -> dt.date | None:
    """A date sent by a client: "2019-03-11", "2019-03-11T00:00:00" or "/Date(ms+0000)/".
    None for a missing value; ValueError for one that cannot be read."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    match = _MS_JSON.match(value.strip())
    if match:
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC).date()
    return dt.date.fromisoformat(value.strip()[:10])


def parse_if_modified_since(value: str | None) -> dt.datetime | None:
    """The If-Modified-Since header: ISO 8601 (a missing zone means UTC) or an HTTP date.
    None when absent or unreadable (Xero then returns everything)."""
    if not value:
        return None
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
