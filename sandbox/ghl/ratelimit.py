"""GoHighLevel's limits per app and location, on the sandbox clock: a burst of 100 calls per
10 seconds and 200,000 a day (GhlLimits). A sandbox "minute" lasts XeroFaults.rate_limit_scale
real seconds, so the burst window lasts a sixth of it. Every answer carries the
X-RateLimit-* headers; beyond a limit the answer is 429. Calls and 429s are counted per
location for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sandbox.models import (
    GhlInstall,
    GhlLimits,
    GhlLocation,
    GhlStats,
    XeroFaults,
    XeroRateWindow,
)
from sandbox.windows import locked as locked_window
from sandbox.windows import roll as roll_window

from .constants import BURST_SECONDS


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)


def window_seconds(faults: XeroFaults) -> float:
    """How long the 10 s burst window lasts in real seconds."""
    return max(faults.rate_limit_scale, 0.001) * BURST_SECONDS / 60


def acquire(*, install: GhlInstall, faults: XeroFaults) -> Verdict:
    """Count one call for the install's app and location."""
    limits = GhlLimits.current()
    now = timezone.now().timestamp()
    burst = window_seconds(faults)
    day = max(faults.rate_limit_scale, 0.001) * 1440
    key = f"ghl:{install.app.client_id}:{install.location.location_id}"
    with transaction.atomic():
        window = locked_window(key)
        roll_window(window, now, burst, day)
        allowed = window.minute_count < limits.burst_limit and window.day_count < limits.daily_limit
        if allowed:
            window.minute_count += 1
            window.day_count += 1
        window.save()
        _count(install.location, calls=1, rate_limited=0 if allowed else 1)
    return Verdict(
        allowed=allowed,
        headers={
            "X-RateLimit-Limit-Daily": str(limits.daily_limit),
            "X-RateLimit-Daily-Remaining": str(max(0, limits.daily_limit - window.day_count)),
            "X-RateLimit-Interval-Milliseconds": str(round(burst * 1000)),
            "X-RateLimit-Max": str(limits.burst_limit),
            "X-RateLimit-Remaining": str(max(0, limits.burst_limit - window.minute_count)),
        },
    )


def _count(location: GhlLocation, **increments: int) -> None:
    GhlStats.objects.get_or_create(location=location)
    updates = {name: F(name) + value for name, value in increments.items() if value}
    if updates:
        GhlStats.objects.filter(location=location).update(**updates)


def count_fault(location: GhlLocation, kind: str) -> None:
    """kind: "errors_injected" or "timeouts_injected"."""
    _count(location, **{kind: 1})


def stats_snapshot() -> dict[str, Any]:
    locations = []
    totals = {"calls": 0, "rate_limited": 0}
    for location in GhlLocation.objects.select_related("stats").order_by("name"):
        stats = getattr(location, "stats", None)
        row = {
            "locationId": location.location_id,
            "locationName": location.name,
            "calls": stats.calls if stats else 0,
            "rate_limited": stats.rate_limited if stats else 0,
            "errors_injected": stats.errors_injected if stats else 0,
            "timeouts_injected": stats.timeouts_injected if stats else 0,
            "since": stats.since.isoformat() if stats else None,
        }
        totals["calls"] += row["calls"]
        totals["rate_limited"] += row["rate_limited"]
        locations.append(row)
    limits, faults = GhlLimits.current(), XeroFaults.current()
    return {
        "totals": totals,
        "locations": locations,
        "limits": {
            "burst": limits.burst_limit,
            "burst_seconds": window_seconds(faults),
            "daily": limits.daily_limit,
        },
    }


def reset_stats() -> None:
    """Zero the counters and the rate-limit windows for a clean benchmark."""
    GhlStats.objects.all().delete()
    XeroRateWindow.objects.filter(key__startswith="ghl:").update(
        minute_start=0, minute_count=0, day_start=0, day_count=0
    )
