"""Fixed-window call counters (XeroRateWindow rows) on the sandbox clock, shared by the
providers' rate limits: a short window (a Xero minute, a GoHighLevel 10 s burst) and a day.
A window starts at the first call after the previous one ended."""

from sandbox.models import XeroRateWindow


def locked(key: str) -> XeroRateWindow:
    """The counters for `key`, row-locked until the surrounding transaction ends."""
    XeroRateWindow.objects.get_or_create(key=key)
    return XeroRateWindow.objects.select_for_update().get(key=key)


def roll(window: XeroRateWindow, now: float, short: float, day: float | None) -> None:
    """Start a fresh short (and daily) window when the current one has ended."""
    if window.minute_start == 0 or now >= window.minute_start + short:
        window.minute_start, window.minute_count = now, 0
    if day is not None and (window.day_start == 0 or now >= window.day_start + day):
        window.day_start, window.day_count = now, 0
