"""Getting paid: the customer pays on the provider's side (the sandbox), the provider's
webhook reaches Torqueflow, a real Celery worker applies it, and the invoice shows it."""

import re

from playwright.sync_api import Page, expect

from .conftest import wait_for_status
from .test_xero_flow import POLL, connect_xero


def sandbox_row(page: Page, number: str):
    return page.locator("tr", has_text=number)


def test_paid_in_xero_shows_part_paid_then_paid(demo, login, sandbox, celery_worker):
    page = login()
    connect_xero(page)
    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0001").click()
    page.get_by_role("button", name="Finalise").click()
    expect(page.locator(".sync-panel .badge")).to_have_text("Synced to Xero", timeout=POLL)
    invoice_url = page.url

    page.goto("/sandbox/xero/")
    row = sandbox_row(page, "INV-0001")
    row.get_by_placeholder("Amount").fill("50")
    row.get_by_role("button", name="Pay part").click()

    page.goto(invoice_url)
    wait_for_status(page, "Part paid")
    expect(page.locator("#payments")).to_contain_text("Xero Sync")
    expect(page.locator(".totals-card")).to_contain_text("£50.00")

    page.goto("/sandbox/xero/")
    sandbox_row(page, "INV-0001").get_by_role("button", name="Pay in full").click()
    page.goto(invoice_url)
    wait_for_status(page, "Paid")
    expect(page.locator("#payments tbody tr")).to_have_count(2)
    expect(page.locator(".totals-card")).to_contain_text("£0.00")


def test_gohighlevel_connect_push_send_link_and_get_paid(demo, login, sandbox, celery_worker):
    page = login()
    page.goto("/settings/integrations/")
    card = page.locator("#integration-ghl")
    expect(card.locator(".badge").first).to_have_text("Not Connected")
    expect(card).to_contain_text(
        "Connect your GoHighLevel account to sync invoices and collect payments through "
        "GHL's payment links."
    )
    card.get_by_role("button", name="Connect GoHighLevel").click()
    page.get_by_label(re.compile("Demo Plumbing & Heating \\(GHL\\)")).check()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_text("Connected to GoHighLevel.")).to_be_visible()
    expect(page.locator("#integration-ghl .badge").first).to_have_text("Connected")
    # Auto-push starts off: the overview does not claim that syncing is on.
    expect(page.locator("#status-ghl")).to_contain_text(
        "Auto-push is off: invoices go when you push them"
    )

    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0002").click()
    invoice_url = page.url
    expect(page.get_by_role("button", name="Send payment link")).to_have_count(0)
    page.get_by_role("button", name="Push to GHL").click()
    expect(page.locator("#toasts")).to_contain_text("Queued")
    expect(page.locator("#sync-row-ghl .badge")).to_have_text("Pushed to GHL", timeout=POLL)

    # The panel comes with the badge, no reload needed.
    expect(page.locator("#ghl-panel")).to_contain_text("GHL invoice ID")
    page.get_by_role("button", name="Send payment link").click()
    expect(page.locator("#ghl-panel")).to_contain_text(re.compile("sent by email", re.I))

    # Several at once from the list: asked first, then followed on a page of its own.
    page.goto("/invoices/")
    page.get_by_label("Select INV-0002").check()
    page.get_by_label("Select INV-0001").check()
    page.locator("[data-bulk-bar]").get_by_role("button", name="Send payment link").click()
    expect(page.locator("dialog[open]")).to_contain_text("Send payment links for the selected")
    page.locator("dialog[open]").get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Send payment links")).to_be_visible()
    expect(page.locator("#link-run")).to_contain_text("1 of 2 sent; 1 not sent.", timeout=POLL)
    # INV-0001 is paid in the demo: nothing left to collect.
    expect(page.locator("#link-run")).to_contain_text(
        "INV-0001 Not sent Payment links are for invoices with something left to pay."
    )

    page.goto("/sandbox/ghl/")
    sandbox_row(page, "INV-0002").get_by_role("button", name="Pay in full").click()
    page.goto(invoice_url)
    wait_for_status(page, "Paid")
    expect(page.locator("#payments")).to_contain_text("GoHighLevel")
    # Paid: there is nothing left to collect, so no payment link is offered.
    expect(page.locator("#ghl-panel")).to_be_visible()
    expect(page.get_by_role("button", name="Send payment link")).to_have_count(0)

    # A bill: GoHighLevel takes sales invoices only, so nothing offers to push it there.
    page.goto("/purchases/")
    page.locator("table tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Push to GHL")).to_have_count(0)
