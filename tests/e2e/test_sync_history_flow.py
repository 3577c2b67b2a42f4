"""Where an invoice was, once a connection stops or moves: in a real browser, against the
sandbox, with a real Celery worker pushing."""

import re

from playwright.sync_api import Page, expect

from integrations.models import SyncActivity, SyncRecord

from .test_xero_flow import POLL, connect_xero, xero_card

FIRST_ORG = "Demo Plumbing & Heating Ltd (Xero)"
SECOND_ORG = "Demo Holdings (Xero)"


def open_invoice(page: Page, number: str) -> str:
    page.goto("/invoices/")
    page.get_by_role("link", name=number).click()
    return page.url


def sync_to_xero(page: Page) -> None:
    page.locator("#sync-row-xero").get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-row-xero .badge")).to_have_text("Synced to Xero", timeout=POLL)


def xero_id_of(number: str) -> str:
    return SyncRecord.objects.get(connection__provider="xero", label=number).external_id


def test_after_a_disconnect_the_invoice_was_in_xero_and_an_edit_pushes_nothing(
    demo, login, sandbox, celery_worker
):
    page = login()
    connect_xero(page)
    invoice_url = open_invoice(page, "INV-0002")
    sync_to_xero(page)
    xero_id = xero_id_of("INV-0002")

    page.goto("/settings/integrations/")
    xero_card(page).get_by_role("link", name="Disconnect").click()
    page.get_by_role("dialog").get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("Xero disconnected.")).to_be_visible()

    page.goto(invoice_url)
    panel = page.locator(".sync-panel")
    was = panel.locator(".badge", has_text="Was in Xero")
    expect(was).to_have_class(re.compile("badge-grey"))
    expect(was).to_have_attribute("title", re.compile(f"Xero invoice ID {xero_id}. Last synced"))
    expect(panel).to_contain_text(f"Xero invoice ID {xero_id}")
    expect(panel.get_by_role("button", name="Sync now")).to_have_count(0)

    pushes = SyncActivity.objects.filter(action="push").count()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Reference").fill("Boiler service, revised")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".sync-panel")).to_contain_text("Was in Xero")
    expect(page.locator(".sync-panel")).not_to_contain_text("Pending")
    page.wait_for_timeout(1500)  # a worker would have pushed by now
    assert SyncActivity.objects.filter(action="push").count() == pushes
    assert SyncRecord.objects.get(external_id=xero_id).state == SyncRecord.State.SYNCED

    page.goto("/invoices/")
    row = page.locator("tr", has_text="INV-0002")
    expect(row.locator(".badge", has_text="Was in Xero")).to_be_visible()


def test_moving_xero_to_another_organisation_starts_afresh(demo, login, sandbox, celery_worker):
    page = login()
    connect_xero(page)
    invoice_url = open_invoice(page, "INV-0002")
    sync_to_xero(page)
    first_id = xero_id_of("INV-0002")

    page.goto("/settings/integrations/")
    xero_card(page).get_by_role("button", name="Change account").click()
    page.get_by_label(re.compile("Demo Holdings")).check()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_role("heading", name="Choose a Xero account")).to_be_visible()

    # While the owner chooses, Xero stays connected to the first organisation.
    page.goto("/settings/integrations/")
    card = xero_card(page)
    expect(card.locator(".badge").first).to_have_text("Connected")
    expect(card).to_contain_text(f"Torqueflow keeps syncing with {FIRST_ORG} until you choose")
    expect(card.get_by_label(f"Keep {FIRST_ORG}")).to_be_checked()
    card.get_by_label(SECOND_ORG).check()
    card.get_by_role("button", name="Confirm choice").click()
    expect(
        page.get_by_text(
            f"Invoices already sent to {FIRST_ORG} stay there; "
            f"Torqueflow starts afresh in {SECOND_ORG}."
        )
    ).to_be_visible()
    page.get_by_role("button", name=f"Move to {SECOND_ORG}").click()
    expect(page.get_by_text("Connected to Xero.")).to_be_visible()
    expect(xero_card(page)).to_contain_text(SECOND_ORG)

    page.goto(invoice_url)
    panel = page.locator(".sync-panel")
    was = panel.locator(".badge", has_text=f"Was in {FIRST_ORG}")
    expect(was).to_have_attribute("title", re.compile(f"Xero invoice ID {first_id}"))
    expect(page.locator("#sync-row-xero .badge")).to_have_text("Not synced")
    sync_to_xero(page)
    assert xero_id_of("INV-0002") != first_id  # a new invoice in the new organisation
    expect(panel.locator(".badge", has_text=f"Was in {FIRST_ORG}")).to_be_visible()


def test_the_list_shows_each_connected_providers_badge(demo, login, sandbox, celery_worker):
    page = login()
    connect_xero(page)
    page.goto("/settings/integrations/")
    page.locator("#integration-ghl").get_by_role("button", name="Connect GoHighLevel").click()
    page.get_by_label(re.compile("Demo Plumbing & Heating \\(GHL\\)")).check()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_text("Connected to GoHighLevel.")).to_be_visible()

    open_invoice(page, "INV-0002")
    page.get_by_role("button", name="Push to GHL").click()
    expect(page.locator("#sync-row-ghl .badge")).to_have_text("Pushed to GHL", timeout=POLL)
    page.goto("/invoices/")
    row = page.locator("tr", has_text="INV-0002")
    expect(row.locator(".badge", has_text="GHL: Pushed")).to_be_visible()
    xero = row.locator(".badge", has_text="Xero: Not synced")
    expect(xero).to_have_attribute("title", re.compile("Not sent to Xero yet"))

    open_invoice(page, "INV-0002")
    sync_to_xero(page)
    page.goto("/invoices/")
    row = page.locator("tr", has_text="INV-0002")
    expect(row.locator(".badge")).to_have_text(["GHL: Pushed", "Xero: Synced"])
    expect(row.locator(".badge", has_text="Xero: Synced")).to_have_attribute(
        "title", re.compile("Synced to Xero. Last synced")
    )
