"""The Integrations page's tab bar and each provider's tab, for every way of connecting."""

import re

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.models import Connection
from tests.helpers import text, visible_text

from .conftest import ExampleProvider, KeyedProvider, PortalProvider

pytestmark = pytest.mark.django_db

INDEX = reverse("integrations:index")
KINDS = ("example", "keyed", "portal")


@pytest.fixture(autouse=True)
def one_provider_of_each_kind(monkeypatch, example_provider, keyed_provider, portal_provider):
    monkeypatch.setattr(
        registry,
        "_registry",
        {p.key: p for p in (example_provider, keyed_provider, portal_provider)},
    )


def provider_url(key: str) -> str:
    return reverse("integrations:provider", args=[key])


def tab_bar(response) -> str:
    page = text(response)
    start = page.index('<nav class="integration-tabs"')
    return page[start : page.index("</nav>", start)]


def tabs(response) -> list[tuple[str, str, bool]]:
    """(label, href, current) for each tab, in order."""
    return [
        (label, href, bool(current))
        for href, current, label in re.findall(
            r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', tab_bar(response)
        )
    ]


def copy_of(cls, key: str):
    return registry.register(type(f"{cls.__name__}{key}", (cls,), {"key": key})())


def test_the_page_has_a_tab_per_provider_and_all_is_current(owner_client):
    response = owner_client.get(INDEX)

    assert 'aria-label="Integrations"' in tab_bar(response)
    assert tabs(response) == [
        ("All", INDEX, True),
        ("Example", provider_url("example"), False),
        ("SMS", provider_url("keyed"), False),  # tab_label
        ("Portal", provider_url("portal"), False),
    ]
    page = text(response)
    assert page.index('class="status-overview"') < page.index("integration-tabs")
    assert page.index("integration-tabs") < page.index('class="integration-grid"')


@pytest.mark.parametrize("key", KINDS)
def test_each_tab_is_its_providers_page_with_its_tab_current(owner_client, key):
    response = owner_client.get(provider_url(key))

    assert response.status_code == 200
    current = [label for label, _, is_current in tabs(response) if is_current]
    assert current == [registry.get(key).tab_label or registry.get(key).name]
    assert ("All", INDEX, False) in tabs(response)
    page = text(response)
    for other in KINDS:
        assert f'id="status-{other}"' in page  # the whole overview
        assert (f'id="integration-{other}"' in page) == (other == key)  # only its card
    assert "Status unavailable" not in page


def test_on_a_tab_the_other_tiles_lead_to_their_tabs(owner_client):
    page = text(owner_client.get(provider_url("keyed")))

    head = r'id="status-{key}">\s*<a class="status-tile-head" href="{href}"'
    assert re.search(head.format(key="keyed", href="#integration-keyed"), page)
    assert re.search(head.format(key="portal", href=provider_url("portal")), page)


def test_a_providers_own_page_renders_under_its_card(owner_client, org):
    response = owner_client.get(provider_url("portal"))

    page = text(response)
    assert page.index('id="integration-portal"') < page.index('id="portal-page"')
    assert "3 portal accounts at Alpha Heating Ltd" in visible_text(response)
    assert "Portal is Not Enabled" in visible_text(response)
    assert 'id="portal-page"' not in text(owner_client.get(INDEX))


def test_a_providers_page_that_fails_leaves_its_card(owner_client, portal_provider, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("portal bug")

    monkeypatch.setattr(portal_provider, "page_context", broken)

    response = owner_client.get(provider_url("portal"))

    assert response.status_code == 200
    assert "This part of the Client Portal page could not be loaded." in visible_text(response)
    assert "Enable Client Portal" in visible_text(response)


def test_the_tab_bar_works_on_the_pages_the_actions_come_back_to(owner_client):
    # A provider's tab has the same forms as the card on the grid.
    page = text(owner_client.get(provider_url("keyed")))
    assert f'action="{reverse("integrations:credentials", args=["keyed"])}"' in page
    page = text(owner_client.get(provider_url("portal")))
    assert f'action="{reverse("integrations:enable", args=["portal"])}"' in page
    page = text(owner_client.get(provider_url("example")))
    assert f'action="{reverse("integrations:connect", args=["example"])}"' in page


@pytest.mark.parametrize(
    ("state", "tones"),
    [
        (None, {"example": "grey", "keyed": "grey", "portal": "grey"}),
        (Connection.State.ACTIVE, {"example": "green", "keyed": "green", "portal": "green"}),
        (
            Connection.State.DISCONNECTED,
            {"example": "grey", "keyed": "grey", "portal": "grey"},
        ),
        (
            Connection.State.SETUP_INCOMPLETE,
            {"example": "orange", "keyed": "orange", "portal": "orange"},
        ),
        (
            Connection.State.REQUIRES_REAUTH,
            {"example": "orange", "keyed": "orange", "portal": "orange"},
        ),
    ],
)
def test_status_colours_hold_for_every_kind(owner_client, org, state, tones):
    if state is not None:
        for key in KINDS:
            Connection.objects.create(organisation=org, provider=key, state=state)

    page = text(owner_client.get(INDEX))

    for key, tone in tones.items():
        tile = page[page.rindex("<div", 0, page.index(f'id="status-{key}"')) :]
        assert tile.startswith(f'<div class="status-tile tone-{tone}"'), key
    assert "Status unavailable" not in page


# --- queries --------------------------------------------------------------------------------


def queries_for(client, url) -> int:
    client.get(url)  # warm up
    with CaptureQueriesContext(db_connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", [INDEX, reverse("integrations:provider", args=["keyed"])])
def test_queries_stay_flat_as_providers_of_every_kind_are_added(owner_client, org, url):
    for key in KINDS:
        Connection.objects.create(
            organisation=org, provider=key, state="active", connected_at=timezone.now()
        )
    before = queries_for(owner_client, url)
    for n in range(3):
        for cls in (ExampleProvider, KeyedProvider, PortalProvider):
            provider = copy_of(cls, f"{cls.__name__.lower()}{n}")
            Connection.objects.create(
                organisation=org, provider=provider.key, state="active", credentials={"a": "b"}
            )

    after = queries_for(owner_client, url)

    assert after == before
