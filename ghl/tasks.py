"""Thin Celery tasks for GoHighLevel's own work (pushes go through the hub's tasks)."""

from celery import shared_task

from integrations.tasks import RELIABLE


@shared_task(**RELIABLE)
def payment_link_run_task(run_id: int) -> None:
    from .link_runs import payment_link_run_continue

    payment_link_run_continue(run_id=run_id)


@shared_task(ignore_result=True)
def payment_link_runs_sweep_task() -> None:
    from .link_runs import payment_link_runs_sweep

    payment_link_runs_sweep()
