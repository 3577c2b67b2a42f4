"""Thin Celery tasks for the Xero reconciler: load ids, call a service. Delivery is at least
once (acks_late), and a reconcile run is safe to repeat."""

from celery import shared_task

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**RELIABLE)
def reconcile_due_task() -> None:
    """Hourly (beat, minute 0): start the reconciler of every Xero connection whose
    organisation's local time is 02:xx and that has not run on that local date."""
    from .reconcile import reconcile_due

    for connection_id in reconcile_due():
        reconcile_connection_task.delay(connection_id)


@shared_task(**RELIABLE)
def reconcile_connection_task(connection_id: int) -> None:
    from integrations.models import Connection

    from .reconcile import reconcile_connection

    connection = Connection.objects.filter(
        pk=connection_id, provider="xero", state=Connection.State.ACTIVE
    ).first()
    if connection is not None:
        reconcile_connection(connection)
