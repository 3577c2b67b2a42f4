"""The owner's home page, in a real browser: the figures, the way to the overdue invoices,
the first-run checklist, and the page on a phone."""

import datetime
from urllib.parse import urlsplit

from playwright.sync_api import expect

from accounts.selectors import organisation_today
from invoicing.demo import DEMO_ORGANISATION, DEMO_PASSWORD
from invoicing.models import Customer, Invoice

from ..factories import make_invoice


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_owner_reads_the_figures_follows_overdue_and_dismisses_the_checklist(demo, page):
    acme = Customer.objects.get(name="ACME Creative Agency")
    today = organisation_today(acme.organisation)
    late = make_invoice(
        acme.organisation,
        customer=acme,
        lines=((1, "1200.00", "0"),),
        issue_date=today - datetime.timedelta(days=45),
        finalise=True,
    )
    assert acme.organisation.name == DEMO_ORGANISATION

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("owner@demo.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")

    expect(page.get_by_role("heading", name=DEMO_ORGANISATION)).to_be_visible()
    overdue = page.locator("#figure-overdue")
    expect(overdue).to_contain_text("Overdue")
    expect(overdue).to_contain_text("£1,200.00")
    expect(overdue).to_contain_text("1 invoice")
    owed = page.locator("#figure-owed")
    expect(owed).to_contain_text("£")
    expect(owed).to_contain_text("€")  # the demo's café invoice is in euros
    expect(page.locator("#figure-paid")).to_contain_text("Paid this month")
    expect(page.locator("svg.chart rect.bar-invoiced")).to_have_count(12)
    expect(page.get_by_role("heading", name="Recent activity")).to_be_visible()
    expect(page.get_by_role("heading", name="Appointments")).to_be_visible()
    checklist = page.locator(".checklist")
    expect(checklist.get_by_role("link", name="Connect your accounting")).to_be_visible()
    expect(checklist.get_by_role("link", name="Send your first invoice")).to_have_count(0)
    expect(checklist).to_contain_text("Send your first invoice")  # ticked: the demo has sent some

    # On a phone the home page fits the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    overdue.click()
    page.wait_for_url("**/invoices/?overdue=on")
    rows = page.locator(".invoice-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(late.number)
    chip = page.locator(".chips a.chip-active")
    expect(chip).to_contain_text("Overdue")
    open_invoices = Invoice.objects.filter(
        organisation=acme.organisation, kind="sales", status__in=("unpaid", "part_paid")
    ).count()
    chip.click()  # the chip takes the filter off
    expect(page.locator(".invoice-table tbody tr")).to_have_count(
        Invoice.objects.filter(organisation=acme.organisation, kind="sales").count()
    )
    assert open_invoices > 1

    page.goto("/")
    page.locator(".checklist").get_by_role("button", name="Dismiss").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.locator(".checklist")).to_have_count(0)
    page.reload()
    expect(page.locator(".checklist")).to_have_count(0)


def test_an_unknown_address_shows_the_not_found_page_with_a_way_home(demo, login):
    page = login("staff@demo.test")

    page.goto("/no-such-page/")

    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("link", name="Go to the home page").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.locator("#figure-owed")).to_be_visible()
