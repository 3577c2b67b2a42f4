"""The Integrations page's behaviour in a real browser: switches that revert when the server
refuses, the disconnect dialog, the Test Connection spinner, the tab bar and a credentials
form. Playwright drives Debian's Chromium against Django's live server."""

import base64
import json
import threading
from pathlib import Path

import pytest
import responses
from django.db import connections
from django.test import Client

from integrations import registry
from integrations.models import Connection
from tests.browser import CHROMIUM, CHROMIUM_ARGS

from .conftest import KEYED_REFUSED, keyed_account, keyed_account_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def only_test_providers(monkeypatch):
    monkeypatch.setattr(registry, "_registry", {})


@pytest.fixture
def in_browser(live_server, owner, monkeypatch):
    """Runs `scenario(page)` in a thread of its own, so a Playwright session that another
    test module keeps open in this thread (tests/e2e) does not get in the way."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    # Playwright's sync API runs an event loop in the scenario's thread; its ORM calls are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client = Client()
    client.force_login(owner)
    session = client.cookies["sessionid"].value

    def run(scenario):
        errors = []

        def target():
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, args=CHROMIUM_ARGS
                    )
                    try:
                        context = browser.new_context(base_url=live_server.url)
                        context.add_cookies(
                            [{"name": "sessionid", "value": session, "url": live_server.url}]
                        )
                        context.set_default_timeout(10_000)
                        scenario(context.new_page())
                    finally:
                        browser.close()
            except BaseException as error:
                errors.append(error)
            finally:
                connections.close_all()

        thread = threading.Thread(target=target)
        thread.start()
        thread.join(120)
        assert not thread.is_alive(), "the browser scenario did not finish"
        if errors:
            raise errors[0]

    return run


def test_switch_saves_and_reverts_when_refused(in_browser, make_connection, org):
    connection = make_connection(org)
    in_browser(lambda page: switch_scenario(page, connection))


def switch_scenario(page, connection):
    page.goto("/settings/integrations/")
    auto_push = page.get_by_role("switch", name="Push invoices when finalised")

    auto_push.click(force=True)  # the checkbox is drawn over by its track
    page.get_by_text("Auto-push disabled").wait_for()
    page.locator("#toggle-example-sync_payments.is-dormant").wait_for()
    connection.refresh_from_db()
    assert connection.settings["auto_push"] is False
    assert not auto_push.is_checked()

    # The connection breaks behind the page's back: the next change is refused and reverts.
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.REQUIRES_REAUTH)
    auto_push.click(force=True)
    page.get_by_text("Reconnect Example before changing its settings.").wait_for()
    page.locator("#toggle-example-auto_push input[disabled]").wait_for()
    assert not auto_push.is_checked()
    connection.refresh_from_db()
    assert connection.settings["auto_push"] is False


def test_disconnect_dialog_cancel_then_confirm(in_browser, make_connection, org):
    connection = make_connection(org)
    in_browser(lambda page: disconnect_scenario(page, connection))


def disconnect_scenario(page, connection):
    page.goto("/settings/integrations/")
    card = page.locator("#integration-example")
    dialog = page.locator("dialog#disconnect-example")

    card.get_by_role("link", name="Disconnect").click()
    dialog.wait_for(state="visible")
    assert "Invoices stop syncing" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden")
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE

    card.get_by_role("link", name="Disconnect").click()
    dialog.get_by_role("button", name="Disconnect").click()
    page.get_by_text("Example disconnected.").wait_for()
    card.get_by_role("button", name="Connect Example").wait_for()
    assert "Not Connected" in page.locator("#status-example").inner_text()
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED


def test_test_connection_spins_then_ticks(in_browser, make_connection, org, example_provider):
    make_connection(org)
    release = threading.Event()

    def slow_success(*, connection, access_token):
        release.wait(5)

    example_provider.test_connection = slow_success
    in_browser(lambda page: spinner_scenario(page, release))


def spinner_scenario(page, release):
    page.goto("/settings/integrations/")
    card = page.locator("#integration-example")

    card.get_by_role("button", name="Test Connection").click()
    card.locator("button.htmx-request .spinner").wait_for(state="visible")
    release.set()
    card.locator(".test-ok").wait_for()
    assert "✓" in card.locator(".test-ok").inner_text()
    page.get_by_text("Connection is working").first.wait_for()
    assert not card.locator(".spinner").is_visible()


def test_a_tab_then_its_credentials_form(in_browser, org, example_provider, keyed_provider):
    good_key = "sk_live_browser-0001"

    def check(request):
        user, _, key = (
            base64.b64decode(request.headers["Authorization"][6:]).decode().partition(":")
        )
        if (user, key) == ("AC0001", good_key):
            return 200, {}, json.dumps(keyed_account())
        return 401, {}, json.dumps({"code": 20003, "message": "Authenticate"})

    # `responses` patches requests for the whole process, the live server's thread included.
    with responses.RequestsMock() as remote:
        remote.add_callback(responses.GET, keyed_account_url("AC0001"), callback=check)
        in_browser(lambda page: credentials_scenario(page, good_key))

    connection = Connection.objects.get(organisation=org, provider="keyed")
    assert connection.state == Connection.State.ACTIVE
    assert connection.credentials == {"account_id": "AC0001", "api_key": good_key}


def credentials_scenario(page, good_key):
    page.goto("/settings/integrations/")
    tabs = page.get_by_role("navigation", name="Integrations")
    assert tabs.get_by_role("link", name="All").get_attribute("aria-current") == "page"

    tabs.get_by_role("link", name="SMS").click()
    page.wait_for_url("**/settings/integrations/keyed/")
    tabs = page.get_by_role("navigation", name="Integrations")
    assert tabs.get_by_role("link", name="SMS").get_attribute("aria-current") == "page"
    assert tabs.get_by_role("link", name="All").get_attribute("aria-current") is None
    card = page.locator("#integration-keyed")
    assert page.locator("#integration-example").count() == 0

    card.get_by_label("Account ID").fill("AC0001")
    card.get_by_label("API key").fill("not-the-key")
    card.get_by_role("button", name="Connect Keyed SMS").click()
    card.get_by_text(KEYED_REFUSED).wait_for()
    card = page.locator("#integration-keyed")
    assert card.get_by_label("Account ID").input_value() == "AC0001"
    assert card.get_by_label("API key").input_value() == ""
    assert "Not Connected" in page.locator("#status-keyed").inner_text()

    card.get_by_label("API key").fill(good_key)
    card.get_by_role("button", name="Connect Keyed SMS").click()
    page.get_by_text("Connected to Keyed SMS.").wait_for()
    page.locator("#status-keyed.tone-green").wait_for()
    card = page.locator("#integration-keyed")
    assert "Alpha Heating SMS" in card.inner_text()
    card.get_by_role("link", name="Configure").wait_for()
    assert good_key not in page.content()
