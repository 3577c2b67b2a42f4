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


def test_calls_within_the_limit_go_and_the_next_one_waits_for_the_oldest_to_age_out():
    """The window is a little longer than the provider's minute (WINDOW_MARGIN: 1.2 s)."""
    clock = Clock()
    limiter = RateLimiter(key="t1", limit=RateLimit(calls=3, period_seconds=60), clock=clock)
    assert limiter.acquire() == 0
    clock.now += 20
    assert [limiter.acquire() for _ in range(2)] == [0, 0]
    assert limiter.acquire() == pytest.approx(41.2)
    clock.now += 40
    assert limiter.acquire() == pytest.approx(1.2)  # a minute, but not the margin
    clock.now += 1.2
    assert limiter.acquire() == 0  # the first call is old enough
    assert limiter.acquire() == pytest.approx(20.0)  # the next two are not yet


def test_no_sixty_seconds_ever_hold_more_than_the_limit():
    """Whatever minute the provider counts (Xero's starts at a tenant's first call), it never
    sees more than the limit: the window slides with the calls."""
    clock = Clock(1_000_050.0)  # ten seconds before a clock-aligned minute ends
    limiter = RateLimiter(key="t1b", limit=RateLimit(calls=3, period_seconds=60), clock=clock)
    made = []
    for _ in range(200):  # a busy worker asking every half second
        if limiter.acquire() == 0:
            made.append(clock.now)
        clock.now += 0.5
    assert len(made) == 3 * 2  # 100 s: two windows' worth, not three
    assert all(b - a >= 60 for a, b in zip(made, made[3:], strict=False))


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
    assert limiter.in_flight() == 0


def test_a_slot_whose_holder_died_comes_back_when_its_lease_ends():
    clock = Clock()
    limit = RateLimit(calls=100, period_seconds=60, concurrent=1)
    dead = RateLimiter(key="t4", limit=limit, clock=clock)
    held = dead.concurrency_slot(lease_seconds=30)
    assert held.__enter__() is True  # and never left: its worker was killed
    alive = RateLimiter(key="t4", limit=limit, clock=clock)
    with alive.concurrency_slot() as free:
        assert free is False
    assert alive.in_flight() == 1

    clock.now += 31
    assert alive.in_flight() == 0
    with alive.concurrency_slot() as free:
        assert free is True


def test_a_refused_slot_does_not_give_back_someone_elses():
    limiter = RateLimiter(key="t5", limit=RateLimit(calls=100, period_seconds=60, concurrent=1))
    with limiter.concurrency_slot() as first:
        with limiter.concurrency_slot() as second:
            assert (first, second) == (True, False)
        assert limiter.in_flight() == 1


# --- urgent callers and the pace of bulk work -----------------------------------------------


def test_bulk_work_is_paced_over_the_spread_and_urgent_calls_are_not():
    clock = Clock()
    limit = RateLimit(calls=60, period_seconds=60, spread_seconds=2)  # 2 calls in 2 s
    limiter = RateLimiter(key="pace", limit=limit, clock=clock)
    assert [limiter.acquire() for _ in range(2)] == [0, 0]
    assert limiter.acquire() == pytest.approx(2.04)  # the spread, with the margin
    assert limiter.acquire(paced=False) == 0  # the rest of a batch already paced
    assert limiter.acquire(urgent=True, waiter="webhook") == 0
    clock.now += 2.05
    assert limiter.acquire() == 0


def test_bulk_work_spends_the_minute_evenly_so_a_free_call_is_never_far():
    clock = Clock()
    limit = RateLimit(calls=60, period_seconds=60, spread_seconds=2)
    limiter = RateLimiter(key="even", limit=limit, clock=clock)
    made = []
    for _ in range(1200):  # a busy push asking every 0.1 s for two minutes
        if limiter.acquire() == 0:
            made.append(clock.now)
        clock.now += 0.1
    assert 110 <= len(made) <= 120  # the limit's worth, no less
    gaps = [b - a for a, b in zip(made, made[2:], strict=False)]
    assert min(gaps) >= 2.0  # never more than two calls in two seconds


def test_a_waiting_urgent_caller_gets_the_next_free_call_before_bulk_work():
    clock = Clock(0.0)
    limit = RateLimit(calls=3, period_seconds=60)
    limiter = RateLimiter(key="urgent", limit=limit, clock=clock)
    for at in (0.0, 10.0, 20.0):
        clock.now = at
        assert limiter.acquire() == 0
    assert limiter.acquire(urgent=True, waiter="payment") == pytest.approx(41.2)
    clock.now = 61.3  # the first call ages out: one call free
    assert limiter.acquire() > 0  # bulk work leaves it to the waiter
    assert limiter.acquire(urgent=True, waiter="payment") == 0
    clock.now = 71.3  # the second ages out; the waiter was served and is gone
    assert limiter.acquire() == 0


def test_a_waiter_that_never_comes_back_holds_nothing_for_long():
    clock = Clock(0.0)
    limit = RateLimit(calls=2, period_seconds=60)
    limiter = RateLimiter(key="lapse", limit=limit, clock=clock)
    assert limiter.acquire() == 0
    clock.now = 10.0
    assert limiter.acquire() == 0
    assert limiter.acquire(urgent=True, waiter="gone") == pytest.approx(51.2)
    clock.now = 61.3
    assert limiter.acquire() > 0  # held for the waiter, told to come back at 61.2
    clock.now = 66.3  # five seconds later it has not: its place lapses (WAITER_SECONDS)
    assert limiter.acquire() == 0


def test_of_two_slots_held_the_earlier_one_is_first_and_the_later_one_knows_it():
    """Two pushes meeting on a paced limit: exactly one goes on, never neither."""
    clock = Clock()
    limit = RateLimit(calls=60, period_seconds=60, concurrent=5, spread_seconds=2)
    first = RateLimiter(key="first", limit=limit, clock=clock)
    second = RateLimiter(key="first", limit=limit, clock=clock)
    assert first.held_first()  # holding nothing: nobody is ahead
    with first.concurrency_slot() as a:
        clock.now += 0.01
        with second.concurrency_slot() as b:
            assert a and b
            assert first.held_first()
            assert not second.held_first()
        assert first.held_first()
    with second.concurrency_slot():
        assert second.held_first()  # the first has let go
