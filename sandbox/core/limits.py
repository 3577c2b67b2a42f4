"""Rate limits on fixed windows (RateWindow rows) on the sandbox clock, where a minute lasts
Faults.rate_limit_scale real seconds: per account a short window (Xero's minute, GoHighLevel's
10 s burst), a day and, where the provider has one, a limit on calls in flight; per app a short
window where it has one. A window starts at the first call after the previous one ended, so
windows reset at different times for each key."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sandbox.models import Faults, RateWindow

from .registry import get

DAY = 1440 * 60  # on the sandbox clock


@dataclass
class Verdict:
    allowed: bool
    # Which limit refused the call: "window", "day", "concurrent" or "app".
    problem: str = ""
    retry_after: int | None = None
    window_seconds: float = 0.0  # the short window's real length
    window_remaining: int = 0
    day_remaining: int = 0
    app_remaining: int = 0


def real_seconds(faults: Faults, sandbox_seconds: float) -> float:
    return max(faults.rate_limit_scale, 0.001) * sandbox_seconds / 60


def _locked(provider: str, key: str) -> RateWindow:
    """The counters for `key`, row-locked until the surrounding transaction ends."""
    RateWindow.objects.get_or_create(provider=provider, key=key)
    return RateWindow.objects.select_for_update().get(provider=provider, key=key)


def _roll(window: RateWindow, now: float, short: float, day: float | None) -> None:
    """Start a fresh short (and daily) window when the current one has ended."""
    if window.window_start == 0 or now >= window.window_start + short:
        window.window_start, window.window_count = now, 0
    if day is not None and (window.day_start == 0 or now >= window.day_start + day):
        window.day_start, window.day_count = now, 0


def _wait(start: float, length: float, now: float) -> int:
    return max(1, math.ceil(start + length - now))


def acquire(faults: Faults, *, key: str, app_key: str | None = None) -> Verdict:
    """Count one call on the account window `key` (and the app's); a refusal when a limit is
    reached. With a concurrency limit a slot is held until `release`."""
    limits = get(faults.provider).limits
    now = timezone.now().timestamp()
    short = real_seconds(faults, limits.window_seconds)
    day = real_seconds(faults, DAY)
    concurrent = limits.concurrent is not None
    per_app = limits.app_per_window is not None and app_key is not None
    with transaction.atomic():
        mine = _locked(faults.provider, key)
        _roll(mine, now, short, day)
        app = _locked(faults.provider, app_key) if per_app else None
        if app is not None:
            _roll(app, now, short, None)
        verdict = Verdict(allowed=False, window_seconds=short)
        if concurrent and mine.in_flight >= faults.concurrent_limit:
            verdict.problem = "concurrent"
        elif mine.day_count >= faults.day_limit:
            verdict.problem, verdict.retry_after = "day", _wait(mine.day_start, day, now)
        elif mine.window_count >= faults.window_limit:
            verdict.problem, verdict.retry_after = "window", _wait(mine.window_start, short, now)
        elif app is not None and app.window_count >= faults.app_window_limit:
            verdict.problem, verdict.retry_after = "app", _wait(app.window_start, short, now)
        else:
            verdict.allowed = True
            mine.window_count += 1
            mine.day_count += 1
            mine.in_flight += 1 if concurrent else 0
            if app is not None:
                app.window_count += 1
        mine.save()
        if app is not None:
            app.save()
    verdict.window_remaining = max(0, faults.window_limit - mine.window_count)
    verdict.day_remaining = max(0, faults.day_limit - mine.day_count)
    if app is not None:
        verdict.app_remaining = max(0, faults.app_window_limit - app.window_count)
    return verdict


def release(provider: str, key: str) -> None:
    """Give back the slot `acquire` held (a no-op without a concurrency limit)."""
    if get(provider).limits.concurrent is not None:
        RateWindow.objects.filter(provider=provider, key=key, in_flight__gt=0).update(
            in_flight=F("in_flight") - 1
        )


def reset(provider: str) -> None:
    """Zero the provider's windows, for a clean benchmark (calls in flight are kept)."""
    RateWindow.objects.filter(provider=provider).update(
        window_start=0, window_count=0, day_start=0, day_count=0
    )
