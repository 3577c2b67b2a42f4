"""Payment links for several invoices at once: the invoice list's "Send payment link". One
GoHighLevel call per invoice is too slow for a request, so a run is recorded and a task sends
the links one at a time, by email where the customer has an address and by SMS otherwise;
the run's page shows how far it has got and what happened to each invoice."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.errors import IntegrationError, RateLimited
from integrations.models import Connection
from invoicing.models import Invoice

from . import mapping, services
from .models import PaymentLinkRun

MAX_INVOICES = services.MAX_BULK
# Links a task sends before handing the rest to another task (a worker is not held for long).
PER_TASK = 20
# A running run that has not moved for this long lost its task: the sweeper sends another.
STALLED_AFTER = datetime.timedelta(minutes=2)
NO_ADDRESS = "The customer has no email address or phone number."


def payment_link_run_start(
    *, connection: Connection, invoices: Sequence[Invoice], actor: AbstractBaseUser | None
) -> PaymentLinkRun:
    """Record a run for these invoices (at most MAX_INVOICES) and send its task on commit."""
    run = PaymentLinkRun.objects.create(
        organisation_id=connection.organisation_id,
        connection=connection,
        invoice_ids=[invoice.pk for invoice in invoices][:MAX_INVOICES],
        created_by=actor,
    )
    _enqueue(run.pk)
    return run


def _enqueue(run_id: int, countdown: float = 0) -> None:
    from .tasks import payment_link_run_task

    transaction.on_commit(
        lambda: payment_link_run_task.apply_async((run_id,), countdown=countdown or None)
    )


def payment_link_run_continue(*, run_id: int, limit: int = PER_TASK) -> int:
    """Send the next links of a running run, each committed with its outcome; another task
    carries on when some are left. Returns how many were tried."""
    tried = 0
    while tried < limit:
        with transaction.atomic():
            run = (
                # The run's row only: the connection's stays free for pushes and webhooks.
                PaymentLinkRun.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=run_id, state=PaymentLinkRun.State.RUNNING)
                .select_related("connection")
                .first()
            )
            if run is None:
                return tried  # finished, or another task holds it
            if run.position >= run.total:
                _finish(run)
                return tried
            try:
                _send_next(run)
            except RateLimited as error:
                _enqueue(run.pk, countdown=error.retry_after or 60.0)
                return tried
            tried += 1
    _enqueue(run_id)
    return tried


def _send_next(run: PaymentLinkRun) -> None:
    invoice_id = run.invoice_ids[run.position]
    invoice = (
        Invoice.objects.filter(organisation_id=run.organisation_id, pk=invoice_id)
        .select_related("customer", "organisation")
        .first()
    )
    outcome = {"invoice": invoice_id, "number": invoice.number if invoice else "", "sent": False}
    if invoice is None:
        outcome["text"] = "The invoice no longer exists."
    else:
        channel = _channel(invoice)
        try:
            if not channel:
                raise ValidationError(NO_ADDRESS)
            services.payment_link_send(
                connection=run.connection, invoice=invoice, channel=channel, actor=run.created_by
            )
        except RateLimited:
            raise
        except ValidationError as error:
            outcome["text"] = " ".join(error.messages)
        except IntegrationError as error:
            outcome["text"] = str(error) or "GoHighLevel did not send it."
        else:
            outcome.update(sent=True, text=f"Sent by {mapping.CHANNEL_LABELS[channel]}")
            run.sent += 1
    run.outcomes = [*run.outcomes, outcome]
    run.position += 1
    run.progressed_at = timezone.now()
    if run.position >= run.total:
        run.state = PaymentLinkRun.State.DONE
        run.finished_at = run.progressed_at
    run.save(
        update_fields=["outcomes", "position", "sent", "progressed_at", "state", "finished_at"]
    )


def _channel(invoice: Invoice) -> str:
    customer = invoice.customer
    if customer is not None and customer.email:
        return "email"
    if customer is not None and customer.phone:
        return "sms"
    return ""


def _finish(run: PaymentLinkRun) -> None:
    run.state = PaymentLinkRun.State.DONE
    run.finished_at = run.finished_at or timezone.now()
    run.save(update_fields=["state", "finished_at"])


def payment_link_runs_sweep() -> int:
    """Send a task again for runs whose task was lost (a worker stopped, a broker restarted)."""
    stalled = PaymentLinkRun.objects.filter(
        state=PaymentLinkRun.State.RUNNING, progressed_at__lt=timezone.now() - STALLED_AFTER
    ).values_list("pk", flat=True)
    ids = list(stalled)
    for run_id in ids:
        _enqueue(run_id)
    return len(ids)
