"""A provider with nothing remote to connect (the client portal): Enable and Disable."""

import pytest
from django.test import Client
from django.urls import reverse

from integrations import registry
from integrations.models import Connection, SyncActivity
from invoicing.models import AuditLog
from tests.helpers import messages_of, text, visible_text

pytestmark = pytest.mark.django_db

INDEX = reverse("integrations:index")
ENABLE = reverse("integrations:enable", args=["portal"])
DISABLE = reverse("integrations:disable", args=["portal"])
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def only_test_providers(monkeypatch, portal_provider):
    monkeypatch.setattr(registry, "_registry", {"portal": portal_provider})


def card_html(response, key: str = "portal") -> str:
    page = text(response)
    start = page.rindex("<section", 0, page.index(f'id="integration-{key}"'))
    return page[start : page.index("</section>", start)]


def tile_html(response, key: str = "portal") -> str:
    page = text(response)
    start = page.rindex("<div", 0, page.index(f'id="status-{key}"'))
    return page[start : page.index("</div>", start)]


def portal(org, state=Connection.State.ACTIVE) -> Connection:
    return Connection.objects.create(organisation=org, provider="portal", state=state)


def test_not_enabled_card_offers_enable(owner_client):
    response = owner_client.get(INDEX)

    card = card_html(response)
    assert "Status unavailable" not in text(response)
    assert "Error loading integration status" not in text(response)
    assert '<span class="badge">Not Enabled</span>' in card
    assert f'action="{ENABLE}"' in card and f'hx-post="{ENABLE}"' in card
    assert 'name="csrfmiddlewaretoken"' in card
    assert "Enable Client Portal" in card
    for remote_only in ("Disconnect", "Account ID", "Invoices Synced", "Test Connection"):
        assert remote_only not in card
    tile = tile_html(response)
    assert "tone-grey" in tile
    assert "Enable Client Portal to start using it" in tile


def test_enable_turns_it_on(owner_client, owner, org):
    response = owner_client.post(ENABLE)

    assert response.status_code == 302
    assert response.url == f"{INDEX}#integration-portal"
    assert messages_of(response) == ["Client Portal enabled."]
    connection = Connection.objects.get(organisation=org, provider="portal")
    assert connection.state == Connection.State.ACTIVE
    assert connection.connected_by == owner
    assert AuditLog.objects.filter(action="portal.enabled").exists()
    assert SyncActivity.objects.get().action == "enable"

    page = owner_client.get(INDEX)
    card = card_html(page)
    assert '<span class="badge badge-green">Enabled</span>' in card
    assert "Disable Client Portal" in card and f'action="{DISABLE}"' in card
    assert "tone-green" in tile_html(page)
    assert "Nothing to do: Client Portal is on" in tile_html(page)


def test_enable_over_htmx_swaps_the_card_and_tile(owner_client):
    response = owner_client.post(ENABLE, headers=HTMX)

    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert 'id="integration-portal"' in body and 'id="status-portal"' in body
    assert "Disable Client Portal" in body
    assert "Client Portal enabled." in response.headers["HX-Trigger"]


def test_enable_twice_changes_nothing(owner_client, org):
    connection = portal(org)
    before = connection.connected_at

    owner_client.post(ENABLE)

    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    assert connection.connected_at == before


def test_disable_turns_it_off(owner_client, org):
    connection = portal(org)

    response = owner_client.post(DISABLE, headers=HTMX)

    assert "Client Portal disabled." in response.headers["HX-Trigger"]
    assert '<span class="badge">Disabled</span>' in text(response)
    assert "Enable Client Portal" in text(response)
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED
    assert AuditLog.objects.filter(action="portal.disabled").exists()
    assert "Enable Client Portal to turn it back on" in visible_text(owner_client.get(INDEX))


def test_disable_when_not_enabled_says_so(owner_client):
    response = owner_client.post(DISABLE)

    assert messages_of(response) == ["Client Portal is not enabled."]
    assert not Connection.objects.exists()


def test_disconnect_disables_it_too(owner_client, org):
    connection = portal(org)

    response = owner_client.post(reverse("integrations:disconnect", args=["portal"]))

    assert messages_of(response) == ["Client Portal disabled."]
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED


@pytest.mark.parametrize("url", [ENABLE, DISABLE])
def test_enable_and_disable_are_posts(owner_client, url):
    assert owner_client.get(url).status_code == 405


def test_enable_is_only_for_providers_without_a_remote_account(owner_client, example_provider):
    assert owner_client.post(reverse("integrations:enable", args=["example"])).status_code == 404
    assert owner_client.post(reverse("integrations:disable", args=["example"])).status_code == 404
    assert owner_client.post(reverse("integrations:connect", args=["portal"])).status_code == 404
    assert owner_client.get(reverse("integrations:credentials", args=["portal"])).status_code == 404


def test_another_organisations_portal_is_never_touched(owner_client, org, other_org):
    theirs = portal(other_org)

    assert "Not Enabled" in card_html(owner_client.get(INDEX))
    owner_client.post(ENABLE)
    owner_client.post(DISABLE)

    theirs.refresh_from_db()
    assert theirs.state == Connection.State.ACTIVE
    assert Connection.objects.get(organisation=org).state == Connection.State.DISCONNECTED


@pytest.mark.parametrize(
    ("url", "state"),
    [(ENABLE, Connection.State.NOT_CONNECTED), (DISABLE, Connection.State.ACTIVE)],
)
def test_enable_and_disable_need_the_csrf_token(owner, org, url, state):
    connection = portal(org, state=state)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.post(url).status_code == 403
    connection.refresh_from_db()
    assert connection.state == state


def test_staff_cannot_enable(staff_client):
    response = staff_client.post(ENABLE)

    assert response.status_code == 302
    assert not Connection.objects.exists()
