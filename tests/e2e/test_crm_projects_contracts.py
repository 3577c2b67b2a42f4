"""Projects and contracts in a real browser: the demo's project with its invoice, a contract
uploaded as a PDF, marked signed and opened."""

import re

from playwright.sync_api import expect

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def no_sideways_scroll(page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url
    page.set_viewport_size({"width": 1280, "height": 900})


def test_owner_follows_a_project_and_signs_its_contract(demo, login, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    page = login()

    page.locator("nav.sidebar").get_by_role("link", name="Projects").click()
    page.get_by_label("Search").fill("ACME")
    expect(page).to_have_url(re.compile(r"/projects/\?q=ACME$"))
    expect(
        page.get_by_role("row", name=re.compile("Meeting room underfloor heating"))
    ).to_contain_text("Planned")
    page.get_by_role("link", name="Studio heating upgrade").click()
    invoices = page.locator("#invoices")
    expect(invoices.get_by_role("row")).to_have_count(2)  # the header and ACME's invoice
    expect(page.locator("#contracts")).to_contain_text("Studio heating upgrade: terms of work")
    no_sideways_scroll(page)

    page.locator("nav.sidebar").get_by_role("link", name="Contracts").click()
    page.get_by_role("link", name="New contract").click()
    page.get_by_label("Title").fill("Meeting room heating: terms of work")
    page.get_by_label("Customer").select_option(
        label="ACME Creative Agency (ACME Creative Agency Ltd)"
    )
    page.get_by_label("Contract PDF").set_input_files(
        files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}]
    )
    page.get_by_role("button", name="Save contract").click()
    expect(
        page.get_by_text("This file is not a PDF. Upload the contract as a PDF.")
    ).to_be_visible()

    page.get_by_label("Contract PDF").set_input_files(
        files=[{"name": "Meeting room terms.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Save contract").click()
    expect(page.get_by_role("heading", name=re.compile("Meeting room heating"))).to_contain_text(
        "Draft"
    )

    page.get_by_role("link", name="Mark signed").click()
    page.get_by_label("Signed by").fill("Ana Costa")
    page.get_by_role("button", name="Mark signed").click()
    expect(page.get_by_text("Meeting room heating: terms of work marked signed.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Meeting room heating"))).to_contain_text(
        "Signed"
    )
    expect(page.locator(".facts")).to_contain_text("by Ana Costa")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    response = page.request.get(
        page.get_by_role("link", name="Meeting room terms.pdf").get_attribute("href")
    )
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == PDF
    no_sideways_scroll(page)
