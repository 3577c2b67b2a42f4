"""Sales in a real browser: a lead becomes a customer, and an accepted quote an invoice."""

import re

from playwright.sync_api import expect


def test_staff_adds_a_lead_and_converts_it_to_a_customer(demo, login):
    page = login("staff@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    expect(page.get_by_role("link", name="Priya Shah")).to_be_visible()

    page.get_by_role("link", name="New lead").click()
    page.get_by_label("Name").fill("Grace Okafor")
    page.get_by_label("Company").fill("Okafor Architects")
    page.get_by_label("Email").fill("grace@okafor.example.com")
    page.get_by_label("Phone").fill("0791")
    page.get_by_role("button", name="Save lead").click()
    expect(page.get_by_text("This is not a valid phone number.")).to_be_visible()
    page.get_by_label("Phone").fill("07912 345 600")
    page.get_by_role("button", name="Save lead").click()

    expect(page.get_by_text("Lead Grace Okafor saved.")).to_be_visible()
    expect(page.locator("h1 .status")).to_have_text("New")
    expect(page.get_by_text("07912 345600")).to_be_visible()

    page.get_by_role("button", name="Convert to customer").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Make Okafor Architects a customer")
    dialog.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(page.get_by_role("heading", name="Okafor Architects", level=1)).to_be_visible()
    expect(
        page.get_by_text("Grace Okafor converted: Okafor Architects is now a customer.")
    ).to_be_visible()
    contacts = page.locator("#section-contacts")
    expect(contacts.get_by_role("row", name=re.compile("Grace Okafor"))).to_contain_text("Primary")
    expect(contacts).to_contain_text("07912 345600")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.get_by_role("link", name="Grace Okafor").click()
    expect(page.locator("h1 .status")).to_have_text("Won")
    expect(page.get_by_role("button", name="Convert to customer")).to_have_count(0)


def test_staff_accepts_a_sent_quote_and_converts_it_to_a_draft_invoice(demo, login):
    page = login("staff@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quotes").click()
    page.locator(".chips").get_by_role("link", name="Sent", exact=True).click()
    expect(page.get_by_role("link", name="QU-0002")).to_have_count(0)
    page.get_by_role("link", name="QU-0001").click()

    expect(page.locator("h1 .status")).to_have_text("Sent")
    page.get_by_role("button", name="Mark accepted").click()
    expect(page.locator("h1 .status")).to_have_text("Accepted")

    page.get_by_role("button", name="Convert to invoice").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+/$"))
    expect(page.locator("h1 .status")).to_have_text("Draft")
    expect(
        page.get_by_text(re.compile(r"QU-0001 converted: draft INV-\d{4} created\."))
    ).to_be_visible()
    expect(page.get_by_text("Column radiator, supply and fit")).to_be_visible()
    expect(page.locator(".totals-card")).to_contain_text("£918.00")
    expect(page.get_by_text("Quote QU-0001")).to_be_visible()


def test_the_customer_page_on_a_phone(demo, login, page):
    login("staff@demo.test")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/customers/")
    page.get_by_role("link", name="ACME Creative Agency").click()
    expect(page.locator("#section-contacts")).to_contain_text("07911 123456")
    expect(page.locator("#section-quotes")).to_contain_text("QU-0002")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="New quote").click()
    expect(page.get_by_label("Customer")).to_have_value(re.compile(r"\d+"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/leads/")
    expect(page.get_by_role("link", name="Priya Shah")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
