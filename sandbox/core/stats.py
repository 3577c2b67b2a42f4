"""Calls, 429s and injected faults counted per account, for benchmarks: the JSON of
GET /sandbox/<provider>/stats/ and the table on the control page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F

from sandbox.models import Faults, Stats

from . import limits
from .registry import Account, get

# Verdict.problem -> the counter of 429s it adds to.
PROBLEM_FIELDS = {
    "window": "rate_limited_window",
    "day": "rate_limited_day",
    "concurrent": "rate_limited_concurrent",
}


def count(provider: str, account: str, problem: str = "", **increments: int) -> None:
    Stats.objects.get_or_create(provider=provider, account=account)
    updates = {name: F(name) + value for name, value in increments.items() if value}
    if problem in PROBLEM_FIELDS:
        updates[PROBLEM_FIELDS[problem]] = F(PROBLEM_FIELDS[problem]) + 1
    if updates:
        Stats.objects.filter(provider=provider, account=account).update(**updates)


@dataclass(frozen=True)
class Row:
    account: Account
    stats: Stats | None

    def get(self, name: str) -> int:
        return getattr(self.stats, name) if self.stats else 0


def rows(provider: str) -> list[Row]:
    counted = {s.account: s for s in Stats.objects.filter(provider=provider)}
    return [Row(account, counted.get(account.id)) for account in get(provider).accounts()]


def snapshot(provider: str) -> dict[str, Any]:
    """{"totals", "<account noun>s": [...], "limits"}; a Xero row is {"tenantId",
    "tenantName", "calls", "rate_limited", "rate_limited_minute", ...}."""
    adapter, faults = get(provider), Faults.current(provider)
    noun, window = adapter.account_noun, adapter.limits.window_name
    problems = {
        f"rate_limited_{window}": "rate_limited_window",
        "rate_limited_day": "rate_limited_day",
    }
    if adapter.limits.concurrent is not None:
        problems["rate_limited_concurrent"] = "rate_limited_concurrent"
    accounts, totals = [], {"calls": 0, "rate_limited": 0}
    for row in rows(provider):
        accounts.append(
            {
                f"{noun}Id": row.account.id,
                f"{noun}Name": row.account.name,
                "calls": row.get("calls"),
                "rate_limited": row.get("rate_limited"),
                **{key: row.get(column) for key, column in problems.items()},
                "errors_injected": row.get("errors_injected"),
                "timeouts_injected": row.get("timeouts_injected"),
                "since": row.stats.since.isoformat() if row.stats else None,
            }
        )
        totals["calls"] += row.get("calls")
        totals["rate_limited"] += row.get("rate_limited")
    return {"totals": totals, f"{noun}s": accounts, "limits": limits_of(faults)}


def limits_of(faults: Faults) -> dict[str, Any]:
    """The limits in force: {"minute_seconds", "per_minute", "per_day", ...}."""
    documented = get(faults.provider).limits
    window = documented.window_name
    values: dict[str, Any] = {
        f"{window}_seconds": limits.real_seconds(faults, documented.window_seconds),
        f"per_{window}": faults.window_limit,
        "per_day": faults.day_limit,
    }
    if documented.concurrent is not None:
        values["concurrent"] = faults.concurrent_limit
    if documented.app_per_window is not None:
        values[f"app_per_{window}"] = faults.app_window_limit
    return values


def reset(provider: str) -> None:
    """Zero the counters and the rate-limit windows for a clean benchmark."""
    Stats.objects.filter(provider=provider).delete()
    limits.reset(provider)
