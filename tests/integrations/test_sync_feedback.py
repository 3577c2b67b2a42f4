"""What the owner is told about syncing without reloading or hunting for it: the overview
tiles count failed and waiting invoices, Retry failed follows the invoices it sent again,
and a badge that turns red on the page says so in a toast."""

import datetime
import html as html_lib
import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.errors import ValidationFailed
from integrations.models import Connection, SyncRecord, SyncRetry
from integrations.services import sync as sync_service
from invoicing.models import Invoice
from tests.conftest import client_for, make_member
from tests.factories import make_invoice
from tests.helpers import text, visible_text
from xero_sync.provider import SYNC_CAPABILITY as XERO_SYNC

HTMX = {"HTTP_HX_REQUEST": "true"}
INDEX = reverse("integrations:index")
AUTO = "auto_send"


class LedgerProvider(registry.Provider):
    """Syncs invoices by itself while its switch is on; its pushes fail with what
    `refusal` says (an empty refusal: they arrive)."""

    key = "ledger"
    name = "Ledger"
    synced_label = "Synced to Ledger"
    sync_capability = XERO_SYNC.key
    toggles = (registry.Toggle(AUTO, "Send invoices automatically"),)
    manual_sync_hint = "Auto-send is off: invoices go when you press Sync now"
    refusal = ""

    def oauth_config(self):
        return registry.OAuthConfig(
            client_id="ledger-client",
            client_secret="ledger-secret",
            authorize_url="https://ledger.example.com/authorize",
            token_url="https://ledger.example.com/token",
            scopes=["invoices"],
        )

    def syncs_automatically(self, connection):
        return self.toggle_value(connection, AUTO)

    def push(self, *, connection, records):
        if self.refusal:
            error = ValidationFailed(self.refusal, reason_code="refused")
            return [registry.PushResult(record=r, error=error) for r in records]
        return [registry.PushResult(record=r, external_id=f"L-{r.object_id}") for r in records]


@pytest.fixture
def ledger(db):
    provider = registry.register(LedgerProvider())
    yield provider
    registry._registry.pop(provider.key, None)


def connect(org, **settings) -> Connection:
    return Connection.objects.create(
        organisation=org,
        provider="ledger",
        state=Connection.State.ACTIVE,
        connected_at=timezone.now() - datetime.timedelta(days=1),
        settings=settings,
    )


@pytest.fixture
def connection(org, ledger):
    return connect(org)


def set_record(connection, invoice, state, **fields) -> SyncRecord:
    record, _ = SyncRecord.objects.update_or_create(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        defaults={"organisation": connection.organisation, "state": state, **fields},
    )
    return record


def invoices_in(org, connection, *states, **fields) -> list[Invoice]:
    invoices = [make_invoice(org, finalise=True) for _ in states]
    for invoice, state in zip(invoices, states, strict=True):
        set_record(connection, invoice, state, **fields)
    return invoices


def tile(response, key: str = "ledger") -> str:
    page = text(response)
    start = page.rindex("<div", 0, page.index(f'id="status-{key}"'))
    return page[start : page.index("</div>", start)]


def plain(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def toasts(response) -> list[tuple[str, str]]:
    trigger = json.loads(response.headers.get("HX-Trigger", "{}"))
    return [(t["text"], t["level"]) for t in trigger.get("toasts", {}).get("items", [])]


def settled_event(response) -> dict | None:
    return json.loads(response.headers.get("HX-Trigger", "{}")).get("sync-settled")


# --- the overview tiles ---------------------------------------------------------------------


def test_the_tile_counts_failed_and_waiting_and_links_the_failed_list(
    org, owner_client, connection
):
    invoices_in(org, connection, "failed", "failed", "pending", "synced")

    shown = tile(owner_client.get(INDEX))

    assert plain(shown).endswith("2 failed · 1 waiting")
    assert f'<a href="{reverse("sync:failed", args=["ledger"])}">2 failed</a>' in shown
    assert "Nothing to do" not in shown
    assert 'class="status-tile tone-orange"' in shown


def test_only_waiting_invoices_are_counted_without_a_link(org, owner_client, connection):
    invoices_in(org, connection, "pending", "synced")

    shown = tile(owner_client.get(INDEX))

    assert plain(shown).endswith("1 waiting")
    assert "failed" not in shown
    assert "Nothing to do" not in shown
    assert 'class="status-tile tone-green"' in shown


def test_nothing_to_do_only_when_nothing_failed_or_waits_and_syncing_is_on(
    org, owner_client, connection
):
    invoices_in(org, connection, "synced")

    assert plain(tile(owner_client.get(INDEX))).endswith("Nothing to do: syncing is on")


def test_with_automatic_syncing_off_the_tile_says_how_invoices_go(org, owner_client, ledger):
    connection = connect(org, **{AUTO: False})

    shown = plain(tile(owner_client.get(INDEX)))
    assert shown.endswith("Auto-send is off: invoices go when you press Sync now")
    assert "syncing is on" not in shown

    invoices_in(org, connection, "failed")
    shown = plain(tile(owner_client.get(INDEX)))
    assert shown.endswith("1 failed Auto-send is off: invoices go when you press Sync now")


def test_xero_with_auto_sync_off_does_not_say_syncing_is_on(org, owner_client):
    Connection.objects.create(
        organisation=org, provider="xero", state="active", settings={"auto_sync": False}
    )

    shown = plain(tile(owner_client.get(INDEX), "xero"))

    assert shown.endswith("Auto-sync is off: invoices go when you press Sync now")


def test_switching_automatic_syncing_redraws_the_tile(org, owner_client, connection):
    response = owner_client.post(
        reverse("integrations:toggle", args=["ledger", AUTO]), {"value": "off"}, **HTMX
    )

    shown = tile(response)
    assert 'hx-swap-oob="true"' in shown
    assert plain(shown).endswith("Auto-send is off: invoices go when you press Sync now")


def test_the_tile_counts_nothing_of_another_organisation(org, other_org, owner_client, connection):
    theirs = connect(other_org)
    invoices_in(other_org, theirs, "failed", "pending")

    assert plain(tile(owner_client.get(INDEX))).endswith("Nothing to do: syncing is on")


def test_a_connection_that_is_not_active_shows_no_counts(org, owner_client, connection):
    invoices_in(org, connection, "failed")
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.REQUIRES_REAUTH)

    shown = plain(tile(owner_client.get(INDEX)))

    assert shown.endswith("Reconnect to resume syncing")
    assert "failed" not in shown


# --- Retry failed ---------------------------------------------------------------------------


@pytest.fixture
def failed_url(connection):
    return reverse("sync:failed", args=["ledger"])


def test_retry_failed_shows_progress_until_the_invoices_settle(
    org, owner_client, connection, failed_url
):
    first, second = invoices_in(org, connection, "failed", "failed", reason_text="Mismatch")

    page = owner_client.post(failed_url, follow=True)
    html, words = text(page), visible_text(page)
    assert "2 invoices queued again." in words
    assert "0 of 2 sent" in words
    assert '<progress max="2" value="0"' in html
    assert f'hx-get="{failed_url}"' in html and 'hx-trigger="every 1s"' in html
    assert "No failed invoices" not in words
    assert "Nothing has failed again yet." in words
    assert "Retry failed</button>" not in html  # not twice while it is under way

    set_record(connection, first, "synced")
    polled = owner_client.get(failed_url, **HTMX)
    assert polled.status_code == 200
    assert "1 of 2 sent" in visible_text(polled)
    assert "<title>" not in text(polled)  # the fragment, not the page

    set_record(connection, second, "failed", reason_text="Currency mismatch")
    settled = owner_client.get(failed_url, **HTMX)
    assert settled.status_code == 286
    words = visible_text(settled)
    assert "1 of 2 sent; 1 failed again." in words
    assert f"{second.number} Failed again Currency mismatch" in words
    assert "every 1s" not in text(settled)
    assert "Retry failed" in words


def test_progress_survives_a_reload_and_the_outcome_follows(
    org, owner_client, connection, failed_url
):
    (invoice,) = invoices_in(org, connection, "failed")
    owner_client.post(failed_url)

    assert "0 of 1 sent" in visible_text(owner_client.get(failed_url))

    set_record(connection, invoice, "synced")
    words = visible_text(owner_client.get(failed_url))
    assert "1 of 1 sent." in words
    assert "No failed invoices. Everything that was sent arrived." in words


def test_one_failed_invoice_is_named_in_the_singular(org, owner_client, connection, failed_url):
    invoices_in(org, connection, "failed")

    page = text(owner_client.get(failed_url))
    assert 'data-confirm="Send the failed invoice to Ledger again?"' in page

    assert "1 invoice queued again." in visible_text(owner_client.post(failed_url, follow=True))


def test_the_confirm_names_how_many_go_again(org, owner_client, connection, failed_url):
    invoices_in(org, connection, "failed", "failed", "failed")

    page = text(owner_client.get(failed_url))

    assert 'data-confirm="Send all 3 failed invoices to Ledger again?"' in page


def test_retry_failed_remembers_its_records(org, owner, owner_client, connection, failed_url):
    failed = invoices_in(org, connection, "failed", "failed")
    invoices_in(org, connection, "synced")

    owner_client.post(failed_url)

    retry = SyncRetry.objects.get()
    assert retry.organisation == org and retry.started_by == owner
    assert sorted(r.object_id for r in retry.records.all()) == sorted(i.pk for i in failed)


def test_an_old_retry_is_history(org, owner_client, connection, failed_url):
    invoices_in(org, connection, "failed")
    owner_client.post(failed_url)
    SyncRetry.objects.update(started_at=timezone.now() - datetime.timedelta(hours=2))

    words = visible_text(owner_client.get(failed_url))

    assert "of 1 sent" not in words


def test_another_organisations_retry_is_not_shown(
    org, other_org, owner_client, connection, failed_url
):
    theirs = connect(other_org)
    invoices_in(other_org, theirs, "failed")
    client_for(make_member(other_org, "owner")).post(failed_url)

    words = visible_text(owner_client.get(failed_url))

    assert "of 1 sent" not in words
    assert "No failed invoices. Everything that was sent arrived." in words


def test_staff_without_the_sync_capability_cannot_retry(org, connection, failed_url):
    invoices_in(org, connection, "failed")
    reader = make_member(org, "staff")
    role = reader.memberships.get().role
    role.capabilities = [c for c in role.capabilities if c != XERO_SYNC.key]
    role.save()

    assert client_for(reader).post(failed_url).status_code == 403
    assert not SyncRetry.objects.exists()


# --- a badge that turns red -----------------------------------------------------------------


def test_a_watched_sync_line_that_fails_says_so_in_a_toast(org, staff_client, connection):
    invoice = make_invoice(org, finalise=True)
    set_record(connection, invoice, "pending")
    url = reverse("sync:row", args=["ledger", invoice.pk])

    pending = staff_client.get(f"{url}?pending=1", **HTMX)
    assert pending.status_code == 200 and toasts(pending) == []

    set_record(connection, invoice, "failed", reason_text="Currency mismatch")
    failed = staff_client.get(f"{url}?pending=1", **HTMX)

    assert failed.status_code == 286
    assert toasts(failed) == [
        (f"{invoice.number} could not be sent to Ledger: Currency mismatch", "error")
    ]
    assert settled_event(failed) == {"provider": "ledger", "invoice": invoice.pk}


def test_an_invoice_that_had_already_failed_is_not_a_toast(org, staff_client, connection):
    invoice = make_invoice(org, finalise=True)
    set_record(connection, invoice, "failed", reason_text="Currency mismatch")

    for name in ("sync:row", "sync:badge"):
        response = staff_client.get(reverse(name, args=["ledger", invoice.pk]), **HTMX)
        assert toasts(response) == [] and settled_event(response) is None


def test_a_list_badge_that_turns_red_says_so_and_one_that_arrives_does_not(
    org, staff_client, connection
):
    failing, arriving = invoices_in(org, connection, "pending", "pending")
    listed = text(staff_client.get(reverse("invoicing:sales_list")))
    badge_url = reverse("sync:badge", args=["ledger", failing.pk])
    assert f'hx-get="{badge_url}?pending=1&amp;compact=1"' in listed

    set_record(connection, failing, "failed", reason_text="")
    set_record(connection, arriving, "synced", last_synced_at=timezone.now())
    failed = staff_client.get(f"{badge_url}?pending=1", **HTMX)
    arrived = staff_client.get(
        reverse("sync:badge", args=["ledger", arriving.pk]) + "?pending=1", **HTMX
    )

    assert toasts(failed) == [(f"{failing.number} could not be sent to Ledger.", "error")]
    assert toasts(arrived) == []
    assert settled_event(arrived) == {"provider": "ledger", "invoice": arriving.pk}


def test_sync_now_answered_after_a_quick_failure_still_says_so(
    org, staff_client, connection, ledger, monkeypatch
):
    """A worker quicker than the answer: the line comes back red and never polls."""
    invoice = make_invoice(org, finalise=True)
    ledger.refusal = "Currency mismatch"
    monkeypatch.setattr(
        sync_service,
        "enqueue_push",
        lambda connection_id, countdown=0: sync_service.sync_push_due(connection_id=connection_id),
    )

    response = staff_client.post(reverse("sync:sync_now", args=["ledger", invoice.pk]), **HTMX)

    assert ">Sync failed</span>" in text(response)
    assert toasts(response) == [
        ("Queued", "success"),
        (f"{invoice.number} could not be sent to Ledger: Currency mismatch", "error"),
    ]
    assert settled_event(response) == {"provider": "ledger", "invoice": invoice.pk}
