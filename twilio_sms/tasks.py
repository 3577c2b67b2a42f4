"""Thin Celery tasks for SMS: load ids, call a service. Safe to repeat."""

from celery import shared_task

from integrations.errors import TransientError

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}
MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES, **RELIABLE)
def sms_deliver_task(self, message_id: int, status_callback: str) -> None:
    from .services import sms_deliver, sms_give_up

    try:
        sms_deliver(message_id=message_id, status_callback=status_callback)
    except TransientError as error:
        if self.request.retries >= MAX_RETRIES:
            sms_give_up(message_id=message_id)
            return
        raise self.retry(countdown=error.retry_after or 2 ** (self.request.retries + 1)) from error
