"""A person's path through invoicing, in a real browser."""

import re

from playwright.sync_api import expect


def test_owner_logs_in_and_sees_the_demo_invoices(demo, login):
    page = login()
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    expect(page.get_by_role("link", name="INV-0002")).to_be_visible()
    expect(page.get_by_text("€180.00")).to_be_visible()
    page.locator(".chips").get_by_role("link", name="Draft", exact=True).click()
    expect(page.get_by_role("link", name="INV-0002")).to_have_count(0)
    expect(page.get_by_role("link", name="INV-0001")).to_be_visible()


def test_create_finalise_pay_and_void(demo, login):
    page = login()
    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Customer").select_option(label="Tom Baker")
    page.locator("[name='lines-0-description']").fill("Leak repair")
    page.locator("[name='lines-0-unit_price']").fill("80")
    page.locator("[name='lines-0-nominal_code']").select_option(label="4000 Sales - Labour")
    page.get_by_role("button", name="Add line").click()
    page.locator("[name='lines-1-description']").fill("Washer kit")
    page.locator("[name='lines-1-quantity']").fill("2")
    page.locator("[name='lines-1-unit_price']").fill("5.50")
    page.get_by_role("button", name="Add line").click()
    page.locator("#lines-2").get_by_role("button", name="Remove").click()
    expect(page.locator("[name='lines-2-description']")).to_have_count(0)
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text(re.compile(r"Draft INV-\d{4} saved"))).to_be_visible()
    expect(page.locator(".totals-card")).to_contain_text("£109.20")
    page.get_by_role("button", name="Finalise").click()
    expect(page.locator("h1 .status")).to_have_text("Unpaid")

    page.get_by_role("link", name="Record payment").click()
    page.get_by_label("Amount").fill("50")
    page.get_by_label("Method").select_option(label="Bank transfer")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("h1 .status")).to_have_text("Part paid")

    page.locator("#payments").get_by_placeholder("Reason").fill("Entered twice")
    page.locator("#payments").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    expect(page.locator("h1 .status")).to_have_text("Unpaid")

    page.get_by_role("link", name="Void").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("This cannot be undone.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("h1 .status")).to_have_text("Unpaid")
    page.get_by_role("link", name="Void").click()
    page.get_by_role("dialog").get_by_role("button", name="Void invoice").click()
    expect(page.locator("h1 .status")).to_have_text("Void")


def test_staff_cannot_open_nominal_codes(demo, login):
    page = login("staff@demo.test")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("link", name="Nominal Codes")).to_have_count(0)
    expect(page.get_by_role("link", name="Integrations")).to_have_count(0)

    page.goto("/settings/finance/nominal-codes/")  # typed or bookmarked
    message = page.get_by_text("You do not have permission to manage finance settings")
    expect(message).to_be_visible()
    expect(page).to_have_url(re.compile(r"/settings/$"))


def test_the_accountant_reads_nominal_codes_and_the_sync_activity(demo, login):
    page = login("accountant@demo.test")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("link", name="Integrations", exact=True)).to_have_count(0)

    page.get_by_role("link", name="Nominal Codes").click()
    expect(page.get_by_role("heading", name="Nominal Codes")).to_be_visible()
    expect(page.get_by_role("cell", name="4000", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="New nominal code")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    page.get_by_role("link", name="Settings").first.click()
    page.get_by_role("link", name="Sync activity").click()
    expect(page.get_by_role("heading", name="Sync activity")).to_be_visible()


def test_invoice_list_on_a_phone(demo, login, page):
    login()
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_role("link", name="INV-0002")).to_be_visible()
    page.locator(".nav-toggle-button").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Purchases")).to_be_visible()
