"""Xero through the sandbox, in a real browser, with a real Celery worker pushing invoices."""

import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from sandbox.models import XeroContact, XeroTenant

POLL = 20_000  # ms: the badge polls every second; the worker pushes in well under that


def connect_xero(page: Page) -> None:
    page.goto("/settings/integrations/")
    page.get_by_role("button", name="Connect Xero").click()
    # As the README says: the demo's organisation is ticked already, and only it.
    expect(page.get_by_label(re.compile("Demo Plumbing"))).to_be_checked()
    expect(page.get_by_label(re.compile("Demo Holdings"))).not_to_be_checked()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_text("Connected to Xero.")).to_be_visible()


def xero_card(page: Page):
    return page.locator("#integration-xero")


def card_badge(page: Page):
    return xero_card(page).locator(".badge").first


def test_owner_connects_toggles_tests_disconnects_and_reconnects(demo, login, sandbox):
    page = login()
    connect_xero(page)
    card = xero_card(page)
    expect(card_badge(page)).to_have_text("Connected")
    expect(card).to_contain_text("Demo Plumbing & Heating Ltd (Xero)")

    card.get_by_text("Sync purchase invoices").click()  # the switch, as a person clicks it
    expect(page.locator("#toasts")).to_contain_text("disabled")
    page.reload()
    expect(xero_card(page).get_by_label("Sync purchase invoices")).not_to_be_checked()

    xero_card(page).get_by_role("button", name="Test Connection").click()
    expect(page.locator("#toasts")).to_contain_text("Connection is working")
    expect(xero_card(page).get_by_text("✓")).to_be_visible()

    xero_card(page).get_by_role("link", name="Disconnect").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(card_badge(page)).to_have_text("Connected")
    xero_card(page).get_by_role("link", name="Disconnect").click()
    page.get_by_role("dialog").get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("Xero disconnected.")).to_be_visible()
    expect(card_badge(page)).to_have_text("Not Connected")

    connect_xero(page)
    expect(card_badge(page)).to_have_text("Connected")


def test_finalised_invoice_goes_pending_then_synced_to_xero(demo, login, sandbox, celery_worker):
    page = login()
    connect_xero(page)
    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0001").click()
    page.get_by_role("button", name="Finalise").click()
    badge = page.locator(".sync-panel .badge")
    expect(badge).to_have_text(re.compile("Pending|Synced to Xero"))
    expect(badge).to_have_text("Synced to Xero", timeout=POLL)
    expect(badge).to_have_attribute("title", re.compile("Last synced"))


def test_unmapped_nominal_code_names_the_code_and_saving_it_syncs_the_invoice(
    demo, login, sandbox, celery_worker
):
    page = login()
    connect_xero(page)
    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0004").click()  # has a line on 4020, not mapped
    page.get_by_role("button", name="Finalise").click()
    badge = page.locator(".sync-panel .badge")
    expect(badge).to_have_text("Sync failed", timeout=POLL)
    expect(badge).to_have_attribute("title", "Unmapped nominal code")
    reason = page.locator(".sync-panel .sync-reason")
    expect(reason).to_have_text(
        "Unmapped nominal code — 4020 Call-out fees has no Xero account code: Set it"
    )
    invoice_url = page.url

    reason.get_by_role("link", name="Set the Xero account code of 4020 Call-out fees").click()
    expect(page.get_by_role("heading", name="Edit nominal code 4020")).to_be_visible()
    page.get_by_label("Xero account code").fill("200")
    page.get_by_role("button", name="Save").click()

    # Back on the invoice, which went again by itself: nothing else to press.
    expect(page.get_by_text("Nominal code 4020 saved.")).to_be_visible()
    assert page.url == invoice_url
    expect(page.locator(".sync-panel .badge")).to_have_text("Synced to Xero", timeout=POLL)
    expect(page.locator(".sync-panel")).not_to_contain_text("Unmapped nominal code")


def test_contact_collision_names_the_customer_and_renaming_syncs_the_invoice(
    demo, login, sandbox, celery_worker
):
    page = login()
    connect_xero(page)
    # Someone keyed a "Jane Smith" into Xero by hand: Xero refuses a second contact so named.
    tenant = XeroTenant.objects.get(name="Demo Plumbing & Heating Ltd (Xero)")
    XeroContact.objects.create(tenant=tenant, name="Jane Smith", updated_utc=timezone.now())
    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0001").click()  # Jane Smith's draft
    page.get_by_role("button", name="Finalise").click()
    expect(page.locator(".sync-panel .badge")).to_have_text("Sync failed", timeout=POLL)
    reason = page.locator(".sync-panel .sync-reason")
    expect(reason).to_have_text("Contact collision - manual mapping required — Rename Jane Smith")
    invoice_url = page.url

    reason.get_by_role("link", name="Rename Jane Smith").click()
    page.get_by_label("Name", exact=True).fill("Jane Smith (Flat 2)")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Jane Smith (Flat 2) saved.")).to_be_visible()
    assert page.url == invoice_url
    expect(page.locator(".sync-panel .badge")).to_have_text("Synced to Xero", timeout=POLL)
    expect(page.locator(".sync-panel")).not_to_contain_text("Contact collision")


def test_staff_has_no_integrations_page_but_can_sync_now(demo, login, sandbox, celery_worker, page):
    login()
    connect_xero(page)
    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0002").click()  # finalised before Xero was connected
    expect(page.locator(".sync-panel .badge")).to_have_text("Not synced")
    page.get_by_role("button", name="Log out").click()

    login("staff@demo.test")
    page.goto("/settings/integrations/")
    expect(page.get_by_text("You do not have permission to manage integrations")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/settings/$"))

    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0002").click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#toasts")).to_contain_text("Queued")
    expect(page.locator(".sync-panel .badge")).to_have_text("Synced to Xero", timeout=POLL)
