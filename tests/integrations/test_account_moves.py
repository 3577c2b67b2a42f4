"""Records belong to the remote account they were made in: a disconnect keeps them (shown as
"Was in …", nothing pushed), a reconnect to the same account resumes them, a move to another
account makes them history and starts afresh, and a consent given while the connection is
active waits for the owner's choice without stopping the syncing.

The provider is the hub's example OAuth provider, its token URL mocked with `responses`
(the token answer names the accounts the consent reached).
"""

import datetime
import html as html_lib
import re
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.errors import TransientError
from integrations.models import Connection, PastSyncRecord, SyncActivity, SyncRecord
from integrations.services.connections import connection_disconnect
from integrations.services.history import sync_records_archive
from invoicing.models import Invoice
from invoicing.services.invoices import invoice_update
from tests.factories import invoice_data, make_invoice
from tests.helpers import detail_url

from .conftest import TOKEN_URL, ExampleProvider

pytestmark = pytest.mark.django_db

OLD = {"id": "org-old", "name": "Alpha Heating (Ledger)"}
NEW = {"id": "org-new", "name": "Alpha Holdings (Ledger)"}
LIST = reverse("invoicing:sales_list")


class LedgerProvider(ExampleProvider):
    """The example OAuth provider, pushing every finalised or edited invoice."""

    key = "ledger"
    name = "Ledger"
    synced_label = "Synced to Ledger"

    def wants(self, *, connection, obj, change):
        return isinstance(obj, Invoice) and change in ("finalised", "updated")


@pytest.fixture(autouse=True)
def ledger(monkeypatch):
    monkeypatch.setattr(registry, "_registry", {})
    return registry.register(LedgerProvider())


def plain(response) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def token_body(*accounts: dict, access: str = "access-new") -> dict:
    return {
        "access_token": access,
        "refresh_token": f"refresh-{access}",
        "expires_in": 1800,
        "token_type": "Bearer",
        "scope": "offline_access invoices",
        "accounts": list(accounts),
    }


def consent(client, *accounts: dict, access: str = "access-new"):
    """Press Connect, come back from the provider's consent with these accounts."""
    response = client.post(reverse("integrations:connect", args=["ledger"]))
    state = parse_qs(urlparse(response.url).query)["state"][0]
    responses.post(TOKEN_URL, json=token_body(*accounts, access=access))
    return client.get(
        reverse("integrations:callback", args=["ledger"]), {"code": "c", "state": state}
    )


@pytest.fixture
def connection(org):
    return Connection.objects.create(
        organisation=org,
        provider="ledger",
        state=Connection.State.ACTIVE,
        remote_account_id=OLD["id"],
        remote_account_name=OLD["name"],
        access_token="access-old",
        refresh_token="refresh-old",
        token_expires_at=timezone.now() + datetime.timedelta(hours=1),
        connected_at=timezone.now() - datetime.timedelta(days=3),
        invoices_synced=1,
    )


def synced(connection, invoice, external_id="INV-REMOTE-1") -> SyncRecord:
    record, _ = SyncRecord.objects.update_or_create(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        defaults={
            "organisation": connection.organisation,
            "state": SyncRecord.State.SYNCED,
            "external_id": external_id,
            "remote_url": f"https://ledger.example/invoices/{external_id}",
            "last_synced_at": timezone.now() - datetime.timedelta(hours=2),
            "label": invoice.number,
        },
    )
    SyncActivity.objects.create(
        organisation=connection.organisation,
        connection=connection,
        record=record,
        action="push",
        subject=invoice.number,
        result="ok",
    )
    return record


def edit(invoice: Invoice) -> Invoice:
    return invoice_update(
        invoice=invoice,
        actor=None,
        data=invoice_data(invoice.organisation, lines=((2, "80.00", "20"),)),
    )


# --- after a disconnect -----------------------------------------------------------------------


def test_disconnect_keeps_the_records_and_an_edit_pushes_nothing(
    org, owner, connection, django_capture_on_commit_callbacks
):
    invoice = make_invoice(org, finalise=True)
    record = synced(connection, invoice)
    connection_disconnect(connection=connection, actor=owner)

    with django_capture_on_commit_callbacks() as callbacks:
        edit(invoice)

    record.refresh_from_db()
    assert (record.state, record.external_id) == (SyncRecord.State.SYNCED, "INV-REMOTE-1")
    assert callbacks == []  # no push was enqueued
    assert not PastSyncRecord.objects.exists()


def test_while_active_the_same_edit_is_pushed(org, connection, django_capture_on_commit_callbacks):
    invoice = make_invoice(org, finalise=True)
    record = synced(connection, invoice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        edit(invoice)
    record.refresh_from_db()
    assert record.state == SyncRecord.State.PENDING
    assert len(callbacks) == 1


def test_after_a_disconnect_the_invoice_says_where_it_was(org, owner, owner_client, connection):
    invoice = make_invoice(org, finalise=True)
    synced(connection, invoice)
    connection_disconnect(connection=connection, actor=owner)

    listing = owner_client.get(LIST).content.decode()
    assert ">Was in Ledger</span>" in listing
    assert 'title="Ledger invoice ID INV-REMOTE-1. Last synced' in listing
    assert "Ledger: " not in listing  # no live badge for a disconnected provider

    page = owner_client.get(detail_url(invoice))
    assert "Ledger Was in Ledger Ledger invoice ID INV-REMOTE-1. Last synced" in plain(page)
    assert "Open in Ledger" in plain(page)
    assert "Sync now" not in plain(page)
    assert reverse("sync:sync_now", args=["ledger", invoice.pk]) not in page.content.decode()


def test_an_invoice_never_sent_shows_nothing_after_a_disconnect(
    org, owner, owner_client, connection
):
    make_invoice(org, finalise=True)
    connection_disconnect(connection=connection, actor=owner)
    assert "Ledger" not in plain(owner_client.get(LIST))


@responses.activate
def test_reconnecting_to_the_same_account_resumes_with_the_same_records(
    org, owner, owner_client, connection, django_capture_on_commit_callbacks
):
    invoice = make_invoice(org, finalise=True)
    record = synced(connection, invoice)
    connection_disconnect(connection=connection, actor=owner)

    response = consent(owner_client, OLD)

    assert response.url.endswith("#integration-ledger")
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    assert SyncRecord.objects.get().pk == record.pk
    assert not PastSyncRecord.objects.exists()
    assert ">Ledger: Synced</span>" in owner_client.get(LIST).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        edit(invoice)
    assert len(callbacks) == 1  # the edit goes to the same remote invoice


# --- moving to another account ----------------------------------------------------------------


@responses.activate
def test_reconnecting_to_another_account_keeps_the_old_records_as_history(
    org, owner, owner_client, connection
):
    sent = make_invoice(org, finalise=True)
    record = synced(connection, sent)
    failed = make_invoice(org, finalise=True)
    SyncRecord.objects.filter(object_id=failed.pk).update(
        state=SyncRecord.State.FAILED, reason_text="Unmapped nominal code"
    )
    connection_disconnect(connection=connection, actor=owner)

    consent(owner_client, NEW)

    connection.refresh_from_db()
    assert (connection.state, connection.remote_account_id) == ("active", NEW["id"])
    assert connection.invoices_synced == 0
    assert not SyncRecord.objects.exists()  # a fresh set for the new account
    past = PastSyncRecord.objects.get()  # only what had reached the old account
    assert (past.object_id, past.external_id, past.remote_account_name) == (
        sent.pk,
        "INV-REMOTE-1",
        OLD["name"],
    )
    assert past.last_synced_at == record.last_synced_at
    activity = SyncActivity.objects.get(action="push")
    assert (activity.subject, activity.record) == (sent.number, None)

    listing = owner_client.get(LIST).content.decode()
    assert f">Was in {OLD['name']}</span>" in listing
    assert ">Ledger: Not synced</span>" in listing
    page = plain(owner_client.get(detail_url(sent)))
    assert f"Was in {OLD['name']} Ledger invoice ID INV-REMOTE-1" in page
    assert "Ledger Not synced" in page and "Sync now" in page


@responses.activate
def test_the_move_happens_once(org, owner, owner_client, connection):
    synced(connection, make_invoice(org, finalise=True))
    connection_disconnect(connection=connection, actor=owner)
    consent(owner_client, NEW)
    consent(owner_client, NEW, access="access-again")

    assert PastSyncRecord.objects.count() == 1
    connection.refresh_from_db()
    assert connection.access_token == "access-again"


def test_archiving_touches_only_the_connection_of_its_organisation(
    org, other_org, connection, owner_client
):
    mine = make_invoice(org, finalise=True)
    synced(connection, mine)
    theirs_connection = Connection.objects.create(
        organisation=other_org, provider="ledger", state="active", remote_account_id=OLD["id"]
    )
    theirs = synced(theirs_connection, make_invoice(other_org, finalise=True), "THEIRS-1")

    sync_records_archive(connection=connection)

    assert SyncRecord.objects.get() == theirs
    assert PastSyncRecord.objects.get().organisation == org
    # Another organisation's history never shows on this organisation's invoices.
    PastSyncRecord.objects.create(
        organisation=other_org,
        provider="ledger",
        remote_account_name="Bravo Books",
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=mine.pk,
        external_id="X",
        archived_at=timezone.now(),
    )
    assert "Bravo Books" not in owner_client.get(LIST).content.decode()
    assert "Bravo Books" not in owner_client.get(detail_url(mine)).content.decode()


# --- Connect on an active connection ----------------------------------------------------------


@responses.activate
def test_a_consent_on_an_active_connection_waits_for_a_choice_and_keeps_syncing(
    org, owner_client, connection, django_capture_on_commit_callbacks
):
    invoice = make_invoice(org, finalise=True)
    synced(connection, invoice)

    response = consent(owner_client, OLD, NEW)

    assert response.url == reverse("integrations:choose", args=["ledger"])
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    assert connection.access_token == "access-old"  # pushes go on with the tokens in use
    # The new consent's tokens are kept encrypted, never in the readable settings.
    assert "access-new" not in str(connection.settings)
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT pending_token FROM integrations_connection WHERE id = %s", [connection.pk]
        )
        assert "access-new" not in cursor.fetchone()[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        edit(invoice)
    assert len(callbacks) == 1

    card = owner_client.get(reverse("integrations:index"))
    text = plain(card)
    assert "Connected" in text
    assert (
        f"You signed in to Ledger again. Torqueflow keeps syncing with {OLD['name']} until "
        "you choose: keep it, or move to another account." in text
    )
    assert f"Keep {OLD['name']}" in text and NEW["name"] in text
    checked = re.search(r'<input[^>]*value="org-old"[^>]*>', card.content.decode()).group(0)
    assert "checked" in checked


@responses.activate
def test_keeping_the_current_account_changes_nothing_but_the_tokens(org, owner_client, connection):
    synced(connection, make_invoice(org, finalise=True))
    consent(owner_client, OLD, NEW)

    response = owner_client.post(
        reverse("integrations:choose", args=["ledger"]), {"account": OLD["id"]}
    )

    assert response.status_code == 302
    connection.refresh_from_db()
    assert (connection.remote_account_id, connection.access_token) == (OLD["id"], "access-new")
    assert connection.pending_token is None and "remote_accounts" not in connection.settings
    assert SyncRecord.objects.count() == 1 and not PastSyncRecord.objects.exists()


@responses.activate
def test_choosing_another_account_asks_first_then_moves(org, owner_client, connection):
    synced(connection, make_invoice(org, finalise=True))
    consent(owner_client, OLD, NEW)
    choose = reverse("integrations:choose", args=["ledger"])

    asked = owner_client.post(choose, {"account": NEW["id"]})

    assert asked.status_code == 200
    assert (
        f"Invoices already sent to {OLD['name']} stay there; Torqueflow starts afresh in "
        f"{NEW['name']}." in plain(asked)
    )
    connection.refresh_from_db()
    assert connection.remote_account_id == OLD["id"]  # nothing moved yet
    assert SyncRecord.objects.count() == 1

    moved = owner_client.post(choose, {"account": NEW["id"], "confirm": "move"})

    assert moved.status_code == 302
    connection.refresh_from_db()
    assert (connection.state, connection.remote_account_id) == ("active", NEW["id"])
    assert connection.access_token == "access-new"
    assert not SyncRecord.objects.exists()
    assert PastSyncRecord.objects.get().remote_account_name == OLD["name"]


@responses.activate
def test_a_consent_that_no_longer_reaches_the_account_keeps_it_on_the_earlier_sign_in(
    org, owner_client, connection
):
    consent(owner_client, NEW, {"id": "org-third", "name": "Third Ltd"})

    text = plain(owner_client.get(reverse("integrations:index")))
    assert (
        f"This sign-in did not reach {OLD['name']}. Torqueflow keeps syncing with it on the "
        "earlier sign-in until you choose" in text
    )
    owner_client.post(reverse("integrations:choose", args=["ledger"]), {"account": OLD["id"]})
    connection.refresh_from_db()
    assert (connection.state, connection.access_token) == ("active", "access-old")
    assert connection.pending_token is None


@responses.activate
def test_a_single_other_account_on_an_active_connection_also_waits(org, owner_client, connection):
    response = consent(owner_client, NEW)
    assert response.url == reverse("integrations:choose", args=["ledger"])
    connection.refresh_from_db()
    assert (connection.state, connection.remote_account_id) == ("active", OLD["id"])


def test_the_chooser_refuses_an_account_the_consent_did_not_reach(owner_client, connection):
    connection.settings["remote_accounts"] = [OLD, NEW]
    connection.save()
    response = owner_client.post(
        reverse("integrations:choose", args=["ledger"]), {"account": "org-forged"}
    )
    assert response.status_code == 400
    assert "Choose one of the accounts you authorised." in plain(response)
    connection.refresh_from_db()
    assert connection.remote_account_id == OLD["id"]


@responses.activate
def test_reconnect_needed_keeps_waiting_until_the_choice_then_resumes(
    org, owner_client, connection, django_capture_on_commit_callbacks
):
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.REQUIRES_REAUTH)
    invoice = make_invoice(org, finalise=True)  # fails as "Connection not active"
    consent(owner_client, OLD, NEW)
    connection.refresh_from_db()
    assert connection.state == Connection.State.REQUIRES_REAUTH
    assert "Keep Alpha Heating (Ledger) to resume syncing there" in plain(
        owner_client.get(reverse("integrations:index"))
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        owner_client.post(reverse("integrations:choose", args=["ledger"]), {"account": OLD["id"]})

    connection.refresh_from_db()
    assert (connection.state, connection.access_token) == ("active", "access-new")
    assert SyncRecord.objects.get(object_id=invoice.pk).state == SyncRecord.State.PENDING
    assert len(callbacks) == 1


def test_a_push_answered_after_the_move_leaves_the_fresh_set_alone(org, ledger, connection):
    """The owner confirms the move while a worker waits for the old account's answer."""
    from integrations.services.sync import sync_push_due

    invoice = make_invoice(org, finalise=True)  # pending on the old account

    def push(*, connection, records):
        with transaction.atomic():
            locked = Connection.objects.select_for_update().get(pk=connection.pk)
            sync_records_archive(connection=locked)
        return [registry.PushResult(record=r, external_id="LATE-1") for r in records] + [
            registry.PushResult(record=r, error=TransientError("late")) for r in records
        ]

    ledger.push = push
    summary = sync_push_due(connection_id=connection.pk)

    assert summary.pushed == 1 and summary.failed == 1  # answered, and nothing raised
    assert not SyncRecord.objects.filter(object_id=invoice.pk).exists()
    connection.refresh_from_db()
    assert connection.invoices_synced == 0


@responses.activate
def test_disconnecting_while_a_choice_waits_drops_the_new_consent_too(
    org, owner, owner_client, connection
):
    consent(owner_client, OLD, NEW)
    connection_disconnect(connection=connection, actor=owner)
    connection.refresh_from_db()
    assert connection.pending_token is None and connection.access_token is None
    assert "remote_accounts" not in connection.settings
    response = owner_client.get(reverse("integrations:choose", args=["ledger"]))
    assert response.status_code == 302  # nothing left to choose
