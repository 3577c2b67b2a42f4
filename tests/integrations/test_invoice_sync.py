"""Badges on the invoice pages, Sync now, and the failed list, for a provider that shows a
badge on invoices."""

import datetime
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.models import Connection, SyncRecord
from invoicing.models import Invoice
from tests.conftest import client_for, make_member
from tests.factories import make_invoice
from tests.helpers import detail_url, visible_text
from xero_sync.provider import SYNC_CAPABILITY as XERO_SYNC

HTMX = {"HTTP_HX_REQUEST": "true"}


class LedgerProvider(registry.Provider):
    key = "ledger"
    name = "Ledger"
    synced_label = "Synced to Ledger"
    sync_capability = XERO_SYNC.key


@pytest.fixture
def ledger(db):
    provider = registry.register(LedgerProvider())
    yield provider
    registry._registry.pop(provider.key, None)


@pytest.fixture
def connection(org, ledger):
    return Connection.objects.create(
        organisation=org,
        provider="ledger",
        state=Connection.State.ACTIVE,
        connected_at=timezone.now() - datetime.timedelta(days=1),
    )


def set_record(connection, invoice, state, **fields) -> SyncRecord:
    record, _ = SyncRecord.objects.update_or_create(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        defaults={"organisation": connection.organisation, "state": state, **fields},
    )
    return record


def list_text(client) -> str:
    return visible_text(client.get(reverse("invoicing:sales_list")))


def test_no_badge_without_an_active_connection(org, owner_client, ledger):
    make_invoice(org, finalise=True)
    Connection.objects.create(organisation=org, provider="ledger", state="requires_reauth")
    page = list_text(owner_client)
    assert "Synced to Ledger" not in page
    assert "Not synced" not in page


def test_badges_show_each_state_with_its_hover_text(org, owner_client, connection):
    synced = make_invoice(org, finalise=True)
    pending = make_invoice(org, finalise=True)
    failed = make_invoice(org, finalise=True)
    never = make_invoice(org, finalise=True)
    draft = make_invoice(org)
    set_record(connection, synced, "synced", last_synced_at=timezone.now())
    set_record(connection, pending, "pending")
    set_record(connection, failed, "failed", reason_text="Unmapped nominal code")
    SyncRecord.objects.filter(object_id=never.pk).delete()

    html = owner_client.get(reverse("invoicing:sales_list")).content.decode()

    # The list's compact form: the provider and one word, the full text in the hover.
    assert html.count(">Ledger: Synced</span>") == 1
    assert 'title="Synced to Ledger. Last synced' in html
    assert html.count(">Ledger: Pending</span>") == 1
    assert 'hx-trigger="every 1s"' in html  # the pending badge polls, in its compact form
    assert f"invoices/{pending.pk}/badge/?pending=1&amp;compact=1" in html
    assert 'title="Ledger: Failed. Unmapped nominal code">Ledger: Failed</span>' in html
    assert 'title="Ledger: Not synced. Not sent to Ledger yet. Sync now sends it.">' in html
    assert html.count(">Ledger: Not synced</span>") == 1  # `never`; the draft shows nothing
    assert f"badge/{draft.pk}" not in html
    never_page = visible_text(owner_client.get(detail_url(never)))
    assert "Ledger Not synced Not sent to Ledger yet. Sync now sends it." in never_page


def test_invoice_list_query_count_does_not_grow_with_badges(org, owner_client, connection):
    def count_queries() -> int:
        with CaptureQueriesContext(db_connection) as queries:
            assert owner_client.get(reverse("invoicing:sales_list")).status_code == 200
        return len(queries)

    for _ in range(3):
        set_record(connection, make_invoice(org, finalise=True), "synced")
    few = count_queries()
    for _ in range(20):
        set_record(connection, make_invoice(org, finalise=True), "failed", reason_text="x")
    assert count_queries() == few


def test_sync_now_queues_and_answers_with_a_polling_badge(
    org, staff_client, connection, django_capture_on_commit_callbacks
):
    invoice = make_invoice(org, finalise=True)
    set_record(connection, invoice, "failed", reason_text="Currency mismatch", attempts=3)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(reverse("sync:sync_now", args=["ledger", invoice.pk]), **HTMX)

    assert response.status_code == 200
    assert ">Pending</span>" in response.content.decode()
    toasts = json.loads(response.headers["HX-Trigger"])["toasts"]["items"]
    assert toasts == [{"text": "Queued", "level": "success"}]
    record = SyncRecord.objects.get(object_id=invoice.pk)
    assert (record.state, record.attempts, record.reason_text) == ("pending", 0, "")
    assert len(callbacks) == 1


def test_sync_now_without_javascript_redirects_back(org, staff_client, connection):
    invoice = make_invoice(org, finalise=True)
    response = staff_client.post(reverse("sync:sync_now", args=["ledger", invoice.pk]))
    assert response.status_code == 302
    assert response.url == detail_url(invoice)


def test_sync_now_needs_the_capability(org, connection):
    invoice = make_invoice(org, finalise=True)
    viewer = make_member(org, "staff")
    role = viewer.memberships.get().role
    role.capabilities = [c for c in role.capabilities if c != XERO_SYNC.key]
    role.save()
    response = client_for(viewer).post(reverse("sync:sync_now", args=["ledger", invoice.pk]))
    assert response.status_code == 403
    assert not SyncRecord.objects.filter(object_id=invoice.pk).exists()


def test_sync_now_is_404_for_another_organisation_or_no_connection(
    org, other_org, staff_client, connection
):
    theirs = make_invoice(other_org, finalise=True)
    assert (
        staff_client.post(reverse("sync:sync_now", args=["ledger", theirs.pk])).status_code == 404
    )
    connection.state = Connection.State.DISCONNECTED
    connection.save()
    ours = make_invoice(org, finalise=True)
    assert staff_client.post(reverse("sync:sync_now", args=["ledger", ours.pk])).status_code == 404


def test_sync_now_refuses_a_draft(org, staff_client, connection):
    draft = make_invoice(org)
    response = staff_client.post(reverse("sync:sync_now", args=["ledger", draft.pk]), follow=True)
    assert "Finalise the invoice before syncing it." in visible_text(response)
    assert not SyncRecord.objects.filter(object_id=draft.pk).exists()


def test_badge_polling_stops_once_settled(org, staff_client, connection):
    invoice = make_invoice(org, finalise=True)
    url = reverse("sync:badge", args=["ledger", invoice.pk])
    set_record(connection, invoice, "pending")
    assert staff_client.get(url, **HTMX).status_code == 200
    set_record(connection, invoice, "synced", last_synced_at=timezone.now())
    response = staff_client.get(url, **HTMX)
    assert response.status_code == 286
    assert ">Synced to Ledger</span>" in response.content.decode()


def test_detail_page_panel_shows_sync_now_only_to_those_who_may(org, staff_client, connection):
    invoice = make_invoice(org, finalise=True)
    set_record(connection, invoice, "failed", reason_text="Unmapped nominal code")
    page = visible_text(staff_client.get(detail_url(invoice)))
    assert "Ledger Sync failed Unmapped nominal code Sync now" in page

    reader = make_member(org, "staff")
    role = reader.memberships.get().role
    role.capabilities = [c for c in role.capabilities if c != XERO_SYNC.key]
    role.save()
    assert "Sync now" not in visible_text(client_for(reader).get(detail_url(invoice)))


def test_failed_list_and_retry_failed(org, staff_client, connection):
    first = make_invoice(org, finalise=True)
    second = make_invoice(org, finalise=True)
    set_record(connection, first, "failed", reason_text="Currency mismatch")
    set_record(connection, second, "synced")
    url = reverse("sync:failed", args=["ledger"])

    page = visible_text(staff_client.get(url))
    assert f"{first.number} Currency mismatch" in page
    assert second.number not in page

    response = staff_client.post(url, follow=True)
    assert "1 invoice queued again." in visible_text(response)
    assert SyncRecord.objects.get(object_id=first.pk).state == "pending"


def test_the_sync_line_polls_while_pending_and_drops_the_old_reason_when_settled(
    org, staff_client, connection
):
    invoice = make_invoice(org, finalise=True)
    url = reverse("sync:row", args=["ledger", invoice.pk])
    set_record(connection, invoice, "pending")
    pending = staff_client.get(url, **HTMX)
    assert pending.status_code == 200
    assert f'hx-get="{url}?pending=1"' in pending.content.decode()

    set_record(connection, invoice, "synced", last_synced_at=timezone.now(), reason_text="")
    settled = staff_client.get(url, **HTMX)
    assert settled.status_code == 286
    html = settled.content.decode()
    assert ">Synced to Ledger</span>" in html
    assert "hx-trigger" not in html
    assert "All failed invoices" not in html
