"""Stripe from end to end against the emulated Stripe: the owner connects in test mode and
finishes Stripe's hosted onboarding, then an invoice is paid online with Stripe's test card
and reads Paid, with a Stripe payment, once Stripe's webhook has been applied. An owner who
leaves onboarding for later sees Setup Incomplete and can resume it."""

import re

from playwright.sync_api import expect

from .conftest import wait_for_status

POLL = 15_000


def connect_in_test_mode(page):
    page.goto("/settings/integrations/")
    card = page.locator("#integration-stripe")
    expect(card.get_by_label("Test mode")).to_be_checked()
    card.get_by_role("button", name="Connect Stripe Account").click()
    expect(page.get_by_label("Business name")).to_be_visible()  # Stripe's hosted onboarding


def pay_with_card(page, number: str):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Alice Customer")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def test_connect_onboard_and_an_invoice_paid_online_reads_paid(demo, login, sandbox, celery_worker):
    page = login()
    connect_in_test_mode(page)
    page.get_by_label("Business name").fill("Demo Plumbing & Heating Ltd")
    page.get_by_label("Sort code").fill("10-88-00")
    page.get_by_label("Account number").fill("00012345")
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Connected to Stripe.")).to_be_visible()
    expect(page.locator("#integration-stripe .badge").first).to_have_text("Connected")
    expect(page.locator(".stripe-charges")).to_contain_text("Enabled")

    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0002").click()
    invoice_url = page.url
    expect(page.locator("h1 .status")).to_have_text("Unpaid")
    page.locator("#stripe-panel").get_by_role("button", name="Pay online").click()
    expect(page.get_by_text("Invoice INV-0002")).to_be_visible(timeout=POLL)
    pay_with_card(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    pay_with_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    page.goto(invoice_url)
    wait_for_status(page, "Paid")
    expect(page.locator("#payments")).to_contain_text("Stripe")


def test_onboarding_left_for_later_reads_setup_incomplete_and_resumes(demo, login, sandbox):
    page = login()
    connect_in_test_mode(page)
    page.get_by_role("button", name="Leave for later").click()
    expect(page.get_by_text("Stripe still needs a few details to finish setup.")).to_be_visible()
    tile = page.locator("#status-stripe")
    expect(tile).to_contain_text("Setup Incomplete")
    expect(tile).to_have_class(re.compile("tone-orange"))

    page.goto("/settings/integrations/stripe/")
    expect(page.locator(".stripe-needs")).to_contain_text("a bank account for payouts")
    page.get_by_role("button", name="Continue setup with Stripe").click()
    page.get_by_label("Sort code").fill("10-88-00")
    page.get_by_label("Account number").fill("00012345")
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Connected to Stripe.")).to_be_visible()
    expect(page.locator("#status-stripe")).to_contain_text("Connected")
