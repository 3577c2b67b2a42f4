"""Thin Celery tasks: load ids, call a service. Delivery is at least once (acks_late), and
every service they call is safe to run twice."""

from celery import shared_task

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**RELIABLE)
def push_connection_task(connection_id: int, later: bool = False) -> None:
    from integrations.services.backfill import backfill_settle
    from integrations.services.sync import sync_push_due

    sync_push_due(connection_id=connection_id, later=later)
    backfill_settle(connection_id=connection_id)


@shared_task(**RELIABLE)
def backfill_mark_task(backfill_id: int) -> None:
    from integrations.services.backfill import backfill_mark

    backfill_mark(backfill_id=backfill_id)


@shared_task(**RELIABLE)
def sweep_pending_task() -> None:
    """Whatever a lost or refused message left behind: pushes pending, webhooks unapplied,
    back-fills still queued."""
    from integrations.services.backfill import backfill_sweep
    from integrations.services.sync import sync_sweep
    from integrations.services.webhooks import webhook_sweep

    sync_sweep()
    webhook_sweep()
    backfill_sweep()


@shared_task(**RELIABLE)
def dispatch_webhooks_task() -> None:
    from integrations.services.webhooks import webhook_dispatch

    webhook_dispatch()


@shared_task(bind=True, max_retries=5, **RELIABLE)
def apply_webhook_task(self, event_id: int) -> None:
    from integrations.services.webhooks import (
        WebhookApplyDeferred,
        WebhookApplyFailed,
        webhook_apply,
    )

    try:
        webhook_apply(event_id=event_id)
    except WebhookApplyDeferred as deferred:
        # A new message, not a retry: waiting for a rate limit spends none of the retries.
        apply_webhook_task.apply_async((event_id,), countdown=deferred.seconds)
    except WebhookApplyFailed as error:
        raise self.retry(exc=error, countdown=min(600, 15 * 2**self.request.retries)) from error


@shared_task(**RELIABLE)
def refresh_expiring_tokens_task() -> None:
    from integrations.services.tokens import tokens_refresh_expiring

    tokens_refresh_expiring()
