"""What the owner learns about failed syncs without reloading: the overview counts them,
Retry failed follows them to the outcome, and a badge that turns red says so in a toast."""

import re

from playwright.sync_api import Page, expect

from invoicing.models import NominalCode
from sandbox.models import Faults

from .test_xero_flow import POLL, connect_xero


def open_invoice(page: Page, number: str) -> None:
    page.goto("/invoices/")
    page.get_by_role("link", name=number).click()


def map_call_out_fees(page: Page, account: str) -> None:
    """Map nominal code 4020 (the demo leaves it unmapped) to a Xero account."""
    code = NominalCode.objects.get(code="4020")
    page.goto(f"/settings/finance/nominal-codes/{code.pk}/edit/")
    page.get_by_label("Xero account code").fill(account)
    page.get_by_role("button", name="Save").click()


def test_failed_invoices_are_counted_retried_and_followed_to_the_outcome(
    demo, login, sandbox, celery_worker
):
    page = login()
    connect_xero(page)
    open_invoice(page, "INV-0004")  # a line on 4020, which has no Xero account yet
    page.get_by_role("button", name="Finalise").click()
    expect(page.locator(".sync-panel .badge")).to_have_text("Sync failed", timeout=POLL)

    # Sync now on an invoice in euros: queued, then red, and the toast says why.
    open_invoice(page, "INV-0006")
    page.get_by_role("button", name="Sync now").click()
    toasts = page.locator("#toasts")
    expect(toasts).to_contain_text("Queued")
    expect(toasts).to_contain_text(
        "INV-0006 could not be sent to Xero: Currency mismatch", timeout=POLL
    )
    expect(page.locator(".sync-panel .badge")).to_have_text("Sync failed")

    page.goto("/settings/integrations/")
    tile = page.locator("#status-xero")
    expect(tile).to_contain_text("2 failed")
    expect(tile).not_to_contain_text("Nothing to do")
    tile.get_by_role("link", name="2 failed").click()
    expect(page.get_by_role("heading", name="Failed Xero syncs")).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("Unmapped nominal code")
    failed_url = page.url

    # Xero answers slowly, so the retry can be watched: one of the two goes once its code is
    # mapped, the other (in euros) fails again.
    Faults.set_knobs("xero", latency_ms=1500)
    page.goto(failed_url)
    page.get_by_role("button", name="Retry failed").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Send all 2 failed invoices to Xero again?")
    dialog.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("2 invoices queued again.")).to_be_visible()
    progress = page.locator(".retry-progress")
    expect(progress).to_contain_text("0 of 2 sent")
    expect(progress.locator("progress")).to_be_visible()
    expect(page.get_by_text("No failed invoices")).to_have_count(0)

    expect(progress).to_have_text("0 of 2 sent; 2 failed again.", timeout=POLL)
    expect(progress.locator("progress")).to_have_count(0)
    again = page.locator("tbody tr", has_text="INV-0006")
    expect(again).to_contain_text("Failed again")
    expect(again).to_contain_text("Currency mismatch")

    # Mapping the code sends the other again by itself: it leaves the failed list.
    map_call_out_fees(page, "200")
    page.goto(failed_url)
    expect(page.locator("tbody")).not_to_contain_text("INV-0004", timeout=POLL)
    page.reload()
    expect(page.locator(".retry-progress")).to_have_text("1 of 2 sent; 1 failed again.")
    page.goto("/settings/integrations/")
    expect(page.locator("#status-xero")).to_contain_text("1 failed")


def test_a_badge_that_turns_red_on_the_invoice_list_shows_a_toast(
    demo, login, sandbox, celery_worker
):
    page = login()
    connect_xero(page)
    map_call_out_fees(page, "999")  # an account this Xero organisation does not have
    Faults.set_knobs("xero", latency_ms=1500)
    open_invoice(page, "INV-0004")
    page.get_by_role("button", name="Finalise").click()

    page.goto("/invoices/")
    row = page.locator("tbody tr", has_text="INV-0004")
    expect(page.locator("#toasts")).to_contain_text(
        re.compile(r"INV-0004 could not be sent to Xero: .*999"), timeout=POLL
    )
    expect(row.locator(".badge", has_text="Xero: Failed")).to_be_visible()

    page.reload()  # an invoice that had already failed is no news
    expect(row.locator(".badge", has_text="Xero: Failed")).to_be_visible()
    page.wait_for_timeout(1500)
    expect(page.locator("#toasts")).not_to_contain_text("could not be sent")
