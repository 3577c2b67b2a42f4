"""Settings → Integrations: the page, its cards, the activity log, and who may see them."""

import datetime
import html as html_lib
import json
import logging
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations import registry, selectors
from integrations.models import Connection, SyncActivity

from .conftest import ExampleProvider

pytestmark = pytest.mark.django_db

INDEX = reverse("integrations:index")
PERMISSION_MESSAGE = "You do not have permission to manage integrations"


@pytest.fixture(autouse=True)
def only_test_providers(monkeypatch):
    """The page lists every registered provider: start each test from an empty registry."""
    monkeypatch.setattr(registry, "_registry", {})


def provider_named(key: str, name: str) -> ExampleProvider:
    attributes = {"key": key, "name": name, "connect_label": f"Connect {name}"}
    cls = type(f"{name}Provider", (ExampleProvider,), attributes)
    return registry.register(cls())


def text(response) -> str:
    return response.content.decode()


def plain(html: str) -> str:
    """Roughly what a reader sees: tags dropped, whitespace collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def visible_text(response) -> str:
    return plain(text(response))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def card_html(response, key: str = "example") -> str:
    """The HTML of one provider's card on the page."""
    page = text(response)
    start = page.index(f'id="integration-{key}"')
    start = page.rindex("<section", 0, start)
    return page[start : page.index("</section>", start)]


# --- the page -------------------------------------------------------------------------------


def test_heading_subtitle_and_placeholder(owner_client, example_provider):
    response = owner_client.get(INDEX)

    assert response.status_code == 200
    page = visible_text(response)
    assert "Integrations" in page
    assert "Connect third-party services to extend Torqueflow" in page
    assert "More integrations coming" in page
    assert "Xero, QuickBooks, and more payment providers are on the roadmap." in page
    assert reverse("integrations:activity") in text(response)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ((), "Xero, QuickBooks, and more payment providers are on the roadmap."),
        (("GoHighLevel",), "Xero, QuickBooks, and more payment providers are on the roadmap."),
        (("Xero",), "QuickBooks and more payment providers are on the roadmap."),
        (("QuickBooks",), "Xero and more payment providers are on the roadmap."),
        (("Xero", "QuickBooks"), "More payment providers are on the roadmap."),
    ],
)
def test_placeholder_names_what_is_not_built_yet(owner_client, names, expected):
    for name in names:
        provider_named(name.lower(), name)

    assert expected in visible_text(owner_client.get(INDEX))
    assert selectors.roadmap_text() == expected


def test_not_connected_card(owner_client, example_provider):
    response = owner_client.get(INDEX)

    card = card_html(response)
    words = plain(card)
    assert '<span class="badge">Not Connected</span>' in card
    assert example_provider.description in words
    assert "Push finalised invoices" in words
    assert "Payments sync back automatically" in words
    assert "Connect Example" in words
    assert f'action="{reverse("integrations:connect", args=["example"])}"' in card
    for connected_only in ("Account ID", "Test Connection", "Disconnect", "Invoices Synced"):
        assert connected_only not in words


def test_disconnected_card_reads_not_connected(owner_client, make_connection, org):
    make_connection(org, state=Connection.State.DISCONNECTED, access_token=None)

    card = card_html(owner_client.get(INDEX))

    assert "Not Connected" in plain(card)
    assert "Connect Example" in plain(card)
    assert "Disconnect" not in plain(card)


def test_connected_card_shows_the_account_and_controls(owner_client, make_connection, org):
    connected_at = timezone.make_aware(datetime.datetime(2026, 3, 4, 9, 30))
    make_connection(
        org,
        remote_account_id="loc-42",
        remote_account_name="Alpha Heating (Example)",
        connected_at=connected_at,
    )

    response = owner_client.get(INDEX)

    card = card_html(response)
    words = plain(card)
    assert '<span class="badge badge-green">Connected</span>' in card
    assert "Alpha Heating (Example)" in words
    assert "Account ID loc-42" in words
    assert "Connected 4 Mar 2026, 09:30" in words
    assert "Invoices Synced 0" in words
    assert "Last Sync Never" in words
    assert "Push invoices when finalised" in words
    assert 'role="switch"' in card
    assert "Test Connection" in words
    assert "Disconnect" in words
    assert "Connect Example" not in words


def test_connected_card_shows_sync_counts_once_pushed(owner_client, make_connection, org):
    last = timezone.make_aware(datetime.datetime(2026, 3, 5, 14, 5))
    make_connection(org, invoices_synced=12, last_sync_at=last)

    words = plain(card_html(owner_client.get(INDEX)))

    assert "Invoices Synced 12" in words
    assert "Last Sync 5 Mar 2026, 14:05" in words


def test_toggles_show_their_saved_values(owner_client, make_connection, org):
    make_connection(org, settings={"auto_push": False})

    card = card_html(owner_client.get(INDEX))

    auto_push = card[card.index('id="toggle-example-auto_push"') :]
    auto_push = auto_push[: auto_push.index("</form>")]
    assert "checked" not in auto_push
    assert 'hx-trigger="change"' in auto_push
    assert "<noscript>" in auto_push
    # The child toggle does nothing while auto-push is off, and says so.
    assert "Only while “Push invoices when finalised” is on" in plain(card)


def test_requires_reauth_card_asks_to_reconnect(owner_client, make_connection, org):
    make_connection(org, state=Connection.State.REQUIRES_REAUTH)

    card = card_html(owner_client.get(INDEX))
    words = plain(card)

    assert "badge-orange" in card
    assert "Reconnect Example" in words
    assert "Reconnect to resume syncing" in words
    assert f'action="{reverse("integrations:connect", args=["example"])}"' in card
    assert "Test Connection" not in words
    # Its switches are shown but cannot be changed until the connection works again.
    assert "disabled" in card[card.index('id="toggle-example-auto_push"') :]


def test_setup_incomplete_card_leads_to_the_account_choice(owner_client, make_connection, org):
    accounts = [{"id": "a1", "name": "Alpha UK"}, {"id": "a2", "name": "Alpha IE"}]
    make_connection(
        org, state=Connection.State.SETUP_INCOMPLETE, settings={"remote_accounts": accounts}
    )

    card = card_html(owner_client.get(INDEX))

    assert "Setup Incomplete" in plain(card)
    assert reverse("integrations:choose", args=["example"]) in card


@pytest.mark.parametrize(
    ("state", "tone", "hint"),
    [
        (None, "grey", "Connect Example to start syncing"),
        (Connection.State.ACTIVE, "green", "Nothing to do: syncing is on"),
        (Connection.State.DISCONNECTED, "grey", "Connect Example again to resume syncing"),
        (Connection.State.REQUIRES_REAUTH, "orange", "Reconnect to resume syncing"),
        (Connection.State.SETUP_INCOMPLETE, "orange", "Connect Example again to finish"),
        (Connection.State.PENDING_CREDITS, "orange", "Add credits in Example"),
        (Connection.State.GRACE_PERIOD, "orange", "Renew your Example plan"),
    ],
)
def test_status_overview_card(
    owner_client, example_provider, make_connection, org, state, tone, hint
):
    if state is not None:
        make_connection(org, state=state)

    page = text(owner_client.get(INDEX))

    tile = page[page.index('id="status-example"') - 60 :]
    tile = tile[: tile.index("</div>")]
    assert f"status-tile tone-{tone}" in tile
    assert hint in plain(tile)
    assert 'href="#integration-example"' in tile


def test_a_card_that_fails_to_build_shows_an_alert_and_the_rest_renders(
    owner_client, example_provider, make_connection, org, monkeypatch, caplog
):
    other = provider_named("other", "Other")
    make_connection(org)

    def broken(*args, **kwargs):
        raise RuntimeError("provider bug")

    monkeypatch.setattr(example_provider, "oauth_config", broken)
    with caplog.at_level(logging.ERROR, logger="integrations.selectors"):
        response = owner_client.get(INDEX)

    assert response.status_code == 200
    broken_card = card_html(response, "example")
    assert 'role="alert"' in broken_card
    assert "Error loading integration status" in plain(broken_card)
    assert "Test Connection" not in plain(broken_card)
    assert "Connect Other" in plain(card_html(response, other.key))
    assert "More integrations coming" in visible_text(response)
    assert "provider bug" in caplog.text


def test_card_fragment_returns_one_card_and_its_tile(owner_client, make_connection, org):
    make_connection(org)

    response = owner_client.get(
        reverse("integrations:card", args=["example"]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert 'id="integration-example"' in body
    assert 'id="status-example"' in body and 'hx-swap-oob="true"' in body
    assert "Connected" in plain(body)


def test_card_fragment_for_a_broken_provider_is_the_alert(
    owner_client, example_provider, monkeypatch
):
    monkeypatch.setattr(example_provider, "oauth_config", lambda: 1 / 0)

    response = owner_client.get(reverse("integrations:card", args=["example"]))

    assert response.status_code == 200
    assert "Error loading integration status" in text(response)


def test_unknown_provider_is_404(owner_client, example_provider):
    for name in ("card", "connect", "callback", "choose", "test", "disconnect"):
        url = reverse(f"integrations:{name}", args=["nope"])
        method = owner_client.get if name in ("card", "callback", "choose") else owner_client.post
        assert method(url).status_code == 404, name
    toggle = reverse("integrations:toggle", args=["nope", "auto_push"])
    assert owner_client.post(toggle, {"value": "on"}).status_code == 404


def test_page_lets_connect_forms_reach_the_providers_sign_in(owner_client, example_provider):
    response = owner_client.get(INDEX)

    policy = response.headers["Content-Security-Policy"]
    form_action = next(p for p in policy.split(";") if "form-action" in p)
    assert "'self'" in form_action
    assert "https://auth.example-provider.test" in form_action


def test_another_organisations_connection_is_not_shown(
    owner_client, make_connection, other_org, example_provider
):
    make_connection(other_org, remote_account_name="Bravo's account")

    page = visible_text(owner_client.get(INDEX))

    assert "Bravo's account" not in page
    assert "Not Connected" in page


# --- query counts ---------------------------------------------------------------------------


def queries_for(client, url) -> list[str]:
    client.get(url)  # warm up: session, anything read once per process
    with CaptureQueriesContext(db_connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_index_queries_do_not_grow_with_connections(owner_client, make_connection, org):
    keys = [f"provider{n}" for n in range(5)]
    for key in keys:
        provider_named(key, key.title())

    make_connection(org, provider=keys[0])
    with_1 = queries_for(owner_client, INDEX)
    for key in keys[1:]:
        make_connection(org, provider=key, invoices_synced=3, last_sync_at=timezone.now())
    with_5 = queries_for(owner_client, INDEX)

    assert Connection.objects.count() == 5
    assert len(with_5) == len(with_1), "\n".join(with_5)
    assert sum("integrations_connection" in q for q in with_5) == 1


def test_index_queries_do_not_grow_with_activity(owner_client, make_connection, org):
    connection = make_connection(org)
    with_0 = queries_for(owner_client, INDEX)
    for n in range(50):
        SyncActivity.objects.create(
            organisation=org, connection=connection, action="push", result="ok", subject=f"#{n}"
        )
    with_50 = queries_for(owner_client, INDEX)

    assert len(with_50) == len(with_0), "\n".join(with_50)


# --- the activity log -----------------------------------------------------------------------


def add_activity(connection, count, **fields):
    for n in range(count):
        SyncActivity.objects.create(
            organisation_id=connection.organisation_id,
            connection=connection,
            action=fields.get("action", "push"),
            result=fields.get("result", "ok"),
            subject=f"{fields.get('prefix', 'INV-')}{n:04d}",
            message=fields.get("message", ""),
        )


def test_activity_page_lists_newest_first(owner_client, make_connection, org, other_org):
    connection = make_connection(org)
    add_activity(connection, 2)
    SyncActivity.objects.create(
        organisation=org,
        connection=connection,
        action="push",
        result="failed",
        subject="INV-0099",
        message="Example refused the invoice: contact missing",
    )
    add_activity(make_connection(other_org), 1, prefix="BRAVO-")

    response = owner_client.get(reverse("integrations:activity"))

    assert response.status_code == 200
    page = visible_text(response)
    assert "Sync activity" in page
    assert page.index("INV-0099") < page.index("INV-0001") < page.index("INV-0000")
    assert "Example refused the invoice: contact missing" in page
    assert "Failed" in page and "Example" in page
    assert "BRAVO-" not in page


def test_activity_page_is_paginated_by_50(owner_client, make_connection, org):
    add_activity(make_connection(org), 55)

    first = visible_text(owner_client.get(reverse("integrations:activity")))
    second = visible_text(owner_client.get(reverse("integrations:activity"), {"page": 2}))

    assert "INV-0054" in first and "INV-0005" in first and "INV-0004" not in first
    assert "Page 1 of 2" in first
    assert "INV-0004" in second and "INV-0000" in second and "INV-0005" not in second


def test_activity_page_filters_by_provider(owner_client, make_connection, org):
    provider_named("other", "Other")
    add_activity(make_connection(org), 1, prefix="EX-")
    add_activity(make_connection(org, provider="other"), 1, prefix="OT-")

    page = visible_text(owner_client.get(reverse("integrations:activity"), {"provider": "other"}))

    assert "OT-0000" in page
    assert "EX-0000" not in page


def test_activity_page_query_count_is_constant(owner_client, make_connection, org):
    connection = make_connection(org)
    url = reverse("integrations:activity")
    add_activity(connection, 1)
    with_1 = queries_for(owner_client, url)
    add_activity(connection, 49)
    with_50 = queries_for(owner_client, url)

    assert len(with_50) == len(with_1), "\n".join(with_50)


# --- who may see it -------------------------------------------------------------------------

# The sync activity is read by the Accountant too (integrations.activity.view): see
# tests/accounts/test_permissions.py and test_team.py.
ACTIONS = [
    ("get", "index", []),
    ("get", "card", ["example"]),
    ("post", "connect", ["example"]),
    ("get", "callback", ["example"]),
    ("get", "choose", ["example"]),
    ("post", "choose", ["example"]),
    ("post", "toggle", ["example", "auto_push"]),
    ("post", "test", ["example"]),
    ("get", "disconnect", ["example"]),
    ("post", "disconnect", ["example"]),
]


@pytest.mark.parametrize("who", ["staff_client", "accountant_client"])
@pytest.mark.parametrize(("method", "name", "args"), ACTIONS)
def test_members_without_the_capability_are_sent_to_settings(
    request, who, make_connection, org, method, name, args
):
    role_client = request.getfixturevalue(who)
    connection = make_connection(org)
    url = reverse(f"integrations:{name}", args=args)

    response = getattr(role_client, method)(url, {"value": "off"} if method == "post" else {})

    assert response.status_code == 302
    assert response.url == reverse("settings_index")
    assert messages_of(response) == [PERMISSION_MESSAGE]
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    assert connection.settings == {}


@pytest.mark.parametrize("who", ["staff_client", "accountant_client"])
@pytest.mark.parametrize(("method", "name", "args"), ACTIONS)
def test_htmx_requests_without_the_capability_get_hx_redirect(
    request, who, example_provider, method, name, args
):
    role_client = request.getfixturevalue(who)
    url = reverse(f"integrations:{name}", args=args)

    response = getattr(role_client, method)(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == reverse("settings_index")
    assert "HX-Trigger" not in response.headers
    # The message waits for the Settings page the browser is sent to.
    page = role_client.get(reverse("settings_index"))
    assert PERMISSION_MESSAGE in visible_text(page)


def test_anonymous_visitors_are_asked_to_log_in(client, example_provider):
    response = client.get(INDEX)

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={INDEX}"


def test_settings_page_links_here(owner_client):
    assert INDEX in text(owner_client.get(reverse("settings_index")))


def test_toast_header_shape_is_what_app_js_reads(owner_client, make_connection, org):
    """Guards the contract with static/js/app.js: {"toasts": {"items": [{text, level}]}}."""
    make_connection(org)

    response = owner_client.post(
        reverse("integrations:toggle", args=["example", "auto_push"]),
        {"value": "off"},
        headers={"HX-Request": "true"},
    )

    trigger = json.loads(response.headers["HX-Trigger"])
    assert trigger == {"toasts": {"items": [{"text": "Auto-push disabled", "level": "success"}]}}
