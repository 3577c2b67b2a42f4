import pytest
from django.conf import settings
from django.core.cache import cache

from integrations.ratelimit import RateLimiter, _redis
from integrations.registry import RateLimit


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    if settings.REDIS_URL:
        _redis().flushdb()


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_calls_within_the_window_go_and_the_next_one_waits_for_the_window_end():
    clock = Clock(1_000_040.0)  # 20 s into a 60 s window (windows start at multiples of 60)
    limiter = RateLimiter(key="t1", limit=RateLimit(calls=3, period_seconds=60), clock=clock)
    assert [limiter.acquire() for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire() == pytest.approx(40.0)
    clock.now += 40
    assert limiter.acquire() == 0


def test_two_limiters_on_the_same_key_share_one_budget():
    clock = Clock()
    limit = RateLimit(calls=2, period_seconds=60)
    first = RateLimiter(key="shared", limit=limit, clock=clock)
    second = RateLimiter(key="shared", limit=limit, clock=clock)
    assert first.acquire() == 0
    assert second.acquire() == 0
    assert first.acquire() > 0
    assert RateLimiter(key="other", limit=limit, clock=clock).acquire() == 0


def test_retry_after_blocks_every_worker_until_it_passes():
    clock = Clock()
    limiter = RateLimiter(key="t2", limit=RateLimit(calls=100, period_seconds=60), clock=clock)
    limiter.block(30)
    other = RateLimiter(key="t2", limit=RateLimit(calls=100, period_seconds=60), clock=clock)
    assert other.acquire() == pytest.approx(30)
    clock.now += 31
    assert other.acquire() == 0


def test_concurrency_slots_are_limited_and_given_back():
    limiter = RateLimiter(key="t3", limit=RateLimit(calls=100, period_seconds=60, concurrent=2))
    with (
        limiter.concurrency_slot() as a,
        limiter.concurrency_slot() as b,
        limiter.concurrency_slot() as c,
    ):
        assert (a, b, c) == (True, True, False)
    with limiter.concurrency_slot() as again:
        assert again is True
