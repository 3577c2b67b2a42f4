"""A rate limiter per connection, shared by every worker.

Fixed windows counted in Redis when REDIS_URL is set (atomic INCR), otherwise in the Django
cache. Providers declare their documented limits (registry.RateLimit); a 429 with
Retry-After blocks the connection for everyone until then.
"""

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as django_cache

from .registry import RateLimit


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


class _Counter:
    """INCR with expiry, in Redis or the Django cache."""

    def incr(self, key: str, ttl: int) -> int:
        if settings.REDIS_URL:
            pipe = _redis().pipeline()
            pipe.incr(key)
            pipe.expire(key, ttl)
            return int(pipe.execute()[0])
        django_cache.add(key, 0, ttl)
        try:
            return django_cache.incr(key)
        except ValueError:  # expired between add and incr
            django_cache.set(key, 1, ttl)
            return 1

    def decr(self, key: str) -> None:
        if settings.REDIS_URL:
            _redis().decr(key)
            return
        with suppress(ValueError):
            django_cache.decr(key)

    def get_float(self, key: str) -> float:
        value = _redis().get(key) if settings.REDIS_URL else django_cache.get(key)
        return float(value) if value is not None else 0.0

    def set_float(self, key: str, value: float, ttl: int) -> None:
        if settings.REDIS_URL:
            _redis().set(key, value, ex=ttl)
        else:
            django_cache.set(key, value, ttl)


class RateLimiter:
    def __init__(self, *, key: str, limit: RateLimit, clock=time.time):
        self.key = f"ratelimit:{key}"
        self.limit = limit
        self.clock = clock
        self.counter = _Counter()

    def blocked_for(self) -> float:
        return max(0.0, self.counter.get_float(f"{self.key}:blocked") - self.clock())

    def block(self, seconds: float) -> None:
        """Every worker waits `seconds` (from a provider's Retry-After)."""
        until = self.clock() + seconds
        if until > self.counter.get_float(f"{self.key}:blocked"):
            self.counter.set_float(f"{self.key}:blocked", until, math.ceil(seconds) + 1)

    def acquire(self) -> float:
        """Take one call from the current window. 0 means go; otherwise wait that long."""
        blocked = self.blocked_for()
        if blocked:
            return blocked
        now = self.clock()
        period = self.limit.period_seconds
        window = int(now // period)
        used = self.counter.incr(f"{self.key}:w{window}", math.ceil(period) * 2)
        if used <= self.limit.calls:
            return 0.0
        return (window + 1) * period - now

    @contextmanager
    def concurrency_slot(self) -> Iterator[bool]:
        """Yields True when a concurrent slot was free (and holds it), False otherwise."""
        if not self.limit.concurrent:
            yield True
            return
        key = f"{self.key}:inflight"
        held = self.counter.incr(key, 120) <= self.limit.concurrent
        try:
            yield held
        finally:
            self.counter.decr(key)
