"""Failed sign-ins are throttled per email address and per client address (django-axes), and
an Owner unlocks members of their organisation in Settings → Security."""

import datetime as dt
import importlib
import logging
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.urls import reverse

from accounts.capabilities import OWNER, SECURITY_MANAGE, STAFF
from accounts.models import Role

from ..conftest import client_for, make_member
from ..factories import PASSWORD, UserFactory
from ..helpers import messages_of, text, visible_text

LOGIN = reverse("accounts:login")
SECURITY = reverse("settings_security")
LIMIT = 3  # each wrong password costs a real password hash: a small limit keeps this quick
WRONG = "not-the-password-7Qx"
LONDON = ZoneInfo("Europe/London")
# Summer time: London is UTC+1, so the lockout ends at 15:42 there and 14:42 in UTC.
FIRST_FAILURE = dt.datetime(2025, 7, 10, 15, 20, tzinfo=LONDON)
LATEST_FAILURE = dt.datetime(2025, 7, 10, 15, 27, tzinfo=LONDON)
ATTACKER = "203.0.113.9"


@pytest.fixture(autouse=True)
def throttle(settings):
    """A fixed limit and the default 15-minute cool-off, whatever the environment says."""
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
    settings.AXES_IPWARE_PROXY_COUNT = 0


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


def fail(client: Client, email: str, times: int = LIMIT):
    response = None
    for _ in range(times):
        response = log_in(client, email, WRONG)
    return response


def signed_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def security_log(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "accounts.security"]


# Throttling


def test_after_the_limit_the_right_password_is_refused_until_the_cool_off_ends(owner):
    client = Client()
    with time_machine.travel(FIRST_FAILURE, tick=False) as clock:
        for _ in range(LIMIT - 1):
            assert log_in(client, "owner@alpha.test", WRONG).status_code == 200
        clock.move_to(LATEST_FAILURE)
        assert log_in(client, "owner@alpha.test", WRONG).status_code == 429

        refused = log_in(client, "owner@alpha.test")

        assert refused.status_code == 429
        assert not refused.wsgi_request.user.is_authenticated
        page = visible_text(refused)
        assert "Too many failed sign-in attempts. Try again after 15:42." in page
        assert "That email and password do not match an account." not in page
        assert 'name="password"' in text(refused)  # the login form, to try again later
        assert 'value="owner@alpha.test"' in text(refused)
        assert refused["Retry-After"] == str(15 * 60)

        clock.move_to(LATEST_FAILURE + dt.timedelta(minutes=14, seconds=59))
        assert log_in(client, "owner@alpha.test").status_code == 429
        clock.move_to(LATEST_FAILURE + dt.timedelta(minutes=15, seconds=1))
        assert signed_in(log_in(client, "owner@alpha.test"))


def test_wrong_passwords_for_many_accounts_from_one_address_lock_the_address(org, owner):
    attacker = from_address(ATTACKER)
    for n in range(LIMIT):
        member = make_member(org, STAFF, email=f"member{n}@alpha.test")
        assert log_in(attacker, member.email, WRONG).status_code == (429 if n == LIMIT - 1 else 200)

    assert log_in(attacker, "owner@alpha.test").status_code == 429
    assert log_in(from_address(ATTACKER), "member0@alpha.test").status_code == 429
    # each account had one failure: from anywhere else they sign in
    assert signed_in(log_in(from_address("198.51.100.7"), "owner@alpha.test"))
    assert signed_in(log_in(from_address("198.51.100.8"), "member0@alpha.test"))


def test_the_same_account_attacked_from_many_addresses_is_locked(org, owner, staff):
    typed = ["owner@alpha.test", "OWNER@alpha.test", " Owner@Alpha.Test ", "owner@ALPHA.test"]
    for n in range(LIMIT):
        fail(from_address(f"203.0.113.{n + 1}"), typed[n % len(typed)], times=1)

    refused = log_in(from_address("198.51.100.7"), "owner@alpha.test")

    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in visible_text(refused)
    # the addresses themselves are not locked: another account signs in from one of them
    assert signed_in(log_in(from_address("203.0.113.1"), "staff@alpha.test"))


def test_a_successful_sign_in_before_the_limit_resets_the_count(owner):
    fail(Client(), "owner@alpha.test", times=LIMIT - 1)
    assert signed_in(log_in(Client(), "owner@alpha.test"))

    assert fail(Client(), "owner@alpha.test", times=LIMIT - 1).status_code == 200
    assert signed_in(log_in(Client(), "owner@alpha.test"))
    # counting starts again from nothing, and still locks at the limit
    assert fail(Client(), "owner@alpha.test", times=LIMIT).status_code == 429


def test_a_successful_sign_in_keeps_failures_from_elsewhere(owner):
    """Signing in forgives that account's failures from where it signed in, not an attacker's."""
    fail(from_address(ATTACKER), "owner@alpha.test", times=LIMIT - 1)
    assert signed_in(log_in(from_address("198.51.100.7"), "owner@alpha.test"))

    fail(from_address(ATTACKER), "owner@alpha.test", times=1)

    assert log_in(from_address("198.51.100.7"), "owner@alpha.test").status_code == 429


def test_the_lockout_logs_a_warning_naming_the_user_and_address_not_the_password(owner, caplog):
    caplog.set_level(logging.INFO)
    client = from_address(ATTACKER)
    fail(client, "Owner@Alpha.test", times=LIMIT - 1)
    assert security_log(caplog) == []

    fail(client, "Owner@Alpha.test", times=1)

    [record] = security_log(caplog)
    assert record.levelno == logging.WARNING
    line = record.getMessage()
    assert "owner@alpha.test" in line
    assert ATTACKER in line
    assert WRONG not in line
    assert all(WRONG not in r.getMessage() for r in caplog.records)


def test_the_admin_login_is_throttled_too(db):
    UserFactory(email="admin@alpha.test", is_staff=True, is_superuser=True)
    client = Client()
    admin_login = reverse("admin:login")
    for _ in range(LIMIT):
        client.post(admin_login, {"username": "admin@alpha.test", "password": WRONG})

    refused = client.post(admin_login, {"username": "admin@alpha.test", "password": PASSWORD})

    assert refused.status_code == 429
    assert not refused.wsgi_request.user.is_authenticated


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(settings, org, owner):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.1, {ATTACKER}")
    for n in range(LIMIT):
        fail(attacker, f"nobody{n}@alpha.test", times=1)

    assert log_in(attacker, "owner@alpha.test").status_code == 429
    # a spoofed left-hand entry does not get the attacker out
    spoofed = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.9, {ATTACKER}")
    assert log_in(spoofed, "owner@alpha.test").status_code == 429
    # someone else behind the same proxy is not locked out with the attacker
    neighbour = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert signed_in(log_in(neighbour, "owner@alpha.test"))


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(org, owner):
    for n in range(LIMIT):
        client = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}")
        fail(client, f"nobody{n}@alpha.test", times=1)

    other = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert log_in(other, "owner@alpha.test").status_code == 429


def test_force_login_is_not_throttled(owner):
    fail(Client(), "owner@alpha.test")
    assert log_in(Client(), "owner@alpha.test").status_code == 429

    assert client_for(owner).get(reverse("invoicing:sales_list")).status_code == 200


# Settings → Security


def test_the_security_page_lists_locked_members_of_the_owners_organisation_only(
    org, other_org, owner, owner_client, staff
):
    outsider = make_member(other_org, STAFF, email="someone@bravo.test")
    fail(Client(), "owner@alpha.test", times=1)  # one failure: not locked
    with time_machine.travel(LATEST_FAILURE, tick=False):
        fail(from_address(ATTACKER), "staff@alpha.test")
        fail(from_address("198.51.100.50"), outsider.email)

        page = owner_client.get(SECURITY)

    assert page.status_code == 200
    rows = re.findall(r"<tr>.*?</tr>", text(page), flags=re.S)
    [row] = [r for r in rows if 'name="username"' in r]
    assert "staff@alpha.test" in row
    assert ATTACKER in row
    assert f">{LIMIT}<" in row
    assert "10 Jul 2025, 15:42" in row
    assert "someone@bravo.test" not in text(page)
    assert "198.51.100.50" not in text(page)
    assert "owner@alpha.test" not in "".join(rows)
    assert "No sign-ins are locked." not in text(page)


def test_the_security_page_lists_a_member_whose_address_is_locked(org, owner_client, staff):
    """Two members' failures from one shared address lock it for both, though neither
    member's own failures reach the limit."""
    make_member(org, STAFF, email="second@alpha.test")
    office = from_address("192.0.2.10")
    fail(office, "staff@alpha.test", times=LIMIT - 1)
    fail(office, "second@alpha.test", times=1)

    page = visible_text(owner_client.get(SECURITY))

    assert "staff@alpha.test" in page
    assert "second@alpha.test" in page
    assert "192.0.2.10" in page


def test_the_security_page_says_when_nothing_is_locked(owner_client):
    response = owner_client.get(SECURITY)

    assert response.status_code == 200
    assert "No sign-ins are locked." in visible_text(response)


@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_cannot_use_the_security_page(staff_client, staff, method):
    fail(Client(), "staff@alpha.test")

    response = getattr(staff_client, method)(SECURITY, {"username": "staff@alpha.test"})

    assert response.status_code == 302
    assert response.url == reverse("settings_index")
    assert log_in(Client(), "staff@alpha.test").status_code == 429


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(SECURITY)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_the_settings_page_links_security_for_the_owner_only(owner_client, staff_client):
    assert SECURITY in text(owner_client.get(reverse("settings_index")))
    assert SECURITY not in text(staff_client.get(reverse("settings_index")))


def test_unlock_lets_the_right_password_in_at_once_and_logs_it(owner_client, staff, caplog):
    fail(from_address(ATTACKER), "staff@alpha.test")
    assert log_in(from_address(ATTACKER), "staff@alpha.test").status_code == 429
    caplog.clear()

    response = owner_client.post(SECURITY, {"username": "staff@alpha.test"})

    assert response.status_code == 302
    assert response.url == SECURITY
    assert messages_of(response) == ["Sign-in unlocked for staff@alpha.test."]
    [record] = security_log(caplog)
    assert record.levelno == logging.WARNING
    assert "staff@alpha.test" in record.getMessage()
    assert "owner@alpha.test" in record.getMessage()
    assert signed_in(log_in(from_address(ATTACKER), "staff@alpha.test"))
    assert "No sign-ins are locked." in visible_text(owner_client.get(SECURITY))


def test_unlocking_another_organisations_member_is_refused_and_leaves_them_locked(
    owner_client, other_org
):
    outsider = make_member(other_org, OWNER, email="boss@bravo.test")
    fail(Client(), outsider.email)

    response = owner_client.post(SECURITY, {"username": "boss@bravo.test"})

    assert response.status_code == 404
    assert log_in(from_address("198.51.100.7"), "boss@bravo.test").status_code == 429


def test_unlocking_a_member_leaves_other_organisations_failures_counted(
    org, other_org, owner_client, staff
):
    """The staff member and another organisation's member failed from one address: the
    unlock clears the staff member's failures only."""
    outsider = make_member(other_org, STAFF, email="victim@bravo.test")
    fail(from_address("198.51.100.50"), outsider.email, times=1)
    fail(from_address(ATTACKER), "staff@alpha.test", times=1)
    # the outsider's failures reach the limit, and so do the address's
    fail(from_address(ATTACKER), outsider.email, times=LIMIT - 1)
    assert log_in(from_address(ATTACKER), "staff@alpha.test").status_code == 429
    assert "staff@alpha.test" in visible_text(owner_client.get(SECURITY))

    response = owner_client.post(SECURITY, {"username": "Staff@Alpha.test"})

    assert messages_of(response) == ["Sign-in unlocked for staff@alpha.test."]
    assert log_in(from_address("198.51.100.7"), outsider.email).status_code == 429
    assert signed_in(log_in(from_address(ATTACKER), "staff@alpha.test"))


def test_the_unlock_form_needs_its_csrf_token(owner, staff):
    fail(Client(), "staff@alpha.test")
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = text(client.get(SECURITY))
    form = re.search(r"<form method=\"post\"[^>]*data-confirm=\"([^\"]+)\".*?</form>", page, re.S)
    assert form is not None
    assert "Unlock sign-in for staff@alpha.test?" in form.group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)

    refused = client.post(SECURITY, {"username": "staff@alpha.test"})

    assert refused.status_code == 403
    assert log_in(Client(), "staff@alpha.test").status_code == 429

    accepted = client.post(SECURITY, {"username": "staff@alpha.test", "csrfmiddlewaretoken": token})

    assert accepted.status_code == 302
    assert signed_in(log_in(Client(), "staff@alpha.test"))


def test_existing_owner_roles_get_the_new_capability(org):
    migration = importlib.import_module("accounts.migrations.0003_owner_unlocks_sign_ins")
    owner_role = Role.objects.get(organisation=org, key=OWNER)
    owner_role.capabilities = [c for c in owner_role.capabilities if c != SECURITY_MANAGE]
    owner_role.save()

    migration.add_to_owners(apps, None)

    owner_role.refresh_from_db()
    assert SECURITY_MANAGE in owner_role.capabilities
    assert SECURITY_MANAGE not in Role.objects.get(organisation=org, key=STAFF).capabilities
