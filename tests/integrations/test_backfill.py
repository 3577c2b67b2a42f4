"""Sending the invoices finalised before a connection was made (the back-fill): who is
counted, the date range, one at a time, marking in bulk, the figures at the end, and the
provider's page that offers it."""

import datetime
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import OWNER
from integrations.models import Backfill, Connection, SyncRecord
from integrations.services import backfill as backfill_service
from integrations.services.backfill import (
    backfill_count,
    backfill_mark,
    backfill_progress,
    backfill_settle,
    backfill_start,
    backfill_sweep,
    duration_text,
)
from integrations.services.sync import sync_now
from invoicing.models import Invoice
from invoicing.services.invoices import invoice_void
from tests.conftest import client_for, make_member
from tests.factories import make_invoice
from tests.helpers import messages_of, visible_text

pytestmark = pytest.mark.django_db

EARLY = datetime.date(2025, 1, 15)
MIDDLE = datetime.date(2025, 3, 10)
LATE = datetime.date(2025, 6, 30)


def connect(org, provider="xero", **settings) -> Connection:
    """An active connection made now: every invoice finalised so far is an earlier one."""
    return Connection.objects.create(
        organisation=org,
        provider=provider,
        state=Connection.State.ACTIVE,
        remote_account_id="tenant-1",
        remote_account_name="Alpha (Xero)",
        access_token="access",
        refresh_token="refresh",
        connected_at=timezone.now(),
        settings=settings,
    )


def earlier(org, count=1, **kwargs) -> list[Invoice]:
    return [make_invoice(org, finalise=True, **kwargs) for _ in range(count)]


def records(connection) -> list[SyncRecord]:
    return list(SyncRecord.objects.filter(connection=connection).order_by("object_id"))


def page_url(provider="xero") -> str:
    return reverse("integrations:provider", args=[provider])


def started(connection, owner, **dates) -> Backfill:
    backfill = backfill_start(connection=connection, actor=owner, **dates)
    backfill_mark(backfill_id=backfill.pk)
    backfill.refresh_from_db()
    return backfill


def answer(backfill, *, synced=(), failed=()):
    """The pushes came back: these invoices synced, those failed."""
    now = timezone.now()
    SyncRecord.objects.filter(backfill=backfill, object_id__in=[i.pk for i in synced]).update(
        state=SyncRecord.State.SYNCED, last_synced_at=now, last_attempt_at=now, external_id="x"
    )
    SyncRecord.objects.filter(backfill=backfill, object_id__in=[i.pk for i in failed]).update(
        state=SyncRecord.State.FAILED, last_attempt_at=now, reason_text="Unmapped nominal code"
    )


# --- who is counted ----------------------------------------------------------------------


def test_counts_finalised_earlier_invoices_not_drafts_voids_or_later_ones(org, other_org):
    sales = earlier(org, 2)
    bills = earlier(org, 1, kind=Invoice.Kind.PURCHASE)
    make_invoice(org)  # a draft
    invoice_void(invoice=earlier(org)[0], actor=None, reason="Raised in error")
    earlier(other_org, 3)  # another organisation's
    connection = connect(org)
    make_invoice(org, finalise=True)  # finalised since: sent automatically, not earlier

    assert backfill_count(connection=connection) == len(sales) + len(bills) == 3


def test_the_sales_and_purchase_toggles_say_which_kinds_are_counted(org):
    earlier(org, 2)
    earlier(org, 1, kind=Invoice.Kind.PURCHASE)

    assert backfill_count(connection=connect(org, sync_purchases=False)) == 2
    Connection.objects.all().delete()
    assert backfill_count(connection=connect(org, sync_sales=False)) == 1
    Connection.objects.all().delete()
    # The back-fill is asked for by hand, like Sync now: the master switch does not stop it.
    assert backfill_count(connection=connect(org, auto_sync=False)) == 3


def test_gohighlevel_counts_only_sales_invoices_with_something_left_to_pay(org):
    from tests.factories import make_payment

    unpaid = earlier(org, 2)
    make_payment(earlier(org)[0], "120.00")  # paid in full
    earlier(org, 1, kind=Invoice.Kind.PURCHASE)

    assert backfill_count(connection=connect(org, provider="ghl")) == len(unpaid)


def test_the_date_range_is_on_the_invoice_date_both_ends_included(org):
    for day in (EARLY, MIDDLE, LATE):
        earlier(org, issue_date=day)
    connection = connect(org)

    assert backfill_count(connection=connection, date_from=MIDDLE) == 2
    assert backfill_count(connection=connection, date_to=MIDDLE) == 2
    assert backfill_count(connection=connection, date_from=MIDDLE, date_to=MIDDLE) == 1
    assert backfill_count(connection=connection, date_from=EARLY, date_to=LATE) == 3


def test_an_invoice_with_a_record_is_not_counted(org, owner):
    first, _second = earlier(org, 2)
    connection = connect(org)
    sync_now(connection=connection, obj=first, actor=owner)

    assert backfill_count(connection=connection) == 1


# --- starting, marking -------------------------------------------------------------------


def test_starting_marks_them_pending_for_this_connection_only_and_pushes_on_commit(
    org, owner, django_capture_on_commit_callbacks
):
    invoices = earlier(org, 3, issue_date=MIDDLE)
    earlier(org, 1, issue_date=EARLY)
    connection = connect(org)
    with (
        mock.patch("integrations.tasks.backfill_mark_task.delay") as mark,
        django_capture_on_commit_callbacks(execute=True),
    ):
        backfill = backfill_start(connection=connection, actor=owner, date_from=MIDDLE)
    mark.assert_called_once_with(backfill.pk)
    assert (backfill.total, backfill.state) == (3, Backfill.State.QUEUED)

    with (
        mock.patch("integrations.tasks.push_connection_task.apply_async") as push,
        django_capture_on_commit_callbacks(execute=True),
    ):
        backfill_mark(backfill_id=backfill.pk)

    push.assert_called_with((connection.pk,))
    marked = records(connection)
    assert [r.object_id for r in marked] == [i.pk for i in invoices]
    assert [(r.state, r.backfill_id, r.label, r.force) for r in marked] == [
        (SyncRecord.State.PENDING, backfill.pk, i.number, True) for i in invoices
    ]
    backfill.refresh_from_db()
    assert (backfill.state, backfill.total) == (Backfill.State.RUNNING, 3)


def test_a_second_start_is_refused_while_one_is_under_way(org, owner):
    earlier(org, 2)
    connection = connect(org)
    backfill_start(connection=connection, actor=owner)

    with pytest.raises(ValidationError, match="Earlier invoices are already being sent to Xero"):
        backfill_start(connection=connection, actor=owner)
    assert Backfill.objects.count() == 1


def test_nothing_to_send_is_refused(org, owner):
    earlier(org, 1, issue_date=EARLY)
    connection = connect(org)

    with pytest.raises(ValidationError, match="no earlier invoices to send in those dates"):
        backfill_start(connection=connection, actor=owner, date_from=LATE)
    assert not Backfill.objects.exists()


def test_marking_twice_marks_each_invoice_once_and_keeps_a_sync_now_made_meanwhile(org, owner):
    first, *_others = earlier(org, 3)
    connection = connect(org)
    backfill = backfill_start(connection=connection, actor=owner)
    sync_now(connection=connection, obj=first, actor=owner)  # pressed before the task ran

    with mock.patch.object(backfill_service, "CHUNK", 1):
        backfill_mark(backfill_id=backfill.pk)
        Backfill.objects.filter(pk=backfill.pk).update(state=Backfill.State.QUEUED)
        backfill_mark(backfill_id=backfill.pk)  # the message delivered again

    assert SyncRecord.objects.filter(connection=connection).count() == 3
    assert SyncRecord.objects.get(object_id=first.pk).backfill_id is None
    backfill.refresh_from_db()
    assert backfill.total == 2


def test_marking_is_bulk_the_queries_do_not_grow_with_the_invoices(org, owner):
    def queries_to_mark(count: int) -> int:
        Connection.objects.all().delete()
        earlier(org, count)
        connection = connect(org)
        backfill = backfill_start(connection=connection, actor=owner)
        with CaptureQueriesContext(db_connection) as captured:
            backfill_mark(backfill_id=backfill.pk)
        assert SyncRecord.objects.filter(backfill=backfill).count() == Invoice.objects.count()
        return len(captured)

    assert queries_to_mark(2) == queries_to_mark(20)


def test_other_organisations_invoices_are_never_marked(org, other_org, owner):
    mine = earlier(org, 2)
    earlier(other_org, 2)
    connect(other_org)
    backfill = started(connect(org), owner)

    assert set(
        SyncRecord.objects.filter(backfill=backfill).values_list("object_id", flat=True)
    ) == {i.pk for i in mine}
    assert not SyncRecord.objects.filter(organisation=other_org).exists()


# --- progress and the figures -----------------------------------------------------------


def test_progress_counts_synced_and_failed_then_settles_with_the_figures(org, owner):
    a, b, c = earlier(org, 3)
    connection = connect(org)
    backfill = started(connection, owner)
    answer(backfill, synced=[a], failed=[b])

    progress = backfill_progress(backfill=backfill)
    assert (progress.done, progress.total, progress.finished) == (2, 3, False)
    assert backfill_settle(connection_id=connection.pk).state == Backfill.State.RUNNING

    answer(backfill, synced=[c])
    settled = backfill_settle(connection_id=connection.pk)
    assert (settled.state, settled.sent, settled.failed, settled.total) == ("done", 2, 1, 3)
    assert settled.finished_at is not None
    # The figures stay as they were, whatever happens to the records later.
    SyncRecord.objects.filter(backfill=backfill).update(state=SyncRecord.State.PENDING)
    kept = backfill_progress(backfill=Backfill.objects.get(pk=backfill.pk))
    assert (kept.sent, kept.failed, kept.finished) == (2, 1, True)


def test_the_sweeper_sends_a_queued_back_fill_again(org, owner):
    earlier(org, 2)
    backfill = backfill_start(connection=connect(org), actor=owner)
    with mock.patch("integrations.tasks.backfill_mark_task.delay") as mark:
        backfill_sweep()
        mark.assert_not_called()  # just started: its message is on the way
        Backfill.objects.filter(pk=backfill.pk).update(
            started_at=timezone.now() - datetime.timedelta(minutes=10)
        )
        assert backfill_sweep() == 1
    mark.assert_called_once_with(backfill.pk)


def test_a_broker_that_refuses_the_message_loses_nothing(
    org, owner, django_capture_on_commit_callbacks
):
    earlier(org, 2)
    with (
        mock.patch("integrations.tasks.backfill_mark_task.delay", side_effect=OSError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        backfill = backfill_start(connection=connect(org), actor=owner)
    backfill.refresh_from_db()
    assert backfill.state == Backfill.State.QUEUED  # the sweeper sends it once the broker is back


def test_it_finishes_only_once_none_of_its_invoices_is_pending(org, owner):
    from integrations.tasks import push_connection_task

    first, second = earlier(org, 2)
    connection = connect(org)
    backfill = started(connection, owner)
    answer(backfill, synced=[first, second])
    SyncRecord.objects.filter(pk=SyncRecord.objects.get(object_id=second.pk).pk).update(
        state=SyncRecord.State.PENDING, next_attempt_at=timezone.now() + datetime.timedelta(hours=1)
    )

    push_connection_task(connection.pk)  # one still waits for its retry: still running
    assert Backfill.objects.get().state == Backfill.State.RUNNING

    answer(backfill, failed=[second])
    backfill_sweep()
    finished = Backfill.objects.get()
    assert (finished.state, finished.sent, finished.failed) == (Backfill.State.DONE, 1, 1)


def test_the_database_allows_one_unfinished_back_fill_per_connection(org):
    from django.db import IntegrityError, transaction

    connection = connect(org)
    Backfill.objects.create(organisation=org, connection=connection, total=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Backfill.objects.create(organisation=org, connection=connection, total=1)
    Backfill.objects.update(state=Backfill.State.DONE)
    Backfill.objects.create(organisation=org, connection=connection, total=1)


def test_durations_read_as_words():
    assert duration_text(datetime.timedelta(seconds=0.4)) == "less than a second"
    assert duration_text(datetime.timedelta(seconds=1)) == "1 second"
    assert duration_text(datetime.timedelta(seconds=192)) == "3 minutes 12 seconds"
    assert duration_text(datetime.timedelta(minutes=65, seconds=9)) == "1 hour 5 minutes"


# --- the provider's page -----------------------------------------------------------------


def test_the_xero_tab_offers_to_send_the_earlier_invoices(org, owner_client):
    earlier(org, 3)
    connect(org)

    page = visible_text(owner_client.get(page_url()))

    assert "Earlier invoices" in page
    assert "Send 3 earlier invoices to Xero" in page
    assert "Send 3 earlier invoices to Xero? They go in batches" in page  # the dialog


def test_no_offer_without_earlier_invoices_or_an_active_connection(org, owner_client):
    connect(org)
    assert "earlier invoices" not in visible_text(owner_client.get(page_url())).lower()

    earlier(org, 2)
    Connection.objects.update(state=Connection.State.REQUIRES_REAUTH)
    assert "Send 2 earlier" not in visible_text(owner_client.get(page_url()))


def test_changing_the_dates_changes_n(org, owner_client):
    for day in (EARLY, MIDDLE, LATE):
        earlier(org, issue_date=day)
    connect(org)
    url = reverse("integrations:backfill_offer", args=["xero"])

    response = owner_client.get(
        url, {"date_from": "2025-03-01", "date_to": ""}, HTTP_HX_REQUEST="true"
    )

    assert "Send 2 earlier invoices to Xero" in visible_text(response)
    one = owner_client.get(url, {"date_from": "2025-03-10", "date_to": "2025-03-10"})
    assert "Send 1 earlier invoice to Xero" in visible_text(one)
    none = owner_client.get(url, {"date_from": "2026-01-01"})
    assert "No earlier invoices in those dates." in visible_text(none)


@pytest.mark.parametrize(
    ("dates", "error"),
    [
        ({"date_from": "31/02/2025x"}, "Enter a real date for From"),
        ({"date_to": "2025-13-45"}, "Enter a real date for To"),
        ({"date_from": "2025-06-01", "date_to": "2025-01-01"}, "must be on or before"),
    ],
)
def test_bad_dates_are_form_errors_not_500s(org, owner_client, dates, error):
    earlier(org, 2)
    connect(org)

    offer = owner_client.get(reverse("integrations:backfill_offer", args=["xero"]), dates)
    assert offer.status_code == 200
    assert error in visible_text(offer)
    assert "Send 2" not in visible_text(offer)

    post = owner_client.post(reverse("integrations:backfill", args=["xero"]), dates)
    assert post.status_code == 400
    assert error in visible_text(post)
    assert not Backfill.objects.exists()


def test_without_js_the_button_leads_to_a_confirmation_page(org, owner_client):
    earlier(org, 2, issue_date=MIDDLE)
    connect(org)

    page = owner_client.get(reverse("integrations:backfill", args=["xero"]), {"date_from": ""})

    assert "Send 2 earlier invoices to Xero? They go in batches" in visible_text(page)
    assert not Backfill.objects.exists()


def test_the_owner_starts_it_and_the_page_shows_the_progress_then_the_figures(
    org, owner, owner_client
):
    a, b, c = earlier(org, 3)
    connection = connect(org)

    response = owner_client.post(
        reverse("integrations:backfill", args=["xero"]), {"date_from": "", "date_to": ""}
    )
    assert response.status_code == 302
    assert messages_of(response) == ["Sending earlier invoices to Xero."]
    backfill = Backfill.objects.get()
    assert backfill.created_by == owner
    backfill_mark(backfill_id=backfill.pk)
    answer(backfill, synced=[a])

    page = visible_text(owner_client.get(page_url()))
    assert "1 of 3 sent" in page
    assert "Send 2 earlier" not in page  # one at a time

    again = owner_client.post(reverse("integrations:backfill", args=["xero"]), {})
    assert messages_of(again) == ["Earlier invoices are already being sent to Xero."]
    assert Backfill.objects.count() == 1

    answer(backfill, synced=[b], failed=[c])
    poll = owner_client.get(
        reverse("integrations:backfill_progress", args=["xero"]), HTTP_HX_REQUEST="true"
    )
    assert poll.status_code == 286  # htmx stops polling
    assert "2 sent, 1 failed" in visible_text(poll)
    assert reverse("sync:failed", args=["xero"]) in poll.content.decode()

    page = visible_text(owner_client.get(page_url()))
    assert "2 sent, 1 failed" in page
    assert "Earlier invoices sent to Xero in" in page

    owner_client.post(reverse("integrations:backfill_dismiss", args=["xero"]))
    assert "2 sent, 1 failed" not in visible_text(owner_client.get(page_url()))
    assert Backfill.objects.get().dismissed_at is not None
    assert connection.backfills.count() == 1


def test_staff_cannot_start_one(org, staff_client):
    earlier(org, 2)
    connect(org)

    response = staff_client.post(reverse("integrations:backfill", args=["xero"]), follow=True)

    assert "You do not have permission to manage integrations" in visible_text(response)
    assert not Backfill.objects.exists()


def test_another_organisations_owner_reaches_nothing_of_ours(org, other_org):
    earlier(org, 2)
    connect(org)
    stranger = client_for(make_member(other_org, OWNER))

    assert stranger.post(reverse("integrations:backfill", args=["xero"])).status_code == 404
    assert stranger.get(reverse("integrations:backfill_offer", args=["xero"])).status_code == 404
    assert not Backfill.objects.exists()


def test_starting_needs_the_csrf_token(org, owner):
    earlier(org, 2)
    connect(org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.post(reverse("integrations:backfill", args=["xero"])).status_code == 403
    assert not Backfill.objects.exists()


def test_records_of_a_back_fill_use_the_invoice_content_type(org, owner):
    earlier(org, 1)
    backfill = started(connect(org), owner)
    assert SyncRecord.objects.get(backfill=backfill).object_type == (
        ContentType.objects.get_for_model(Invoice)
    )
