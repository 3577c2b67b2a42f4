"""Times and dates the way GoHighLevel writes and reads them."""

import datetime as dt

from sandbox.core import clock


def now() -> dt.datetime:
    """The sandbox clock, to the millisecond (the resolution of GoHighLevel's timestamps)."""
    return clock.now()


def iso(value: dt.datetime) -> str:
    """ "2023-12-12T09:27:42.355Z"."""
    return clock.iso(value)


def parse_date(value: str) -> dt.date:
    """A date sent by a client: "2023-01-01", or an ISO timestamp (its date). ValueError when
    it cannot be read."""
    return dt.date.fromisoformat(value.strip()[:10])
