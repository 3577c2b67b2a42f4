"""Stripe in a real browser, the part that needs no emulated Stripe: an account left with
setup incomplete reads orange on the overview, its tile leads to the Stripe tab, which says
in plain words what Stripe still needs and offers to go on with setup; Disconnect asks
first, then offers Connect Stripe Account again in the modes this server has keys for.
(Connecting and paying against the emulated Stripe are a journey of their own.)"""

import re

from django.test import override_settings
from playwright.sync_api import expect

from accounts.models import Organisation
from integrations.models import Connection
from invoicing.demo import DEMO_ORGANISATION

STRIPE = {
    "STRIPE_TEST_SECRET_KEY": "sk_test_browser_journey",
    "STRIPE_LIVE_SECRET_KEY": "",
    "STRIPE_API_BASE": "http://127.0.0.1:9/unreachable",
}


@override_settings(**STRIPE)
def test_setup_incomplete_leads_to_what_stripe_needs_and_disconnect_asks_first(demo, login):
    organisation = Organisation.objects.get(name=DEMO_ORGANISATION)
    Connection.objects.create(
        organisation=organisation,
        provider="stripe",
        state=Connection.State.SETUP_INCOMPLETE,
        remote_account_id="acct_1QpBrowserJourney",
        remote_account_name="Demo Plumbing & Heating Ltd",
        settings={
            "mode": "test",
            "charges_enabled": False,
            "payouts_enabled": False,
            "currently_due": ["external_account", "individual.verification.document"],
            "past_due": [],
            "dashboard": "full",
        },
    )
    page = login()
    page.goto("/settings/integrations/")
    tile = page.locator("#status-stripe")
    expect(tile).to_have_class(re.compile("tone-orange"))
    expect(tile).to_contain_text("Setup Incomplete")

    page.locator("#integration-stripe").get_by_role("link", name="Stripe").click()
    expect(page).to_have_url(re.compile("/settings/integrations/stripe/$"))
    needs = page.locator(".stripe-needs")
    expect(needs).to_contain_text("a bank account for payouts")
    expect(needs).to_contain_text("an identity document")
    expect(page.locator(".stripe-charges")).to_contain_text("Disabled")
    card = page.locator("#integration-stripe")
    expect(card.get_by_role("button", name="Continue setup with Stripe")).to_be_visible()
    expect(card).to_contain_text("Test mode")

    card.get_by_role("link", name="Disconnect").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Payments already recorded stay.")
    dialog.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("Stripe disconnected.")).to_be_visible()
    expect(page.locator(".stripe-account")).to_have_count(0)
    card = page.locator("#integration-stripe")
    expect(card.get_by_role("button", name="Connect Stripe Account")).to_be_visible()
    expect(card.get_by_label("Test mode")).to_be_checked()
    expect(card.get_by_label("Live mode")).to_have_count(0)
