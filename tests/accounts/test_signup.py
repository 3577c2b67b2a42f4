"""Sign-up: a business starts its organisation; its Owner verifies their email (single-use,
72 hours, sent again on request); answers never tell whether an address has an account;
tries are throttled; the page can be closed; password reset through the login page."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import OWNER
from accounts.models import EmailVerification, Membership, Organisation
from notifications.models import Email

from ..factories import PASSWORD, UserFactory
from ..helpers import messages_of, text, visible_text

SIGNUP = "/signup/"
NEW_PASSWORD = "plum tree harbour 42"
BANNER = "Verify your email to connect integrations"


def signup_post(**fields) -> dict:
    return {
        "business_name": "Brightwater Plumbing",
        "first_name": "Nia",
        "last_name": "Hughes",
        "email": "nia@brightwater.test",
        "password": NEW_PASSWORD,
        "country": "GB",
        "currency": "",
        "timezone": "",
        "website": "",
        **fields,
    }


def link_in(email: Email, path_start: str) -> str:
    return re.search(rf"http://testserver({path_start}[^\s]+/)", email.text_body)[1]


def sign_up(client: Client, **fields):
    return client.post(SIGNUP, signup_post(**fields), follow=True)


def test_the_login_page_links_to_sign_up_and_forgot_password(client):
    page = text(client.get("/accounts/login/"))

    assert f'href="{SIGNUP}"' in page and ">Sign up<" in page
    assert 'href="/accounts/password/reset/"' in page and ">Forgot password<" in page


def test_a_business_signs_up_and_its_owner_uses_the_product_at_once(client, db):
    response = sign_up(client)

    assert "Check your email" in visible_text(response)
    organisation = Organisation.objects.get(name="Brightwater Plumbing")
    assert (organisation.country, organisation.default_currency, organisation.timezone) == (
        "GB",
        "GBP",
        "Europe/London",
    )
    membership = Membership.objects.get(organisation=organisation)
    assert membership.role.key == OWNER
    assert membership.user.email == "nia@brightwater.test"
    assert membership.user.get_full_name() == "Nia Hughes"
    email = Email.objects.get(to="nia@brightwater.test")
    assert email.subject == "Verify your email for Torqueflow"
    assert email.organisation == organisation
    home = client.get("/")
    assert home.status_code == 200
    assert BANNER in visible_text(home) and "Send it again" in visible_text(home)


def test_the_owner_picks_another_country_currency_and_time_zone(client, db):
    sign_up(client, country="US", currency="cad", timezone="America/Chicago")

    organisation = Organisation.objects.get(name="Brightwater Plumbing")
    assert (organisation.country, organisation.default_currency, organisation.timezone) == (
        "US",
        "CAD",
        "America/Chicago",
    )


def test_a_weak_password_or_missing_field_is_refused_with_the_reason(client, db):
    response = client.post(SIGNUP, signup_post(password="password", business_name=""))

    assert response.status_code == 400
    page = visible_text(response)
    assert "This password is too common." in page
    assert "This field is required." in page
    assert not Organisation.objects.exists()


def test_verifying_the_email_removes_the_banner_and_the_link_works_once(client, db):
    sign_up(client)
    link = link_in(Email.objects.get(), "/accounts/verify/")

    response = client.get(link, follow=True)

    assert "Your email is verified. You can now connect integrations." in visible_text(response)
    assert BANNER not in visible_text(client.get("/"))
    assert EmailVerification.objects.get().verified_at is not None
    again = client.get(link)
    assert again.status_code == 404
    assert "This link has expired or has already been used." in visible_text(again)


def test_an_expired_link_is_refused_and_a_new_one_can_be_sent(client, db):
    sign_up(client)
    old_link = link_in(Email.objects.get(), "/accounts/verify/")
    EmailVerification.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    assert client.get(old_link).status_code == 404
    resent = client.post(reverse("accounts:email_verify_resend"), {"next": "/"})

    assert messages_of(resent) == ["We sent a new link to nia@brightwater.test."]
    new_email = Email.objects.filter(template="email_verification").first()
    new_link = link_in(new_email, "/accounts/verify/")
    assert new_link != old_link
    verification = EmailVerification.objects.get()
    assert verification.expires_at > timezone.now() + timedelta(hours=71)
    assert client.get(new_link).status_code == 302
    assert EmailVerification.objects.get().verified_at is not None


def test_a_resent_link_replaces_the_old_one(client, db):
    sign_up(client)
    old_link = link_in(Email.objects.get(), "/accounts/verify/")
    client.post(reverse("accounts:email_verify_resend"))

    assert client.get(old_link).status_code == 404
    assert EmailVerification.objects.get().verified_at is None


def test_connecting_a_provider_waits_for_the_verified_email(client, db):
    sign_up(client)

    response = client.post("/settings/integrations/xero/connect/", follow=True)

    assert BANNER in messages_of(response)
    assert not response.redirect_chain or "sandbox" not in response.redirect_chain[-1][0]


def test_an_email_already_registered_gets_the_same_answer_and_a_warning(client, db):
    existing = UserFactory(email="taken@example.test", username="taken@example.test")
    fresh = Client()
    new_answer = visible_text(sign_up(fresh, email="fresh@example.test"))

    answer = visible_text(sign_up(client, email="Taken@Example.test"))

    assert answer.replace("taken@example.test", "X") == new_answer.replace(
        "fresh@example.test", "X"
    )
    assert Organisation.objects.filter(name="Brightwater Plumbing").count() == 1
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD) and existing.first_name != "Nia"
    warning = Email.objects.get(to="taken@example.test")
    assert warning.subject == "Someone tried to sign up to Torqueflow with your email"
    assert "_auth_user_id" not in client.session


def test_a_bot_filling_the_honeypot_gets_the_neutral_answer_and_nothing_is_made(client, db):
    response = sign_up(client, website="http://spam.test")

    assert "Check your email" in visible_text(response)
    assert not Organisation.objects.exists() and not Email.objects.exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_sign_ups_are_throttled_per_address_and_per_client(db):
    client = Client(REMOTE_ADDR="203.0.113.5")
    for number in range(3):
        assert sign_up(client, email=f"n{number}@example.test").status_code == 200

    refused = client.post(SIGNUP, signup_post(email="n9@example.test"))
    assert refused.status_code == 429
    assert "Too many attempts. Try again later." in visible_text(refused)
    assert not get_user_model().objects.filter(email="n9@example.test").exists()

    for number in range(3):
        Client(REMOTE_ADDR=f"198.51.100.{number}").post(SIGNUP, signup_post(email="same@x.test"))
    same = Client(REMOTE_ADDR="198.51.100.99").post(SIGNUP, signup_post(email="SAME@x.test"))
    assert same.status_code == 429


@override_settings(SIGNUP_OPEN=False)
def test_sign_up_closed_hides_the_link_and_the_page_says_so(client, db):
    assert ">Sign up<" not in text(client.get("/accounts/login/"))

    for response in (client.get(SIGNUP), client.post(SIGNUP, signup_post())):
        assert response.status_code == 404
        assert "Sign-up is closed" in visible_text(response)
    assert not Organisation.objects.exists()


def test_a_password_is_reset_through_the_emailed_link(client, db):
    user = UserFactory(email="reset.me@example.test", username="reset.me@example.test")

    response = client.post("/accounts/password/reset/", {"email": "Reset.Me@example.test"})

    assert response.status_code == 302
    done = visible_text(client.get(response.url))
    assert "If an account uses that address, we sent it a link to choose a new password." in done
    email = Email.objects.get(to="reset.me@example.test")
    assert email.subject == "Reset your Torqueflow password"
    assert email.html_body and "Choose a new password" in email.html_body
    link = link_in(email, "/accounts/password/reset/")
    form_page = client.get(link, follow=True)
    changed = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password is changed" in visible_text(changed)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "This link has expired or has already been used." in visible_text(
        client.get(link, follow=True)
    )


def test_password_reset_answers_the_same_for_an_unknown_address(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.test"})

    assert response.status_code == 302
    assert response.url == "/accounts/password/reset/sent/"
    assert not Email.objects.exists()


@override_settings(AXES_FAILURE_LIMIT=2)
def test_password_reset_is_throttled(db):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        client.post("/accounts/password/reset/", {"email": "a@example.test"})

    refused = client.post("/accounts/password/reset/", {"email": "b@example.test"})

    assert refused.status_code == 429
    assert "Too many attempts. Try again later." in visible_text(refused)


@pytest.mark.parametrize("path", ["/signup/", "/accounts/password/reset/"])
def test_the_outbox_shows_the_emails_sent(client, db, path, settings):
    UserFactory(email="reset.me@example.test", username="reset.me@example.test")
    if path == SIGNUP:
        sign_up(client)
        subject = "Verify your email for Torqueflow"
    else:
        client.post(path, {"email": "reset.me@example.test"})
        subject = "Reset your Torqueflow password"

    outbox = visible_text(Client().get("/sandbox/outbox/"))

    assert subject in outbox


def test_two_sign_ups_with_one_address_at_once_make_one_account(client, db, monkeypatch):
    """The second finds the address free, then loses the race for it on the unique username."""
    sign_up(Client(), email="race@example.test")
    monkeypatch.setattr("accounts.signup.email_registered", lambda email: False)

    response = sign_up(client, email="race@example.test", business_name="Second Ltd")

    assert "Check your email" in visible_text(response)
    assert not Organisation.objects.filter(name="Second Ltd").exists()
    assert get_user_model().objects.filter(email="race@example.test").count() == 1
    assert Email.objects.filter(to="race@example.test", template="signup_attempt").exists()
