"""A rate limiter per connection, shared by every worker.

Providers declare their documented limits (registry.RateLimit). Calls are counted in a
sliding window: a call goes when fewer than `calls` were made in the last `period_seconds`,
so however the provider aligns its own windows (Xero's start at a tenant's first call), no
window of theirs sees more than the limit. Calls in flight are slots with a lease: a worker
that dies holding one (SIGKILL, a lost machine) gives it back when the lease runs out. A 429
with Retry-After blocks the connection for everyone until then.

Two lanes share the window. Bulk work (pushes, the reconciler) is paced by the limit's
`spread` and steps aside for urgent calls (a webhook's read that a user is waiting on): an
urgent caller refused a call leaves its name among the waiters until a few seconds after it
was told to come back, and
while anyone waits, bulk work leaves that many calls of the window free for them.

In Redis when REDIS_URL is set, each decision one atomic script; otherwise in the Django
cache (a single developer machine: there the read and the write are two steps).
"""

import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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

# How long an urgent caller refused a call keeps its place among the waiters after the time
# it was told to come back.
WAITER_SECONDS = 5.0
# The least a refused caller is told to wait (a free call taken by an urgent waiter first).
MIN_WAIT = 0.05

# KEYS[1] the log of calls (member per call, score its time), KEYS[2] the urgent waiters
# (member per waiter, score when its place lapses). ARGV now, period, calls, member, urgent
# (1/0), waiter, waiter seconds, spread calls, spread seconds.
# Returns "0" when the call may go, else the seconds to wait before asking again.
_TAKE_CALL = """
local now, period, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local urgent, waiter = ARGV[5] == '1', ARGV[6]
local spread_calls, spread_period = tonumber(ARGV[8]), tonumber(ARGV[9])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
local wait = 0
if urgent then
  if count >= limit then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    wait = tonumber(oldest[2]) + period - now
  end
else
  local waiting = redis.call('ZCARD', KEYS[2])
  if count + waiting >= limit then
    local index = math.max(0, count + waiting - limit)
    local oldest = redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')
    wait = oldest[2] and (tonumber(oldest[2]) + period - now) or 0
    if waiting > 0 then wait = math.max(wait, tonumber(ARGV[10])) end
  elseif spread_calls > 0 then
    local recent = redis.call('ZRANGEBYSCORE', KEYS[1], now - spread_period, '+inf')
    if #recent >= spread_calls then
      local first = redis.call('ZSCORE', KEYS[1], recent[#recent - spread_calls + 1])
      wait = tonumber(first) + spread_period - now
    end
  end
end
if wait <= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(period * 1000) + 1000)
  if urgent then redis.call('ZREM', KEYS[2], waiter) end
  return '0'
end
if urgent then
  redis.call('ZADD', KEYS[2], now + wait + tonumber(ARGV[7]), waiter)
  redis.call('PEXPIRE', KEYS[2], math.ceil((wait + tonumber(ARGV[7])) * 1000) + 1000)
end
return tostring(math.max(wait, tonumber(ARGV[10])))
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


@dataclass(frozen=True)
class _Lane:
    """Who asks for a call: urgent (with the waiter's name) or bulk (paced by the spread)."""

    urgent: bool
    waiter: str
    spread_calls: int
    spread_seconds: float

    def wait(self, log: list[float], waiting: int, *, now: float, period: float, calls: int):
        """The cache store's decision, the same as the Redis script's."""
        if self.urgent:
            return log[0] + period - now if len(log) >= calls else 0.0
        if len(log) + waiting >= calls:
            index = max(0, len(log) + waiting - calls)
            wait = log[index] + period - now if index < len(log) else 0.0
            return max(wait, MIN_WAIT) if waiting else wait
        if self.spread_calls:
            recent = [t for t in log if t >= now - self.spread_seconds]
            if len(recent) >= self.spread_calls:
                return recent[-self.spread_calls] + self.spread_seconds - now
        return 0.0


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@cache
def _script(source: str):
    return _redis().register_script(source)


class _RedisStore:
    def take_call(self, key: str, now: float, period: float, calls: int, lane: "_Lane") -> float:
        member = f"{now}:{uuid.uuid4().hex}"
        args = [now, period, calls, member, int(lane.urgent), lane.waiter, WAITER_SECONDS]
        args += [lane.spread_calls, lane.spread_seconds, MIN_WAIT]
        return float(_script(_TAKE_CALL)(keys=[key, f"{key}:waiters"], args=args))

    def hold(self, key: str, member: str, now: float, lease: float, concurrent: int) -> bool:
        return bool(_script(_HOLD_SLOT)(keys=[key], args=[now, lease, concurrent, member]))

    def release(self, key: str, member: str, now: float) -> None:
        _redis().zrem(key, member)

    def held(self, key: str, now: float) -> int:
        return int(_redis().zcount(key, f"({now}", "+inf"))

    def first(self, key: str, now: float) -> str | None:
        members = _redis().zrangebyscore(key, f"({now}", "+inf", start=0, num=1)
        return members[0].decode() if members else None

    def get_float(self, key: str) -> float:
        value = _redis().get(key)
        return float(value) if value is not None else 0.0

    def set_float(self, key: str, value: float, ttl: int) -> None:
        _redis().set(key, value, ex=ttl)


class _CacheStore:
    """The same decisions on the Django cache: lists of times instead of sorted sets."""

    def take_call(self, key: str, now: float, period: float, calls: int, lane: "_Lane") -> float:
        log = sorted(t for t in django_cache.get(key, []) if t > now - period)
        waiters = {
            w: ends for w, ends in django_cache.get(f"{key}:waiters", {}).items() if ends > now
        }
        wait = lane.wait(log, len(waiters), now=now, period=period, calls=calls)
        if wait <= 0:
            django_cache.set(key, [*log, now], math.ceil(period) + 1)
            waiters.pop(lane.waiter, None)
        elif lane.urgent:
            waiters[lane.waiter] = now + wait + WAITER_SECONDS
        ttl = max(waiters.values(), default=now) - now
        django_cache.set(f"{key}:waiters", waiters, math.ceil(ttl) + 1)
        return 0.0 if wait <= 0 else max(wait, MIN_WAIT)

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

    def first(self, key: str, now: float) -> str | None:
        slots = {m: ends for m, ends in django_cache.get(key, {}).items() if ends > now}
        return min(slots, key=slots.__getitem__) if slots else None

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
        self._slot: str | None = None  # the concurrency slot held, while held

    def blocked_for(self) -> float:
        return max(0.0, self.store.get_float(f"{self.key}:blocked") - self.clock())

    def block(self, seconds: float) -> None:
        """Every worker waits `seconds` (from a provider's Retry-After)."""
        until = self.clock() + seconds
        if until > self.store.get_float(f"{self.key}:blocked"):
            self.store.set_float(f"{self.key}:blocked", until, math.ceil(seconds) + 1)

    def acquire(self, *, urgent: bool = False, waiter: str = "", paced: bool = True) -> float:
        """Take one call from the sliding window. 0 means go; otherwise wait that long.

        Bulk work asks plainly; a call that follows one already paced (the rest of a batch)
        says `paced=False`. An urgent caller names itself (`waiter`, the same name on every
        try of one call) so that bulk work leaves it the next free call."""
        blocked = self.blocked_for()
        if blocked:
            return blocked
        period = self.limit.period_seconds * (1 + WINDOW_MARGIN)
        spread_calls, spread_seconds = self.limit.spread()
        lane = _Lane(
            urgent=urgent,
            waiter=waiter or uuid.uuid4().hex,
            spread_calls=spread_calls if paced and not urgent else 0,
            spread_seconds=spread_seconds * (1 + WINDOW_MARGIN),
        )
        return self.store.take_call(
            f"{self.key}:calls", self.clock(), period, self.limit.calls, lane
        )

    @contextmanager
    def concurrency_slot(self, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> Iterator[bool]:
        """Yields True when a concurrent slot was free (and holds it), False otherwise. The
        slot is given back on leaving, or when `lease_seconds` pass if its holder died."""
        if not self.limit.concurrent:
            yield True
            return
        key, member = f"{self.key}:inflight", uuid.uuid4().hex
        held = self.store.hold(key, member, self.clock(), lease_seconds, self.limit.concurrent)
        if held:
            self._slot = member
        try:
            yield held
        finally:
            if held:
                self._slot = None
                self.store.release(key, member, self.clock())

    def held_first(self) -> bool:
        """Whether the slot this limiter holds was taken before every other one still held
        (slots of one kind share a lease, so the earliest ends first). True without one."""
        if self._slot is None:
            return True
        first = self.store.first(f"{self.key}:inflight", self.clock())
        return first is None or first == self._slot

    def in_flight(self) -> int:
        """Slots held now (by live holders, or dead ones whose lease has not run out)."""
        return self.store.held(f"{self.key}:inflight", self.clock())
