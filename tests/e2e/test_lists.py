"""The invoice list as people use it: sort, search, tick and export, and on a phone."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect


def listed(page) -> list[str]:
    return page.locator(".invoice-table tbody .col-number a").all_inner_texts()


def test_sort_search_without_piling_up_history_then_export_two(demo, login):
    page = login()
    total = page.locator("th", has_text="Total")
    total.get_by_role("link").click()
    expect(page.locator("th[aria-sort='ascending']")).to_have_text(re.compile("Total"))
    assert "sort=total" in page.url
    amounts = page.locator(".invoice-table tbody .col-total").all_inner_texts()
    assert amounts, "the demo has invoices"

    history = page.evaluate("history.length")
    page.get_by_label("Search").press_sequentially("INV-000", delay=80)
    expect(page).to_have_url(re.compile(r"\?q=INV-000&sort=total$"))
    page.get_by_label("Search").fill("180")
    expect(page).to_have_url(re.compile(r"\?q=180&sort=total$"))
    expect(page.locator(".invoice-table tbody tr")).to_have_count(1)
    expect(page.locator(".invoice-table tbody")).to_contain_text("€180.00")
    assert page.evaluate("history.length") == history
    assert page.url.count("q=") == 1

    page.get_by_label("Search").fill("")
    expect(page).to_have_url(re.compile(r"\?sort=total$"))
    first_two = listed(page)[:2]
    for number in first_two:
        page.get_by_label(f"Select {number}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export", exact=True).click()
    body = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:2] == ["Number", "Contact"]
    assert sorted(row[0] for row in rows[1:]) == sorted(first_two)


def test_select_all_ticks_the_page_and_sync_chips_filter(demo, login):
    page = login()
    page.get_by_label("Select all on this page").check()
    count = page.locator(".invoice-table tbody input[name='invoice']").count()
    expect(page.locator("[data-bulk-count]")).to_have_text(f"{count} selected")
    page.locator(".chips").get_by_role("link", name="Paid", exact=True).click()
    expect(page.locator(".chips .chip-active")).to_have_text(re.compile("Paid"))
    for status in page.locator(".invoice-table tbody .status").all_inner_texts():
        assert status == "Paid"


def test_the_phone_list_is_one_compact_row_per_invoice(demo, browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("owner@demo.test")
    page.get_by_label("Password").fill("torqueflow-demo")
    page.get_by_role("button", name="Log in").click()
    page.goto("/invoices/")
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()

    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    rows = page.locator(".invoice-table tbody tr")
    assert rows.count() > 2
    for index in range(rows.count()):
        row = rows.nth(index)
        box = row.bounding_box()
        assert box["height"] < 100, row.inner_text()
        expect(row.locator(".col-number")).to_be_visible()
        expect(row.locator(".col-total")).to_be_visible()
        expect(row.locator(".col-status")).to_be_visible()
        expect(row.locator(".col-issued")).to_be_hidden()
    page.screenshot(path="var/screenshots/invoice-list-phone.png", full_page=True)
    context.close()
