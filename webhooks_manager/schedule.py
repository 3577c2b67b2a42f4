"""When the next try of a message is due, after a failed one (the Standard Webhooks and Svix
schedule: at once, then about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: a message is
given up after about 27.5 hours; an endpoint failing every try for three days is disabled)."""

import datetime
import random

RETRY_DELAYS = (
    datetime.timedelta(seconds=5),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=10),
)
ATTEMPTS = len(RETRY_DELAYS) + 1
# Up to this share of a delay is added or taken away, so a burst of failures spreads out.
JITTER = 0.2
# A receiver's Retry-After is honoured up to this.
RETRY_AFTER_MAX = datetime.timedelta(hours=24)
# An endpoint that has failed every try for this long is disabled and the Owner told.
FAILING_LIMIT = datetime.timedelta(days=3)


def retry_delay(
    retry_index: int, *, retry_after: float | None = None, rand=None
) -> datetime.timedelta | None:
    """The wait after failed try number `retry_index` (0 is the first try), or None when the
    schedule is over. A longer Retry-After wins."""
    if retry_index >= len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[retry_index]
    delay = base * (1 + JITTER * (2 * (rand or random.random)() - 1))
    if retry_after:
        delay = max(delay, min(datetime.timedelta(seconds=retry_after), RETRY_AFTER_MAX))
    return delay


def retry_after_seconds(value: str | None, *, now: datetime.datetime) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - now).total_seconds())
