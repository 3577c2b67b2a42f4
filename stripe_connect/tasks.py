"""Thin Celery tasks for Stripe: load ids, call a service. Safe to repeat."""

from celery import shared_task

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**RELIABLE)
def reconcile_all_task() -> None:
    """Nightly (beat): check each active Stripe connection for payments a webhook missed."""
    from .selectors import active_connection_ids

    for connection_id in active_connection_ids():
        reconcile_connection_task.delay(connection_id)


@shared_task(**RELIABLE)
def reconcile_connection_task(connection_id: int) -> None:
    from .reconcile import reconcile_connection
    from .selectors import active_connection_by_id

    connection = active_connection_by_id(connection_id)
    if connection is not None:
        reconcile_connection(connection)
