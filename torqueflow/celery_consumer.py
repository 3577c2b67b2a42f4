"""The worker's consumer, with one fix over Celery 5.7.0's.

When the broker connection is lost, 5.7.0 collects the connection and then also closes it.
The close fails half-way on a connection already collected (its transport is gone), which
either stops the worker at once ("Unrecoverable error: AttributeError") or leaves the old
channel without a way to the broker, so that acknowledging a task that finishes after the
reconnect stops it then. Here the lost connection is only collected, as Celery 5.6 did: the
consumer reconnects with a new one, and the old channel can still acknowledge.
"""

from __future__ import annotations

from celery.worker.consumer import Consumer as CeleryConsumer


def _collected_already() -> None:
    """In place of closing a connection that was lost and collected."""


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc: Exception) -> None:
        if self.connection is not None:
            self.connection.close = _collected_already
        super().on_connection_error_after_connected(exc)
