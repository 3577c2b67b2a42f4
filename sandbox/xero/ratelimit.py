"""Xero's limits on a scaled clock: per tenant 60 calls a "minute", 5,000 a "day" (1,440
minutes) and 5 in flight; per app 10,000 a minute. A "minute" lasts `rate_limit_scale` real
seconds. Windows are fixed and start at a tenant's first call, so they reset at different
times for each tenant. Calls and 429s are counted per tenant for benchmarks."""

import math
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sandbox.models import XeroApp, XeroFaults, XeroRateWindow, XeroStats, XeroTenant
from sandbox.windows import locked as locked_window
from sandbox.windows import roll as roll_window

PROBLEM_FIELDS = {
    "minute": "rate_limited_minute",
    "day": "rate_limited_day",
    "concurrent": "rate_limited_concurrent",
}


@dataclass
class Verdict:
    allowed: bool
    problem: str = ""
    retry_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _tenant_key(tenant: XeroTenant) -> str:
    return f"tenant:{tenant.tenant_id}"


def acquire(*, tenant: XeroTenant, app: XeroApp, faults: XeroFaults) -> Verdict:
    """Count one call; a 429 verdict when a limit is reached, else a slot is held until
    `release`."""
    now = timezone.now().timestamp()
    minute = max(faults.rate_limit_scale, 0.001)
    day = minute * 1440
    with transaction.atomic():
        mine = locked_window(_tenant_key(tenant))
        apps = locked_window(f"app:{app.client_id}")
        roll_window(mine, now, minute, day)
        roll_window(apps, now, minute, None)
        verdict = Verdict(allowed=False)
        if mine.in_flight >= faults.concurrent_limit:
            verdict.problem = "concurrent"
        elif mine.day_count >= faults.day_limit:
            verdict.problem = "day"
            verdict.retry_after = max(1, math.ceil(mine.day_start + day - now))
        elif mine.minute_count >= faults.minute_limit:
            verdict.problem = "minute"
            verdict.retry_after = max(1, math.ceil(mine.minute_start + minute - now))
        elif apps.minute_count >= faults.app_minute_limit:
            verdict.problem = "appminute"
            verdict.retry_after = max(1, math.ceil(apps.minute_start + minute - now))
        else:
            verdict.allowed = True
            mine.minute_count += 1
            mine.day_count += 1
            mine.in_flight += 1
            apps.minute_count += 1
        mine.save()
        apps.save()
        _count(tenant, calls=1, rate_limited=0 if verdict.allowed else 1, problem=verdict.problem)
    verdict.headers = {
        "X-DayLimit-Remaining": str(max(0, faults.day_limit - mine.day_count)),
        "X-MinLimit-Remaining": str(max(0, faults.minute_limit - mine.minute_count)),
        "X-AppMinLimit-Remaining": str(max(0, faults.app_minute_limit - apps.minute_count)),
    }
    if not verdict.allowed:
        verdict.headers["X-Rate-Limit-Problem"] = verdict.problem
        if verdict.retry_after is not None:
            verdict.headers["Retry-After"] = str(verdict.retry_after)
    return verdict


def release(tenant: XeroTenant) -> None:
    XeroRateWindow.objects.filter(key=_tenant_key(tenant), in_flight__gt=0).update(
        in_flight=F("in_flight") - 1
    )


def _count(tenant: XeroTenant, problem: str = "", **increments: int) -> None:
    XeroStats.objects.get_or_create(tenant=tenant)
    updates = {name: F(name) + value for name, value in increments.items() if value}
    if problem in PROBLEM_FIELDS:
        updates[PROBLEM_FIELDS[problem]] = F(PROBLEM_FIELDS[problem]) + 1
    if updates:
        XeroStats.objects.filter(tenant=tenant).update(**updates)


def count_fault(tenant: XeroTenant, kind: str) -> None:
    """kind: "errors_injected" or "timeouts_injected"."""
    _count(tenant, **{kind: 1})


def stats_snapshot() -> dict[str, Any]:
    tenants = []
    totals = {"calls": 0, "rate_limited": 0}
    for tenant in XeroTenant.objects.select_related("stats").order_by("name"):
        stats = getattr(tenant, "stats", None)
        row = {
            "tenantId": str(tenant.tenant_id),
            "tenantName": tenant.name,
            "calls": stats.calls if stats else 0,
            "rate_limited": stats.rate_limited if stats else 0,
            "rate_limited_minute": stats.rate_limited_minute if stats else 0,
            "rate_limited_day": stats.rate_limited_day if stats else 0,
            "rate_limited_concurrent": stats.rate_limited_concurrent if stats else 0,
            "errors_injected": stats.errors_injected if stats else 0,
            "timeouts_injected": stats.timeouts_injected if stats else 0,
            "since": stats.since.isoformat() if stats else None,
        }
        totals["calls"] += row["calls"]
        totals["rate_limited"] += row["rate_limited"]
        tenants.append(row)
    faults = XeroFaults.current()
    return {
        "totals": totals,
        "tenants": tenants,
        "limits": {
            "minute_seconds": faults.rate_limit_scale,
            "per_minute": faults.minute_limit,
            "per_day": faults.day_limit,
            "concurrent": faults.concurrent_limit,
            "app_per_minute": faults.app_minute_limit,
        },
    }


def reset_stats(*, windows: bool = True) -> None:
    """Zero the counters (and, by default, the rate-limit windows) for a clean benchmark."""
    XeroStats.objects.all().delete()
    if windows:
        XeroRateWindow.objects.exclude(key__startswith="ghl:").update(
            minute_start=0, minute_count=0, day_start=0, day_count=0
        )
