"""The push task's messages, coalesced: at most one waiting to start per connection, and one
scheduled for later.

Every change that needs a push asks for one (a finalise, a webhook, a retry), and during a
bulk push that is thousands of requests for the same connection. A push task pushes whatever
is due when it claims, and claims again and again while there is more, so one message
serves every request made before the push's next claim: `push_claiming` lets go of it just
before each claim, and a change committed after that asks for a new one. Requests for
later (a rate limit's wait, a retry's back-off) keep the earliest one scheduled. The keys
live in the shared cache and expire on their own, so a lost message holds nothing for long,
and the sweeper re-sends what is left pending.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

WAITING_KEY = "push:waiting:{}"
LATER_KEY = "push:later:{}"
# How long a message may wait in the broker before another is sent regardless.
WAITING_HOLD_SECONDS = 60
# A later push due this close after one already scheduled is served by that one.
LATER_SLACK_SECONDS = 1.0


def send_push(connection_id: int, *, countdown: float = 0) -> None:
    """Send a push message unless one already covers it. Raises what the broker raises."""
    from integrations.tasks import push_connection_task

    if countdown <= 0:
        if not _hold(WAITING_KEY.format(connection_id), WAITING_HOLD_SECONDS):
            return
        try:
            push_connection_task.apply_async((connection_id,))
        except Exception:
            _forget(WAITING_KEY.format(connection_id))
            raise
        return
    due = time.time() + countdown
    key = LATER_KEY.format(connection_id)
    if not _schedule_later(key, due, countdown):
        return
    try:
        push_connection_task.apply_async((connection_id,), {"later": True}, countdown=countdown)
    except Exception:
        _forget(key)
        raise


def push_started(connection_id: int, *, later: bool = False) -> None:
    """A push task starts: the message scheduled for later is spent."""
    if later:
        _forget(LATER_KEY.format(connection_id))


def push_claiming(connection_id: int) -> None:
    """A push is about to claim what is due: changes from now on need a message of their own
    (or the same push's next claim, which lets go again)."""
    _forget(WAITING_KEY.format(connection_id))


def push_hold(connection_id: int, seconds: float) -> None:
    """A push is scheduled within `seconds` for whatever is due then: changes meanwhile need
    no message of their own (the push in flight or that one takes them)."""
    try:
        cache.set(WAITING_KEY.format(connection_id), 1, timeout=max(1, round(seconds)))
    except Exception:
        logger.warning("Push messages are not coalesced: the cache did not answer", exc_info=True)


def push_lost(connection_id: int) -> None:
    """The sweeper found records left pending: whatever message the key says is waiting was
    lost (a worker killed while holding it, a broker restarted), so the key must not stop
    the sweeper's own message."""
    _forget(WAITING_KEY.format(connection_id))


def _hold(key: str, seconds: float) -> bool:
    try:
        return bool(cache.add(key, 1, timeout=seconds))
    except Exception:
        logger.warning("Push messages are not coalesced: the cache did not answer", exc_info=True)
        return True


def _schedule_later(key: str, due: float, countdown: float) -> bool:
    """Whether a message for `due` is needed: none scheduled, or only a later one. Two
    workers racing here at worst send one message too many, which pushes nothing twice."""
    try:
        scheduled = cache.get(key)
        if scheduled is not None and scheduled <= due + LATER_SLACK_SECONDS:
            return False
        cache.set(key, due, timeout=countdown + WAITING_HOLD_SECONDS)
    except Exception:
        logger.warning("Push messages are not coalesced: the cache did not answer", exc_info=True)
    return True


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("Could not release the push message key %s", key, exc_info=True)
