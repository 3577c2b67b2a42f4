"""The provider's card, connection set-up and its rules for what is pushed automatically."""

import datetime

import pytest
from django.utils import timezone

from integrations import registry
from integrations.errors import ReauthRequired
from integrations.models import Connection, SyncRecord
from integrations.services.connections import connection_set_toggle, connection_test
from invoicing import signals
from invoicing.models import Invoice
from invoicing.services.invoices import invoice_void
from xero_sync.provider import XeroProvider

from .conftest import (
    API_URL,
    CONNECTIONS_URL,
    TENANT_ID,
    fixture_json,
    record_of,
    xero_invoice,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def xero():
    return registry.get("xero")


# --- the card ----------------------------------------------------------------------------


def test_registered_by_the_app_config(xero):
    assert isinstance(xero, XeroProvider)
    assert xero.name == "Xero"
    assert xero.connect_label == "Connect Xero"
    assert xero.synced_label == "Synced to Xero"
    assert xero.description and xero.features
    assert xero.disconnect_message == (
        "Disconnect Xero? Invoices will stop syncing to Xero. Existing Xero invoice IDs "
        "will be preserved for audit purposes."
    )


def test_the_hub_does_not_import_the_provider():
    from pathlib import Path

    from django.conf import settings

    hub = Path(settings.BASE_DIR) / "integrations"
    for source in hub.rglob("*.py"):
        assert "xero_sync" not in source.read_text(), source


def test_limits_and_batch(xero):
    assert xero.rate_limit == registry.RateLimit(
        calls=60, period_seconds=60, concurrent=5, spread_seconds=2
    )
    assert xero.batch_size == 50


def test_oauth_config_uses_settings_and_granular_scopes(xero):
    config = xero.oauth_config()

    assert config.client_id == "xero-client-id"
    assert config.client_secret == "xero-client-secret"
    assert config.authorize_url == "https://login.xero.com/identity/connect/authorize"
    assert config.token_url == "https://identity.xero.com/connect/token"
    assert config.scopes == [
        "offline_access",
        "accounting.invoices",
        "accounting.payments",
        "accounting.contacts",
        "accounting.settings.read",
    ]
    assert "accounting.transactions" not in config.scopes  # retired for new apps (2026)
    assert config.configured


def test_not_configured_without_a_client_id(xero, settings):
    settings.XERO_CLIENT_ID = ""
    assert not xero.oauth_config().configured


def test_toggles(xero):
    toggles = {t.key: t for t in xero.toggles}

    assert list(toggles) == ["auto_sync", "sync_sales", "sync_purchases", "send_payments"]
    assert toggles["auto_sync"].label == "Automatically sync new invoices to Xero"
    assert toggles["auto_sync"].parent is None
    assert toggles["auto_sync"].on_message == "Auto-sync enabled"
    assert toggles["auto_sync"].off_message == "Auto-sync disabled"
    assert toggles["sync_sales"].label == "Sync sales invoices"
    assert toggles["sync_purchases"].label == "Sync purchase invoices"
    assert toggles["sync_sales"].parent == toggles["sync_purchases"].parent == "auto_sync"
    assert all(
        toggles[key].default is True for key in ("auto_sync", "sync_sales", "sync_purchases")
    )
    # Payments are one-way (Xero → Torqueflow) unless the owner turns this on.
    assert toggles["send_payments"].label == "Send payments recorded in Torqueflow to Xero"
    assert toggles["send_payments"].default is False
    assert toggles["send_payments"].parent is None


def test_toggles_are_saved_through_the_hub(xero, connection, owner):
    connection_set_toggle(connection=connection, actor=owner, key="sync_purchases", value=False)
    connection.refresh_from_db()
    assert xero.toggle_value(connection, "sync_purchases") is False
    assert xero.toggle_value(connection, "sync_sales") is True


# --- connecting --------------------------------------------------------------------------


def test_remote_accounts_are_the_organisations_of_the_consent(xero, xero_api):
    route = xero_api.get(CONNECTIONS_URL).respond(
        json=fixture_json("connections_get_two_orgs_and_a_practice.json")
    )

    accounts = xero.remote_accounts(token={"access_token": "xero-access-0"})

    assert [(a.id, a.name) for a in accounts] == [
        (TENANT_ID, "Alpha Heating Ltd"),
        ("3a1f6c52-7d0e-4b8a-bf2e-0c5e6d7f8a91", "Alpha Heating (Demo Company UK)"),
    ]  # two organisations: the hub asks the user to pick; the practice is not offered
    assert route.calls.last.request.headers["Authorization"] == "Bearer xero-access-0"


def test_test_connection_reads_the_organisation(xero, xero_api, connection, owner):
    route = xero_api.get(f"{API_URL}/Organisation").respond(
        json=fixture_json("organisation_get_uk.json")
    )

    result = connection_test(connection=connection, actor=owner)

    assert result.ok
    assert route.calls.last.request.headers["xero-tenant-id"] == TENANT_ID


def test_test_connection_on_a_revoked_app(xero, xero_api, connection):
    xero_api.get(f"{API_URL}/Organisation").respond(
        403, json=fixture_json("error_403_authentication_unsuccessful.json")
    )

    with pytest.raises(ReauthRequired, match="App revoked"):
        xero.test_connection(connection=connection, access_token="xero-access-0")
    assert not connection_test(connection=connection, actor=None).ok


# --- wants -------------------------------------------------------------------------------


@pytest.fixture
def sales(org, nominal, connection):
    return xero_invoice(org, nominal)


@pytest.fixture
def bill(org, nominal, connection):
    return xero_invoice(org, nominal, kind=Invoice.Kind.PURCHASE)


def test_wants_finalised_and_updated_invoices_of_both_kinds(xero, connection, sales, bill):
    for invoice in (sales, bill):
        assert xero.wants(connection=connection, obj=invoice, change=signals.FINALISED)
        assert xero.wants(connection=connection, obj=invoice, change=signals.UPDATED)


def test_finalising_marks_the_invoice_pending(connection, sales, bill):
    assert record_of(connection, sales).state == SyncRecord.State.PENDING
    assert record_of(connection, bill).state == SyncRecord.State.PENDING


@pytest.mark.parametrize("change", [signals.PAYMENTS_CHANGED, signals.VOIDED, "deleted"])
def test_payments_and_voids_are_not_pushed_by_default(xero, connection, sales, change):
    assert not xero.wants(connection=connection, obj=sales, change=change)


def test_only_invoices(xero, connection, sales):
    assert not xero.wants(connection=connection, obj=sales.customer, change=signals.UPDATED)


def test_auto_sync_off_stops_both_kinds(xero, connection, sales, bill):
    connection.settings["auto_sync"] = False
    for invoice in (sales, bill):
        assert not xero.wants(connection=connection, obj=invoice, change=signals.FINALISED)


def test_each_kind_has_its_own_toggle(xero, connection, sales, bill):
    connection.settings["sync_sales"] = False
    assert not xero.wants(connection=connection, obj=sales, change=signals.FINALISED)
    assert xero.wants(connection=connection, obj=bill, change=signals.FINALISED)

    connection.settings.update(sync_sales=True, sync_purchases=False)
    assert xero.wants(connection=connection, obj=sales, change=signals.FINALISED)
    assert not xero.wants(connection=connection, obj=bill, change=signals.FINALISED)


def test_toggled_off_finalising_creates_no_record(org, nominal, connection):
    Connection.objects.filter(pk=connection.pk).update(settings={"sync_sales": False})
    invoice = xero_invoice(org, nominal)
    assert not SyncRecord.objects.filter(object_id=invoice.pk).exists()


def test_no_back_filling_of_invoices_finalised_before_connecting(xero, org, nominal, connection):
    old = xero_invoice(org, nominal)
    Connection.objects.filter(pk=connection.pk).update(
        connected_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    connection.refresh_from_db()
    SyncRecord.objects.filter(object_id=old.pk).delete()

    assert not xero.wants(connection=connection, obj=old, change=signals.UPDATED)


def test_an_older_invoice_this_connection_holds_is_still_pushed(xero, org, nominal, connection):
    old = xero_invoice(org, nominal)  # its record exists from finalising
    Connection.objects.filter(pk=connection.pk).update(
        connected_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    connection.refresh_from_db()

    assert xero.wants(connection=connection, obj=old, change=signals.UPDATED)


def test_voided_invoices_are_not_wanted(xero, connection, sales):
    voided = invoice_void(invoice=sales, actor=None)
    assert not xero.wants(connection=connection, obj=voided, change=signals.UPDATED)


# --- fingerprint -------------------------------------------------------------------------


def test_fingerprint_of_a_record(xero, connection, sales):
    record = record_of(connection, sales)
    assert len(xero.fingerprint(record=record)) == 64


def test_fingerprint_is_empty_when_the_invoice_cannot_go(xero, org, nominal, connection):
    invoice = xero_invoice(org, nominal, currency="EUR")
    assert xero.fingerprint(record=record_of(connection, invoice)) == ""
