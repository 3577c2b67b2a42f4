"""The emulated Twilio's clock: a message moves queued → sent → delivered (or undelivered,
at the Faults row's failure rate) a step at a time, each step's status callback stored and
sent through the core's webhook delivery."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from sandbox.core.faults import roll
from sandbox.models import Faults, TwilioSandboxMessage

from . import events
from .constants import KEY, STEP_SECONDS

NEXT = {"queued": "sent", "sent": "delivered"}
# Unreachable handset: what a failed delivery says.
FAILURE_CODE = "30003"


def schedule(sid: str, delay: float = STEP_SECONDS) -> None:
    """The message's next step, `delay` seconds from now, once the transaction commits."""
    transaction.on_commit(lambda: advance_task.apply_async((sid,), countdown=delay))


@shared_task(ignore_result=True)
def advance_task(sid: str) -> None:
    with transaction.atomic():
        message = TwilioSandboxMessage.objects.select_for_update().filter(sid=sid).first()
        if message is None or message.status not in NEXT:
            return
        status = NEXT[message.status]
        if status == "delivered" and roll(Faults.current(KEY).failure_rate):
            status, message.error_code = "undelivered", FAILURE_CODE
        message.status = status
        message.updated = timezone.now()
        message.save(update_fields=["status", "error_code", "updated"])
        events.queue_status(message)
        if status in NEXT:
            schedule(sid)
