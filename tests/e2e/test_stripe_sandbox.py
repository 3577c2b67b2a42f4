"""The emulated Stripe in a browser: a connected account finishes the hosted onboarding, its
customer's card is declined and then accepted on the hosted payment page, and the account
refunds the payment from its dashboard."""

import re

import pytest
import stripe
from playwright.sync_api import expect

from sandbox.stripe.constants import API_VERSION


@pytest.fixture
def stripe_sandbox(live_server, settings) -> stripe.StripeClient:
    base = live_server.url
    settings.SANDBOX_BASE_URL = base
    settings.STRIPE_TEST_SECRET_KEY = settings.SANDBOX_STRIPE_TEST_SECRET_KEY
    settings.STRIPE_API_BASE = f"{base}/sandbox/stripe"
    settings.SANDBOX_STRIPE_WEBHOOK_URL = f"{base}/webhooks/stripe/"
    return stripe.StripeClient(
        settings.STRIPE_TEST_SECRET_KEY,
        stripe_version=API_VERSION,
        base_addresses={"api": settings.STRIPE_API_BASE},
    )


def test_onboard_pay_with_test_cards_and_refund(
    page, live_server, stripe_sandbox, transactional_db
):
    base = live_server.url
    account = stripe_sandbox.v1.accounts.create(
        {"controller": {"stripe_dashboard": {"type": "express"}}, "email": "owner@alpha.test"}
    )
    link = stripe_sandbox.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": f"{base}/sandbox/",
            "return_url": f"{base}/sandbox/stripe/",
        }
    )

    page.goto(link.url)
    page.get_by_label("Business name").fill("Alpha Heating Ltd")
    page.get_by_label("Sort code").fill("10-88-00")
    page.get_by_label("Account number").fill("00012345")
    page.get_by_role("button", name="Finish").click()

    expect(page).to_have_url(f"{base}/sandbox/stripe/")
    card = page.locator(f"#account-{account.id}")
    expect(card.get_by_text("Charges enabled")).to_be_visible()
    expect(card.get_by_text("Payouts enabled")).to_be_visible()

    dashboard = f"{base}/sandbox/stripe/dashboard/{account.id}/"
    session = stripe_sandbox.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "gbp",
                        "unit_amount": 12000,
                        "product_data": {"name": "Invoice INV-0007"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": f"{dashboard}?paid={{CHECKOUT_SESSION_ID}}",
            "customer_email": "alice@customer.test",
        },
        options={"stripe_account": account.id},
    )
    page.set_viewport_size({"width": 390, "height": 844})  # the customer is on a phone
    page.goto(session.url)
    expect(page.get_by_text("Invoice INV-0007")).to_be_visible()
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Alice Customer")
    page.get_by_role("button", name="Pay GBP 120.00").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay GBP 120.00").click()

    expect(page).to_have_url(re.compile(rf"/dashboard/{account.id}/\?paid={session.id}$"))
    payment = page.locator("tbody tr").filter(has_text="GBP 120.00")
    expect(payment.get_by_text("Succeeded")).to_be_visible()
    payment.get_by_role("button", name="Refund").click()
    expect(page.get_by_text(re.compile(r"Refunded GBP 120\.00 of ch_"))).to_be_visible()
    expect(payment.get_by_text("Refunded", exact=True)).to_be_visible()
    expect(payment.get_by_text("GBP 120.00 refunded")).to_be_visible()
