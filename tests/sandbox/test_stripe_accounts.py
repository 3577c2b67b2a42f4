"""Connected accounts through the official SDK: creation with controller properties, the
readiness fields, Account Links into the hosted onboarding (single use, expiring, finished or
left for later), login links to the Express Dashboard, and Stripe's error answers."""

import pytest
import stripe
from django.test import Client

from sandbox.models import StripeAccount
from sandbox.stripe import links

from .stripe_support import (
    REFRESH_URL,
    RETURN_URL,
    connected_secret,
    express_account,
    onboard,
    path_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_express_account_is_not_ready_and_says_what_is_due(sandbox_stripe):
    account = express_account(sandbox_stripe.client)

    assert account.id.startswith("acct_") and account.object == "account"
    assert account.livemode is False and isinstance(account.created, int)
    assert account.controller.stripe_dashboard.type == "express"
    assert account.controller.fees.payer == "application"
    assert account.controller.losses.payments == "application"
    assert account.business_profile.name == "Alpha Heating Ltd"
    assert account.default_currency == "gbp"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    requirements = account.requirements
    assert "external_account" in requirements.currently_due
    assert requirements.past_due == requirements.currently_due
    assert requirements.disabled_reason == "requirements.past_due"
    assert requirements.pending_verification == [] and requirements.errors == []
    fetched = sandbox_stripe.client.v1.accounts.retrieve(account.id)
    assert (
        fetched.id == account.id
        and fetched.requirements.currently_due == requirements.currently_due
    )


def test_finishing_onboarding_enables_charges_and_payouts_and_tells_the_connect_endpoint(
    sandbox_stripe,
):
    client = sandbox_stripe.client
    account = express_account(client, business_profile={"name": ""})
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
        }
    )
    assert link.object == "account_link" and link.expires_at == link.created + 300

    browser = Client()
    page = browser.get(path_of(link.url))
    assert page.status_code == 200
    assert "Finish" in page.text and "Leave for later" in page.text
    missing = browser.post(path_of(link.url), {"action": "finish"})
    assert missing.status_code == 400
    assert "Enter your business name." in missing.text
    done = browser.post(
        path_of(link.url),
        {
            "action": "finish",
            "business_name": "Alpha Heating Ltd",
            "iban": "GB82 WEST 1234 5698 7654 32",
        },
    )

    assert done.status_code == 302 and done["Location"] == RETURN_URL
    ready = client.v1.accounts.retrieve(account.id)
    assert (ready.charges_enabled, ready.payouts_enabled, ready.details_submitted) == (
        True,
        True,
        True,
    )
    assert ready.requirements.currently_due == [] and ready.requirements.disabled_reason is None
    assert ready.business_profile.name == "Alpha Heating Ltd"
    [(raw, header, _)] = sandbox_stripe.deliveries()
    event = stripe.Webhook.construct_event(raw, header, connected_secret())
    assert event.type == "account.updated" and event.account == account.id
    assert event.data.object.charges_enabled is True
    assert event.data.previous_attributes["charges_enabled"] is False
    assert event.id.startswith("evt_") and event.api_version == "2026-10-28.endive"


def test_leaving_onboarding_for_later_keeps_requirements_due(sandbox_stripe):
    client = sandbox_stripe.client
    account = express_account(client)

    response = onboard(client, account.id, Client(), finish=False, sort_code="", account_number="")

    assert response.status_code == 302 and response["Location"] == RETURN_URL
    later = client.v1.accounts.retrieve(account.id)
    assert later.charges_enabled is False and later.payouts_enabled is False
    assert later.details_submitted is False
    assert later.requirements.currently_due == [
        "external_account",
        "individual.verification.document",
    ]
    assert later.requirements.disabled_reason == "requirements.past_due"
    [event] = sandbox_stripe.events("account.updated")
    assert event["account"] == account.id


def test_an_account_link_is_single_use_and_expires(sandbox_stripe, monkeypatch):
    client = sandbox_stripe.client
    account = express_account(client)
    params = {
        "account": account.id,
        "type": "account_onboarding",
        "refresh_url": REFRESH_URL,
        "return_url": RETURN_URL,
    }
    used = client.v1.account_links.create(params)
    assert Client().get(path_of(used.url)).status_code == 200
    again = Client().get(path_of(used.url))
    assert again.status_code == 302 and again["Location"] == REFRESH_URL

    stale = client.v1.account_links.create(params)
    monkeypatch.setattr(links, "now", lambda: stale.expires_at + 1)
    expired = Client().get(path_of(stale.url))
    assert expired.status_code == 302 and expired["Location"] == REFRESH_URL
    assert Client().get("/sandbox/stripe/connect/onboarding/not-a-token/").status_code == 404


def test_account_update_links_are_refused_for_accounts_with_a_stripe_dashboard(sandbox_stripe):
    account = express_account(sandbox_stripe.client)
    with pytest.raises(stripe.InvalidRequestError, match="Stripe-hosted Dashboard"):
        sandbox_stripe.client.v1.account_links.create(
            {
                "account": account.id,
                "type": "account_update",
                "refresh_url": REFRESH_URL,
                "return_url": RETURN_URL,
            }
        )


def test_login_links_only_for_onboarded_express_accounts_and_used_once(sandbox_stripe):
    client = sandbox_stripe.client
    express = express_account(client)
    with pytest.raises(stripe.InvalidRequestError, match="not completed onboarding"):
        client.v1.accounts.login_links.create(express.id)
    onboard(client, express.id, Client())

    login = client.v1.accounts.login_links.create(express.id)

    assert login.object == "login_link" and isinstance(login.created, int)
    browser = Client()
    opened = browser.get(path_of(login.url), follow=True)
    assert opened.status_code == 200 and "Alpha Heating Ltd" in opened.text
    assert "Payments" in opened.text
    assert browser.get(path_of(login.url)).status_code == 410

    full = client.v1.accounts.create({"controller": {"stripe_dashboard": {"type": "full"}}})
    with pytest.raises(stripe.InvalidRequestError, match="Express Dashboard") as refused:
        client.v1.accounts.login_links.create(full.id)
    assert refused.value.http_status == 400


def test_a_wrong_key_is_refused_with_401(sandbox_stripe):
    intruder = sandbox_stripe.sdk("sk_test_not_the_platforms_key_0000")
    with pytest.raises(stripe.AuthenticationError) as refused:
        intruder.v1.accounts.create({})
    assert refused.value.http_status == 401
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    assert "sk_test_" in refused.value.user_message and "0000" in refused.value.user_message
    assert "not_the_platforms" not in refused.value.user_message
    assert not StripeAccount.objects.exists()


def test_objects_never_cross_modes(sandbox_stripe, settings):
    settings.STRIPE_LIVE_SECRET_KEY = "sk_live_sandbox_platform_live_key"
    live = sandbox_stripe.sdk(settings.STRIPE_LIVE_SECRET_KEY)
    account = live.v1.accounts.create({"controller": {"stripe_dashboard": {"type": "express"}}})
    assert account.livemode is True

    with pytest.raises(stripe.PermissionError) as refused:
        sandbox_stripe.client.v1.accounts.retrieve(account.id)
    assert refused.value.json_body["error"]["code"] == "account_invalid"


def test_errors_have_stripes_shape(sandbox_stripe):
    client = sandbox_stripe.client
    account = express_account(client)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.retrieve(
            "cs_test_nothing", options={"stripe_account": account.id}
        )
    error = missing.value.json_body["error"]
    assert missing.value.http_status == 404
    assert error == {
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "message": "No such checkout.session: 'cs_test_nothing'",
        "param": "session",
        "type": "invalid_request_error",
    }
    with pytest.raises(stripe.InvalidRequestError, match="Received unknown parameter: colour"):
        client.v1.accounts.create({"colour": "blue"})
    with pytest.raises(stripe.InvalidRequestError, match=r"Missing required param: account\."):
        client.v1.account_links.create({"type": "account_onboarding"})
    with pytest.raises(stripe.PermissionError, match="does not have access to account 'acct_nope'"):
        client.v1.payment_intents.list(options={"stripe_account": "acct_nope"})
    unknown = Client().get(
        "/sandbox/stripe/v1/nothing", HTTP_AUTHORIZATION=f"Bearer {client._requestor.api_key}"
    )
    assert (
        unknown.status_code == 404
        and "Unrecognized request URL" in unknown.json()["error"]["message"]
    )


def test_limits_and_injected_errors_answer_as_stripe_does(sandbox_stripe):
    from sandbox.models import Faults

    client = sandbox_stripe.client
    Faults.set_knobs("stripe", window_limit=1, rate_limit_scale=60.0)
    client.v1.accounts.create({})
    with pytest.raises(stripe.RateLimitError) as limited:
        client.v1.accounts.create({})
    assert limited.value.http_status == 429
    assert limited.value.json_body["error"]["code"] == "rate_limit"

    Faults.set_knobs("stripe", window_limit=25, error_rate=1.0)
    with pytest.raises(stripe.APIError) as failed:
        client.v1.accounts.retrieve_current()
    assert failed.value.http_status == 500
    assert failed.value.headers["Stripe-Should-Retry"] == "true"
    assert failed.value.json_body["error"]["type"] == "api_error"
