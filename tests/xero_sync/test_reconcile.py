"""The nightly reconciler: Xero's changes of the last 7 days (If-Modified-Since, paging)
applied through the same code as the webhooks; re-pushes; a summary; idempotent; its cost;
the beat entry at 02:00 local time; the management command."""

import datetime
import uuid
from decimal import Decimal
from io import StringIO

import httpx
import pytest
import time_machine
from celery.schedules import crontab
from django.core.management import CommandError, call_command
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import Connection, SyncActivity, SyncRecord
from invoicing.models import AuditLog, Invoice, Payment
from invoicing.services.invoices import invoice_update
from tests.factories import OrganisationFactory, invoice_data
from xero_sync.client import invoice_state_from_element
from xero_sync.inbound import apply_invoice_state
from xero_sync.reconcile import reconcile_connection, reconcile_due

from .conftest import (
    API_URL,
    INVOICE_ID,
    PAYMENT_30,
    PAYMENT_50,
    PAYMENT_ID,
    TENANT_ID,
    UPDATED_MS,
    page_of,
    record_of,
    synced,
    xero_answer,
    xero_element,
    xero_invoice,
)

pytestmark = pytest.mark.django_db

INVOICES = f"{API_URL}/Invoices"
PAYMENTS = f"{API_URL}/Payments"
NOW = datetime.datetime(2026, 10, 27, 2, 0, tzinfo=datetime.UTC)


def empty(key):
    return page_of(key, [], page_count=0)


def changed_invoices(xero_api, *elements, pages=None):
    """GET /Invoices?page=N: the elements on page 1 (or the given pages)."""
    pages = pages or [list(elements)]
    routes = []
    for number, items in enumerate(pages, start=1):
        routes.append(
            xero_api.get(INVOICES, params={"page": str(number)}).respond(
                json=page_of("Invoices", items, page=number, page_count=len(pages))
            )
        )
    return routes


def changed_payments(xero_api, *elements):
    return xero_api.get(PAYMENTS, params={"page": "1"}).respond(
        json=page_of("Payments", list(elements))
    )


def summary_line(connection) -> SyncActivity:
    return SyncActivity.objects.filter(connection=connection, action="reconcile").latest("pk")


@pytest.fixture
def invoice_100(org, nominal, connection):
    invoice = xero_invoice(org, nominal, lines=((1, "100.00", "0"),))
    synced(connection, invoice)
    return invoice


# --- a dropped event repaired ---------------------------------------------------------------


def test_a_dropped_webhook_is_repaired_by_the_reconciler(invoice_100, connection, xero_api):
    """The INVOICE UPDATE of the second payment never arrived."""
    apply_invoice_state(
        connection, invoice_state_from_element(xero_element("invoice_part_paid_50.json"))
    )
    invoices = changed_invoices(
        xero_api,
        xero_element("invoice_part_paid_50_then_30.json", updated_ms=UPDATED_MS + 60_000),
    )[0]
    payments = changed_payments(xero_api)

    summary = reconcile_connection(connection, now=NOW)

    invoice_100.refresh_from_db()
    assert invoice_100.amount_paid == Decimal("80.00")
    assert invoice_100.status == Invoice.Status.PART_PAID
    assert Payment.objects.get(external_id=PAYMENT_30).method.name == "Xero Sync"
    assert (summary.checked, summary.fixed, summary.errors) == (1, 1, 0)
    line = summary_line(connection)
    assert line.message == "Reconciled: checked 1, fixed 1, errors 0"
    assert line.result == "ok"
    # Incremental: If-Modified-Since 7 days back, as the spec writes it, page by page.
    for route in (invoices, payments):
        request = route.calls.last.request
        assert request.headers["If-Modified-Since"] == "2026-10-20T02:00:00+00:00"
        assert request.headers["xero-tenant-id"] == TENANT_ID
        assert request.url.params["page"] == "1"


def test_running_it_twice_changes_nothing_the_second_time(org, nominal, connection, xero_api):
    paid = xero_invoice(org, nominal)
    synced(connection, paid, INVOICE_ID)
    voided_id = str(uuid.uuid4())
    voided = xero_invoice(org, nominal)
    synced(connection, voided, voided_id)
    deleted_id = str(uuid.uuid4())
    deleted_from = xero_invoice(org, nominal, lines=((1, "100.00", "0"),))
    synced(connection, deleted_from, deleted_id)
    changed_invoices(
        xero_api,
        xero_element("invoice_paid_in_full.json"),
        xero_element("invoice_voided.json", invoice_id=voided_id),
        xero_element("invoice_part_paid_50.json", invoice_id=deleted_id),
    )
    changed_payments(
        xero_api,
        xero_element("payment_deleted.json", payment_id=PAYMENT_30, invoice_id=deleted_id),
    )

    first = reconcile_connection(connection, now=NOW)
    state_after_first = (
        list(Invoice.objects.order_by("pk").values_list("status", "amount_paid", "version")),
        list(Payment.objects.order_by("pk").values_list("external_id", "deleted_at")),
        AuditLog.objects.count(),
        list(SyncRecord.objects.order_by("pk").values_list("state", "details")),
    )
    second = reconcile_connection(connection, now=NOW)

    # paid (1 payment), voided (1), deleted with no row (1 note), the 50 recorded (1)
    assert (first.checked, first.fixed, first.errors) == (3, 4, 0)
    assert (second.checked, second.fixed, second.errors) == (3, 0, 0)
    assert state_after_first == (
        list(Invoice.objects.order_by("pk").values_list("status", "amount_paid", "version")),
        list(Payment.objects.order_by("pk").values_list("external_id", "deleted_at")),
        AuditLog.objects.count(),
        list(SyncRecord.objects.order_by("pk").values_list("state", "details")),
    )
    paid.refresh_from_db()
    voided.refresh_from_db()
    deleted_from.refresh_from_db()
    assert paid.status == Invoice.Status.PAID
    assert voided.status == Invoice.Status.VOID
    assert deleted_from.amount_paid == Decimal("50.00")
    assert record_of(connection, deleted_from).badge_note == ("Payment delete - no match")
    assert summary_line(connection).message == "Reconciled: checked 3, fixed 0, errors 0"


def test_a_second_run_with_nothing_new_skips_what_was_applied(org, nominal, connection, xero_api):
    """Xero lists the same changes again (its window is 7 days): each invoice's copy is no
    newer than the one applied and its deleted payment is deleted here already, so nothing is
    applied again, and the run costs a few queries, however many changes it lists."""
    elements, deletions = [], []
    for n in range(12):
        invoice = xero_invoice(org, nominal)
        invoice_id = synced(connection, invoice, str(uuid.uuid4())).external_id
        if n % 3:
            elements.append(xero_element("invoice_paid_in_full.json", invoice_id=invoice_id))
        else:
            elements.append(xero_element("invoice_part_paid_50.json", invoice_id=invoice_id))
            deletions.append(
                xero_element("payment_deleted.json", payment_id=uuid.uuid4(), invoice_id=invoice_id)
            )
    changed_invoices(xero_api, *elements)
    changed_payments(xero_api, *deletions)
    first = reconcile_connection(connection, now=NOW)
    assert (first.checked, first.unchanged, first.errors) == (12, 0, 0)

    with CaptureQueriesContext(db_connection) as queries:
        second = reconcile_connection(connection, now=NOW)

    assert (second.checked, second.unchanged, second.fixed, second.errors) == (12, 12, 0, 0)
    assert len(queries) <= 20, "\n".join(q["sql"] for q in queries)


def test_deleted_payments_listed_by_xero_soft_delete_ours(invoice_100, connection, xero_api):
    """Only /Payments shows the deletion (the invoice itself was not listed as changed):
    the reconciler reads that invoice, by id, and applies it."""
    apply_invoice_state(
        connection,
        invoice_state_from_element(xero_element("invoice_part_paid_50_then_30.json")),
    )
    # Registered first: the read by IDs is a page of the list too (page=1).
    by_ids = xero_api.get(INVOICES, params={"IDs": INVOICE_ID}).respond(
        json=xero_answer("invoice_part_paid_50.json", updated_ms=UPDATED_MS + 1)
    )
    changed_invoices(xero_api)
    changed_payments(
        xero_api,
        xero_element("payment_deleted.json", payment_id=PAYMENT_30, updated_ms=UPDATED_MS + 1),
    )

    summary = reconcile_connection(connection, now=NOW)

    assert by_ids.call_count == 1
    invoice_100.refresh_from_db()
    assert invoice_100.amount_paid == Decimal("50.00")
    assert Payment.objects.get(external_id=PAYMENT_30).deleted_reason == "Deleted in Xero"
    assert not Payment.objects.get(external_id=PAYMENT_50).is_deleted
    assert (summary.checked, summary.fixed) == (1, 1)


def test_invoices_not_from_torqueflow_are_skipped(invoice_100, connection, xero_api):
    changed_invoices(
        xero_api,
        xero_element("invoice_paid_in_full.json", invoice_id=str(uuid.uuid4())),
    )
    changed_payments(xero_api)

    summary = reconcile_connection(connection, now=NOW)

    assert (summary.checked, summary.fixed, summary.errors) == (0, 0, 0)
    assert not Payment.objects.exists()


# --- paging and cost ------------------------------------------------------------------------


def test_pages_until_the_last_page(org, nominal, connection, xero_api):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    invoices = []
    for invoice_id in ids:
        invoice = xero_invoice(org, nominal)
        synced(connection, invoice, invoice_id)
        invoices.append(invoice)
    pages = changed_invoices(
        xero_api,
        pages=[
            [xero_element("invoice_paid_in_full.json", invoice_id=ids[0], payment_id=uuid.uuid4())],
            [xero_element("invoice_paid_in_full.json", invoice_id=ids[1], payment_id=uuid.uuid4())],
            [xero_element("invoice_paid_in_full.json", invoice_id=ids[2], payment_id=uuid.uuid4())],
        ],
    )
    changed_payments(xero_api)

    summary = reconcile_connection(connection, now=NOW)

    assert [route.call_count for route in pages] == [1, 1, 1]
    assert summary.fixed == 3
    statuses = Invoice.objects.filter(pk__in=[i.pk for i in invoices]).values_list("status")
    assert set(statuses) == {(Invoice.Status.PAID,)}


def test_a_short_page_ends_paging_without_a_page_count(org, nominal, connection, xero_api):
    """Without pagination in the answer, fewer than 100 items is the last page."""
    answer = page_of("Invoices", [])
    del answer["pagination"]
    first = xero_api.get(INVOICES, params={"page": "1"}).respond(json=answer)
    second = xero_api.get(INVOICES, params={"page": "2"}).respond(json=answer)
    changed_payments(xero_api)

    reconcile_connection(connection, now=NOW)

    assert (first.call_count, second.call_count) == (1, 0)


def test_cost_follows_the_changes_not_the_invoices(org, nominal, connection, xero_api):
    """50 of our invoices, 2 changed in Xero: one page of invoices and one of payments."""
    ours = []
    for _ in range(50):
        invoice = xero_invoice(org, nominal)
        ours.append((invoice, synced(connection, invoice, str(uuid.uuid4())).external_id))
    changed = [
        xero_element("invoice_paid_in_full.json", invoice_id=ours[7][1], payment_id=uuid.uuid4()),
        xero_element("invoice_voided.json", invoice_id=ours[31][1]),
        xero_element("invoice_paid_in_full.json", invoice_id=str(uuid.uuid4())),  # not ours
    ]
    changed_invoices(xero_api, *changed)
    changed_payments(xero_api)

    summary = reconcile_connection(connection, now=NOW)

    assert len(xero_api.calls) == 2  # GET /Invoices?page=1, GET /Payments?page=1
    assert (summary.checked, summary.fixed, summary.errors) == (2, 2, 0)
    assert summary_line(connection).details["calls"] == 2
    ours[7][0].refresh_from_db()
    ours[31][0].refresh_from_db()
    assert ours[7][0].status == Invoice.Status.PAID
    assert ours[31][0].status == Invoice.Status.VOID

    # Twice the changes on two pages: the calls follow the pages, still not the 50.
    xero_api.routes.clear()
    xero_api.reset()
    changed_invoices(xero_api, pages=[changed[:2], changed[2:]])
    changed_payments(xero_api)
    reconcile_connection(connection, now=NOW)
    assert len(xero_api.calls) == 3


def test_the_first_run_costs_a_few_queries_per_change(org, nominal, connection, xero_api):
    """Invoices that only gained payments in Xero are applied a page at a time: the queries
    follow the changes with a small constant, and each is applied as a webhook would."""

    def paid_in_xero(count: int) -> list:
        elements = []
        for _ in range(count):
            invoice = xero_invoice(org, nominal)
            xero_id = str(uuid.uuid4())
            synced(connection, invoice, xero_id)
            elements.append(
                xero_element(
                    "invoice_part_paid_50.json",
                    invoice_id=xero_id,
                    payment_50=str(uuid.uuid4()),
                    updated_ms=UPDATED_MS + 1,
                )
            )
        return elements

    def queries_to_reconcile(elements) -> int:
        xero_api.routes.clear()
        xero_api.reset()
        changed_invoices(xero_api, *elements)
        changed_payments(xero_api)
        with CaptureQueriesContext(db_connection) as queries:
            summary = reconcile_connection(connection, now=NOW)
        assert (summary.checked, summary.fixed, summary.errors) == (len(elements), len(elements), 0)
        return len(queries)

    few, many = queries_to_reconcile(paid_in_xero(5)), queries_to_reconcile(paid_in_xero(45))
    per_change = (many - few) / 40
    assert per_change <= 5, (few, many)
    assert few <= 5 * 5 + 40, (few, many)

    recorded = Payment.objects.filter(organisation=org, source="xero", deleted_at__isnull=True)
    assert recorded.count() == 50
    assert set(recorded.values_list("amount", flat=True)) == {Decimal("50.00")}
    part_paid = Invoice.objects.filter(organisation=org, status=Invoice.Status.PART_PAID)
    assert part_paid.count() == 50
    assert AuditLog.objects.filter(action="payment.recorded").count() == 50
    lines = SyncActivity.objects.filter(action="payment", result="ok")
    assert lines.count() == 50
    assert lines.first().message == "Payment of £50.00 recorded from Xero"
    # And a second run finds it all applied.
    assert queries_to_reconcile([]) <= 20


# --- re-push and errors ---------------------------------------------------------------------


def test_an_invoice_edited_in_xero_is_pushed_again(org, nominal, connection, xero_api):
    invoice = xero_invoice(org, nominal)
    synced(connection, invoice)
    edited = xero_element("invoice_authorised_unpaid.json")
    edited["Total"] = 150.00  # someone changed a line in Xero
    changed_invoices(xero_api, edited)
    changed_payments(xero_api)

    summary = reconcile_connection(connection, now=NOW)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.PENDING
    assert record.force is True
    assert AuditLog.objects.filter(action="xero.sync_now", actor=None).count() == 1
    assert summary.fixed == 1
    # The push is queued: the second run finds nothing more to do.
    assert reconcile_connection(connection, now=NOW).fixed == 0


def test_a_local_edit_not_yet_in_xero_is_pushed_again(org, nominal, connection, xero_api):
    invoice = xero_invoice(org, nominal)
    synced(connection, invoice)
    data = invoice_data(org, customer=invoice.customer, lines=((2, "100.00", "20", nominal),))
    invoice_update(invoice=invoice, actor=None, data=data)  # its push was lost
    SyncRecord.objects.filter(pk=record_of(connection, invoice).pk).update(
        state=SyncRecord.State.SYNCED
    )
    changed_invoices(xero_api, xero_element("invoice_authorised_unpaid.json"))
    changed_payments(xero_api)

    assert reconcile_connection(connection, now=NOW).fixed == 1
    assert record_of(connection, invoice).state == SyncRecord.State.PENDING


def test_agreeing_invoices_are_not_pushed(invoice_100, connection, xero_api):
    element = xero_element("invoice_authorised_unpaid.json")
    element["Total"] = 100.00
    changed_invoices(xero_api, element)
    changed_payments(xero_api)

    assert reconcile_connection(connection, now=NOW).fixed == 0
    assert record_of(connection, invoice_100).state == SyncRecord.State.SYNCED


def test_a_failure_is_counted_and_reported(invoice_100, connection, xero_api):
    xero_api.get(INVOICES, params={"page": "1"}).mock(
        return_value=httpx.Response(503, text="Service Unavailable")
    )
    changed_payments(xero_api)

    summary = reconcile_connection(connection, now=NOW)

    assert summary.errors == 1
    line = summary_line(connection)
    assert line.result == "failed"
    assert line.message.startswith("Reconciled: checked 0, fixed 0, errors 1")
    assert "xero-access" not in line.message


# --- when it runs ---------------------------------------------------------------------------


def test_the_beat_schedule_entry_exists_at_02_00():
    """Declared by the provider and added to beat's schedule when the Celery app is ready."""
    from torqueflow.celery import app

    app.finalize()
    (entry,) = [
        e
        for e in app.conf.beat_schedule.values()
        if e["task"] == "xero_sync.tasks.reconcile_due_task"
    ]
    # Hourly at minute 0; the task itself picks the organisations whose local time is 02:xx.
    assert entry["schedule"] == crontab(minute=0)
    assert entry["schedule"].hour == set(range(24))

    from xero_sync.tasks import reconcile_due_task

    assert reconcile_due_task.name == entry["task"]


@pytest.mark.parametrize(
    ("utc", "due"),
    [
        ("2026-01-15T02:00:00", True),  # GMT: 02:00 local
        ("2026-01-15T02:59:00", True),
        ("2026-01-15T01:59:00", False),
        ("2026-01-15T03:00:00", False),
        ("2026-07-15T01:30:00", True),  # BST: 02:30 local
        ("2026-07-15T02:30:00", False),  # BST: 03:30 local
        ("2026-03-29T01:00:00", True),  # the night the clocks go forward: 02:00 BST
        ("2026-10-25T02:15:00", True),  # the night they go back: 02:15 GMT
    ],
)
def test_reconcile_due_at_02_local_time_in_london(connection, utc, due):
    assert connection.organisation.timezone == "Europe/London"
    with time_machine.travel(datetime.datetime.fromisoformat(utc).replace(tzinfo=datetime.UTC)):
        assert reconcile_due() == ([connection.pk] if due else [])


def test_reconcile_due_once_a_local_day_and_per_time_zone(connection, other_org):
    sydney = OrganisationFactory(name="Sydney Motors", timezone="Australia/Sydney")
    far = Connection.objects.create(
        organisation=sydney,
        provider="xero",
        state=Connection.State.ACTIVE,
        remote_account_id="a-sydney-tenant",
    )
    Connection.objects.create(
        organisation=other_org,
        provider="xero",
        state=Connection.State.REQUIRES_REAUTH,
        remote_account_id="a-revoked-tenant",
    )
    with time_machine.travel(datetime.datetime(2026, 1, 15, 2, 5, tzinfo=datetime.UTC)):
        assert reconcile_due() == [connection.pk]
        assert reconcile_due() == []  # the same local night: not again
    connection.refresh_from_db()
    assert connection.settings["reconciled_on"] == "2026-01-15"
    # 02:10 in Sydney (AEDT, UTC+11) is 15:10 UTC the day before.
    with time_machine.travel(datetime.datetime(2026, 1, 14, 15, 10, tzinfo=datetime.UTC)):
        assert reconcile_due() == [far.pk]
    with time_machine.travel(datetime.datetime(2026, 1, 16, 2, 5, tzinfo=datetime.UTC)):
        assert reconcile_due() == [connection.pk]  # the next night


def test_the_due_task_queues_one_reconcile_per_connection(connection, monkeypatch):
    from xero_sync import tasks

    queued = []
    monkeypatch.setattr(tasks.reconcile_connection_task, "delay", queued.append)
    with time_machine.travel(datetime.datetime(2026, 1, 15, 2, 0, tzinfo=datetime.UTC)):
        tasks.reconcile_due_task()
    assert queued == [connection.pk]


def test_the_connection_task_reconciles(connection, xero_api):
    from xero_sync.tasks import reconcile_connection_task

    changed_invoices(xero_api)
    changed_payments(xero_api)
    reconcile_connection_task(connection.pk)
    assert summary_line(connection).message == "Reconciled: checked 0, fixed 0, errors 0"


# --- on demand ------------------------------------------------------------------------------


def test_management_command_for_one_organisation(invoice_100, connection, xero_api):
    changed_invoices(xero_api, xero_element("invoice_part_paid_50.json"))
    changed_payments(xero_api)
    out = StringIO()

    call_command("reconcile_xero", "--organisation", str(connection.organisation_id), stdout=out)

    assert "Reconciled: checked 1, fixed 1, errors 0" in out.getvalue()
    assert "Alpha Heating Ltd" in out.getvalue()


def test_management_command_for_all(connection, xero_api):
    changed_invoices(xero_api)
    changed_payments(xero_api)
    out = StringIO()
    call_command("reconcile_xero", "--all", stdout=out)
    assert "Reconciled: checked 0, fixed 0, errors 0" in out.getvalue()


def test_management_command_refuses_an_organisation_without_xero(other_org):
    with pytest.raises(CommandError):
        call_command("reconcile_xero", "--organisation", str(other_org.pk))
    with pytest.raises(CommandError):
        call_command("reconcile_xero")


def test_payment_id_constant_is_distinct():
    assert len({PAYMENT_ID, PAYMENT_30, PAYMENT_50}) == 3
    assert timezone.is_aware(NOW)
