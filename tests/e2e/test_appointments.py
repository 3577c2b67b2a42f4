"""Booking appointments from the week view, in a real browser."""

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from crm.models import Contact
from invoicing.models import Customer


def test_staff_book_from_the_week_and_confirm_a_clash(demo, login):
    acme = Customer.objects.get(name="ACME Creative Agency")
    if not acme.contacts.exists():
        Contact.objects.create(
            organisation=acme.organisation, customer=acme, name="Priya Shah", is_primary=True
        )
    contact = acme.contacts.order_by("-is_primary", "pk").first()
    today = timezone.now().astimezone(ZoneInfo("Europe/London")).date()
    # Friday of next week: the demo books nothing for Sam Patel then.
    friday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=11)
    page = login("staff@demo.test")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Appointments").click()
    expect(page.get_by_role("heading", name="Appointments", exact=True)).to_be_visible()
    expect(
        page.get_by_text("Studio radiator survey").or_(page.get_by_text("Project kick-off")).first
    ).to_be_visible()
    page.get_by_role("link", name="Next week →").click()
    column = page.locator(f"#day-{friday.isoformat()}")
    column.get_by_role("link", name="+ Book").click()

    expect(page.get_by_role("heading", name="Book appointment")).to_be_visible()
    expect(page.get_by_label("Date")).to_have_value(friday.isoformat())
    page.get_by_label("Title").fill("Brand workshop")
    page.get_by_label("Customer").select_option(
        label="ACME Creative Agency (ACME Creative Agency Ltd)"
    )
    # The contact choices follow the customer without a page load.
    expect(page.locator("#id_contact option", has_text=contact.name)).to_have_count(1)
    page.get_by_label("Contact").select_option(label=contact.name)
    page.get_by_label("Start", exact=True).fill("10:00")
    page.get_by_label("End", exact=True).fill("11:00")
    page.get_by_label("Location").select_option(label="Zoom")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_text("Brand workshop booked.")).to_be_visible()
    expect(
        page.get_by_text(
            "The Meet or Zoom link field stays empty until those integrations fill it."
        )
    ).to_be_visible()
    page.locator(".breadcrumbs").get_by_role("link", name="Appointments").click()
    column = page.locator(f"#day-{friday.isoformat()}")
    expect(column.get_by_role("link", name="Brand workshop")).to_contain_text("10:00\u201311:00")
    expect(column).to_contain_text("Sam Patel \u00b7 Zoom")

    column.get_by_role("link", name="+ Book").click()
    page.get_by_label("Title").fill("Logo review")
    page.get_by_label("Customer").select_option(label="Tom Baker")
    page.get_by_label("Start", exact=True).fill("10:30")
    page.get_by_label("End", exact=True).fill("11:30")
    page.get_by_label("Location").select_option(label="Zoom")
    page.get_by_role("button", name="Book", exact=True).click()

    warning = page.get_by_role("alert").filter(has_text="This clashes with another booking.")
    expect(warning).to_contain_text(
        "Sam Patel already has “Brand workshop” with ACME Creative Agency"
    )
    warning.get_by_role("button", name="Book anyway").click()
    expect(page.get_by_text("Logo review booked.")).to_be_visible()

    page.locator(".breadcrumbs").get_by_role("link", name="Appointments").click()
    column = page.locator(f"#day-{friday.isoformat()}")
    expect(column.locator(".appointment-title")).to_have_text(["Brand workshop", "Logo review"])

    # On a phone the week is a list of days, without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(column.get_by_role("link", name="Logo review")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
