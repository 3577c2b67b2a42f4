"""The CRM lists as people use them: sort leads, search without piling up history, tick two
and export them, and a phone layout of one compact row per lead."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect


def lead_names(page) -> list[str]:
    return page.locator(".compact-table tbody .col-main a").all_inner_texts()


def test_sort_search_tick_two_and_export_leads(demo, login):
    page = login()
    page.goto("/leads/")
    page.locator("th", has_text="Name").get_by_role("link").click()
    expect(page.locator("th[aria-sort='ascending']")).to_have_text(re.compile("Name"))
    names = lead_names(page)
    assert names == sorted(names) and "Priya Shah" in names

    history = page.evaluate("history.length")
    page.get_by_label("Search").press_sequentially("examp", delay=80)
    expect(page).to_have_url(re.compile(r"/leads/\?q=examp&sort=name$"))
    page.get_by_label("Search").fill("")
    expect(page).to_have_url(re.compile(r"/leads/\?sort=name$"))
    assert page.evaluate("history.length") == history

    page.get_by_label("Select Ben Carter").check()
    page.get_by_label("Select Hannah Moore").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export", exact=True).click()
    body = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Name", "Company", "Email", "Phone", "Source", "Status", "Added"]
    assert sorted(row[0] for row in rows[1:]) == ["Ben Carter", "Hannah Moore"]

    page.get_by_label("Select Hannah Moore").uncheck()  # Ben Carter stays ticked
    expect(page.locator("[data-bulk-count]")).to_have_text("1 selected")
    page.get_by_role("button", name="Mark contacted").click()
    expect(page.get_by_text("1 lead marked Contacted.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leads/\?sort=name$"))
    ben = page.locator(".compact-table tbody tr", has_text="Ben Carter")
    expect(ben.locator(".col-status")).to_have_text("Contacted")

    page.locator(".chips").get_by_role("link", name="Lost", exact=True).click()
    expect(page.locator(".chips .chip-active")).to_have_text(re.compile("Lost"))
    assert lead_names(page) == ["Hannah Moore"]


def test_the_phone_lead_list_is_one_compact_row_per_lead(demo, browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("owner@demo.test")
    page.get_by_label("Password").fill("torqueflow-demo")
    page.get_by_role("button", name="Log in").click()
    for path, heading in (("/leads/", "Leads"), ("/quotes/", "Quotes")):
        page.goto(path)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
        rows = page.locator(".compact-table tbody tr")
        assert rows.count() >= 2
        for index in range(rows.count()):
            row = rows.nth(index)
            assert row.bounding_box()["height"] < 90, row.inner_text()
            expect(row.locator(".col-main")).to_be_visible()
            expect(row.locator(".col-status")).to_be_visible()
            expect(row.locator(".col-more").first).to_be_hidden()
    page.goto("/leads/")
    page.screenshot(path="var/screenshots/lead-list-phone.png", full_page=True)
    context.close()
