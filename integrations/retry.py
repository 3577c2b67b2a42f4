"""The retry policy, in one place: transient failures back off with jitter and stay Pending;
the third failed attempt, or any permanent failure, turns the record red."""

import random
from dataclasses import dataclass

MAX_ATTEMPTS = 3
BASE_DELAY_SECONDS = 30.0
MAX_DELAY_SECONDS = 15 * 60.0


@dataclass(frozen=True)
class RetryDecision:
    give_up: bool
    delay_seconds: float = 0.0


def next_retry(
    *, attempts: int, retry_after: float | None = None, rng: random.Random | None = None
) -> RetryDecision:
    """After `attempts` failed attempts (counting the one that just failed): retry when?

    Exponential backoff with jitter, never sooner than the provider's Retry-After.
    """
    if attempts >= MAX_ATTEMPTS:
        return RetryDecision(give_up=True)
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempts - 1))
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after:
        delay = max(delay, retry_after)
    return RetryDecision(give_up=False, delay_seconds=delay)
