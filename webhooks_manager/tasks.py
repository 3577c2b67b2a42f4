"""Thin Celery tasks: load ids, call a service."""

from celery import shared_task

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**RELIABLE)
def deliver_endpoint_task(endpoint_id: int) -> None:
    from .services.delivery import endpoint_deliver

    endpoint_deliver(endpoint_id=endpoint_id)


@shared_task(**RELIABLE)
def sweep_deliveries_task() -> None:
    """Retries that came due, and messages whose task was lost."""
    from .services.delivery import sweep

    sweep()
