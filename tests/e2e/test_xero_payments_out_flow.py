"""Payments recorded in Torqueflow sent to Xero: off by default (the badge's hover says so);
the owner turns "Send payments recorded in Torqueflow to Xero" on, chooses the account, and
a payment recorded by hand shows in the sandbox's Xero, once, with the invoice paid there."""

import re

from playwright.sync_api import expect

from integrations.models import WebhookEvent
from sandbox.models import Faults

from .test_xero_flow import POLL, connect_xero

NOT_SENT = "Payments recorded in Torqueflow are not sent to Xero."


def test_owner_turns_on_sending_payments_and_xero_shows_the_invoice_paid(
    demo, login, sandbox, celery_worker
):
    # Xero tells us about changes made through its API too: our own payment comes back.
    Faults.set_knobs("xero", webhooks_for_api_changes=True)
    page = login()
    connect_xero(page)
    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0001").click()
    invoice_url = page.url
    page.get_by_role("button", name="Finalise").click()
    badge = page.locator(".sync-panel .badge")
    expect(badge).to_have_text("Synced to Xero", timeout=POLL)
    # Off by default: the green badge's hover says payments recorded here stay here.
    expect(badge).to_have_attribute(
        "title", re.compile(r"^Last synced .*\. " + re.escape(NOT_SENT))
    )

    page.goto("/settings/integrations/xero/")
    switch = page.get_by_label("Send payments recorded in Torqueflow to Xero")
    expect(switch).not_to_be_checked()
    page.locator("#integration-xero").get_by_text(
        "Send payments recorded in Torqueflow to Xero"
    ).click()
    expect(page.locator("#toasts")).to_contain_text(
        "Payments recorded in Torqueflow will be sent to Xero"
    )
    page.reload()
    expect(page.get_by_text("No account chosen yet: payments wait until one is.")).to_be_visible()
    page.get_by_label("Account for payments").select_option(label="090 Business Bank Account")
    page.get_by_role("button", name="Save account").click()
    expect(
        page.get_by_text("Payments will go to 090 Business Bank Account in Xero.")
    ).to_be_visible()

    page.goto(invoice_url)
    page.get_by_role("link", name="Record payment").click()
    page.get_by_label("Method").select_option(label="Bank transfer")
    page.get_by_label("Reference").fill("Bank transfer 1234")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("h1 .status")).to_have_text("Paid")
    badge = page.locator(".sync-panel .badge")
    expect(badge).to_have_text("Synced to Xero", timeout=POLL)
    expect(badge).not_to_have_attribute("title", re.compile(re.escape(NOT_SENT)))

    # In the sandbox's Xero the invoice is paid, by one payment.
    page.goto("/sandbox/xero/")
    row = page.locator("tr", has_text="INV-0001")
    expect(row.locator("td[data-label='Status']")).to_have_text("PAID")
    expect(row.locator(".sandbox-payments li")).to_have_count(1)

    # Xero's webhook for that payment is applied; the payment is not recorded a second time.
    for _ in range(40):
        if WebhookEvent.objects.filter(provider="xero", state=WebhookEvent.State.APPLIED).exists():
            break
        page.wait_for_timeout(500)
    else:
        raise AssertionError("Xero's webhook for the payment was not applied")
    page.goto(invoice_url)
    expect(page.locator("#payments tbody tr")).to_have_count(1)
    expect(page.locator("#payments")).not_to_contain_text("Xero Sync")
    expect(page.locator(".sync-panel .badge")).to_have_text("Synced to Xero")
