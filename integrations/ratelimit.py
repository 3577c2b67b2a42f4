"""A rate limiter per connection, shared by every worker.

Providers declare their documented limits (registry.RateLimit). Calls are counted in a
sliding window: a call goes when fewer than `calls` were made in the last `period_seconds`,
so however the provider aligns its own windows (Xero's start at a tenant's first call), no
window of theirs sees more than the limit. Calls in flight are slots with a lease: a worker
that dies holding one (SIGKILL, a lost machine) gives it back when the lease runs out. A 429
with Retry-After blocks the connection for everyone until then.

In Redis when REDIS_URL is set, each decision one atomic script; otherwise in the Django
cache (a single developer machine: there the read and the write are two steps).
"""

import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as django_cache

from .registry import RateLimit

# The window is counted this much longer than the provider's: a call reaches the provider a
# moment after it was counted here, and calls do not all take the same moment, so a call
# counted just after the window passed could still land in the provider's window.
WINDOW_MARGIN = 0.02
# How long a slot is held at most unless the caller says otherwise.
DEFAULT_LEASE_SECONDS = 120.0

# KEYS[1] the log of calls (member per call, score its time); ARGV now, period, calls, member.
# Returns "0" when the call may go, else the seconds until the oldest call leaves the window.
_TAKE_CALL = """
local now, period, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(period * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + period - now)
"""

# KEYS[1] the slots held (member per holder, score when its lease ends); ARGV now, lease,
# concurrent, member. Returns 1 when a slot was free (and is now held), else 0.
_HOLD_SLOT = """
local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  local ends = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ends[2]) - now) * 1000) + 1000)
  return 1
end
return 0
"""


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@cache
def _script(source: str):
    return _redis().register_script(source)


class _RedisStore:
    def take_call(self, key: str, now: float, period: float, calls: int) -> float:
        member = f"{now}:{uuid.uuid4().hex}"
        return float(_script(_TAKE_CALL)(keys=[key], args=[now, period, calls, member]))

    def hold(self, key: str, member: str, now: float, lease: float, concurrent: int) -> bool:
        return bool(_script(_HOLD_SLOT)(keys=[key], args=[now, lease, concurrent, member]))

    def release(self, key: str, member: str, now: float) -> None:
        _redis().zrem(key, member)

    def held(self, key: str, now: float) -> int:
        return int(_redis().zcount(key, f"({now}", "+inf"))

    def get_float(self, key: str) -> float:
        value = _redis().get(key)
        return float(value) if value is not None else 0.0

    def set_float(self, key: str, value: float, ttl: int) -> None:
        _redis().set(key, value, ex=ttl)


class _CacheStore:
    """The same decisions on the Django cache: lists of times instead of sorted sets."""

    def take_call(self, key: str, now: float, period: float, calls: int) -> float:
        log = sorted(t for t in django_cache.get(key, []) if t > now - period)
        if len(log) < calls:
            django_cache.set(key, [*log, now], math.ceil(period) + 1)
            return 0.0
        return log[0] + period - now

    def hold(self, key: str, member: str, now: float, lease: float, concurrent: int) -> bool:
        slots = {m: ends for m, ends in django_cache.get(key, {}).items() if ends > now}
        if len(slots) >= concurrent:
            return False
        slots[member] = now + lease
        django_cache.set(key, slots, math.ceil(max(slots.values()) - now) + 1)
        return True

    def release(self, key: str, member: str, now: float) -> None:
        slots = django_cache.get(key, {})
        if slots.pop(member, None) is not None:
            ttl = max(slots.values(), default=now) - now
            django_cache.set(key, slots, math.ceil(ttl) + 1)

    def held(self, key: str, now: float) -> int:
        return sum(1 for ends in django_cache.get(key, {}).values() if ends > now)

    def get_float(self, key: str) -> float:
        value = django_cache.get(key)
        return float(value) if value is not None else 0.0

    def set_float(self, key: str, value: float, ttl: int) -> None:
        django_cache.set(key, value, ttl)


class RateLimiter:
    def __init__(self, *, key: str, limit: RateLimit, clock=time.time):
        self.key = f"ratelimit:{key}"
        self.limit = limit
        self.clock = clock
        self.store = _RedisStore() if settings.REDIS_URL else _CacheStore()

    def blocked_for(self) -> float:
        return max(0.0, self.store.get_float(f"{self.key}:blocked") - self.clock())

    def block(self, seconds: float) -> None:
        """Every worker waits `seconds` (from a provider's Retry-After)."""
        until = self.clock() + seconds
        if until > self.store.get_float(f"{self.key}:blocked"):
            self.store.set_float(f"{self.key}:blocked", until, math.ceil(seconds) + 1)

    def acquire(self) -> float:
        """Take one call from the sliding window. 0 means go; otherwise wait that long."""
        blocked = self.blocked_for()
        if blocked:
            return blocked
        period = self.limit.period_seconds * (1 + WINDOW_MARGIN)
        return self.store.take_call(f"{self.key}:calls", self.clock(), period, self.limit.calls)

    @contextmanager
    def concurrency_slot(self, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> Iterator[bool]:
        """Yields True when a concurrent slot was free (and holds it), False otherwise. The
        slot is given back on leaving, or when `lease_seconds` pass if its holder died."""
        if not self.limit.concurrent:
            yield True
            return
        key, member = f"{self.key}:inflight", uuid.uuid4().hex
        held = self.store.hold(key, member, self.clock(), lease_seconds, self.limit.concurrent)
        try:
            yield held
        finally:
            if held:
                self.store.release(key, member, self.clock())

    def in_flight(self) -> int:
        """Slots held now (by live holders, or dead ones whose lease has not run out)."""
        return self.store.held(f"{self.key}:inflight", self.clock())
