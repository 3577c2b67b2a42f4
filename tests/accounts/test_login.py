"""Logging in by email, logging out, and switching organisation."""

import pytest
from django.urls import reverse

from accounts.capabilities import OWNER, STAFF

from ..conftest import client_for, make_member
from ..factories import PASSWORD, MembershipFactory, OrganisationFactory
from ..helpers import text

LOGIN = reverse("accounts:login")
BAD_LOGIN = "That email and password do not match an account."


def log_in(client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


@pytest.mark.parametrize(
    "typed", ["owner@alpha.test", "Owner@Alpha.TEST", "  OWNER@alpha.test  "], ids=repr
)
def test_log_in_with_email_in_any_case(client, owner, typed):
    response = log_in(client, typed)

    assert response.status_code == 302
    assert response.url == reverse("home")
    page = client.get(response.url)
    assert page.status_code == 200
    assert page.wsgi_request.user == owner


def test_log_in_honours_a_safe_next_url(client, owner):
    settings_url = reverse("settings_index")

    response = client.post(
        LOGIN, {"username": "owner@alpha.test", "password": PASSWORD, "next": settings_url}
    )

    assert response.url == settings_url


def test_log_in_ignores_an_offsite_next_url(client, owner):
    response = client.post(
        LOGIN,
        {"username": "owner@alpha.test", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.url == reverse("home")


@pytest.mark.parametrize(
    ("email", "password"),
    [("owner@alpha.test", "wrong password"), ("nobody@alpha.test", PASSWORD)],
    ids=["wrong password", "unknown email"],
)
def test_wrong_credentials_show_the_error(client, owner, email, password):
    response = log_in(client, email, password)

    assert response.status_code == 200
    assert BAD_LOGIN in text(response)
    assert not response.wsgi_request.user.is_authenticated
    assert client.get(reverse("invoicing:sales_list")).status_code == 302


def test_inactive_user_cannot_log_in(client, org):
    make_member(org, STAFF, email="gone@alpha.test", is_active=False)

    response = log_in(client, "gone@alpha.test")

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_logged_in_user_visiting_login_is_sent_on(owner_client):
    response = owner_client.get(LOGIN)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_logout_needs_post(owner_client):
    assert owner_client.get(reverse("accounts:logout")).status_code == 405
    assert owner_client.get(reverse("invoicing:sales_list")).status_code == 200

    response = owner_client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == LOGIN
    assert owner_client.get(reverse("invoicing:sales_list")).status_code == 302


# Organisation switching


@pytest.fixture
def two_org_user(org, other_org):
    """A user who is Owner of both organisations; works in org (Alpha, first by name)."""
    user = make_member(org, OWNER, email="both@example.test")
    MembershipFactory(user=user, organisation=other_org, role_key=OWNER)
    return user


def current_organisation(client):
    return client.get(reverse("settings_index")).wsgi_request.organisation


def switch(client, organisation_id):
    return client.post(reverse("accounts:organisation_switch"), {"organisation": organisation_id})


def test_switch_to_an_organisation_the_user_belongs_to(two_org_user, org, other_org):
    client = client_for(two_org_user)
    assert current_organisation(client) == org

    response = switch(client, other_org.pk)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert current_organisation(client) == other_org
    assert "Bravo Plumbing Ltd" in text(client.get(reverse("invoicing:sales_list")))


def test_switch_menu_lists_only_the_users_organisations(two_org_user, org, other_org):
    OrganisationFactory(name="Charlie Gas Ltd")

    page = text(client_for(two_org_user).get(reverse("invoicing:sales_list")))

    assert f'value="{org.pk}"' in page
    assert f'value="{other_org.pk}"' in page
    assert "Charlie Gas Ltd" not in page


def test_switch_to_someone_elses_organisation_does_nothing(owner_client, org, other_org):
    response = switch(owner_client, other_org.pk)

    assert response.status_code == 302
    assert current_organisation(owner_client) == org
    assert owner_client.session.get("organisation_id") is None


@pytest.mark.parametrize(
    "value", ["", "abc", "99999999", "²", "\u0661", "-1", "1_0", "9999999999999999999999999"]
)
def test_switch_with_nonsense_keeps_the_organisation(owner_client, org, value):
    response = switch(owner_client, value)

    assert response.status_code == 302
    assert current_organisation(owner_client) == org


def test_switch_needs_post(two_org_user, other_org):
    client = client_for(two_org_user)

    response = client.get(reverse("accounts:organisation_switch"), {"organisation": other_org.pk})

    assert response.status_code == 405
    assert current_organisation(client) != other_org


def test_switch_needs_login(client, other_org):
    response = switch(client, other_org.pk)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_a_user_removed_from_the_chosen_organisation_falls_back(two_org_user, org, other_org):
    client = client_for(two_org_user)
    switch(client, other_org.pk)
    two_org_user.memberships.filter(organisation=other_org).delete()

    assert current_organisation(client) == org
