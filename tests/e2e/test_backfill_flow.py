"""Sending earlier invoices to Xero: invoices finalised before Xero was connected are offered
on the Xero tab, sent after a confirmation, with a progress bar that survives a reload."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Organisation
from invoicing.demo import DEMO_ORGANISATION
from invoicing.models import Customer, Invoice, NominalCode
from tests.factories import make_invoice

from .test_xero_flow import POLL, connect_xero


def finalised_long_ago(count: int) -> list[Invoice]:
    """Sales invoices dated 40 days ago and more, finalised before Xero is connected."""
    organisation = Organisation.objects.get(name=DEMO_ORGANISATION)
    customer = Customer.objects.get(organisation=organisation, name="Acme Property Management")
    labour = NominalCode.objects.get(organisation=organisation, code="4000")
    today = timezone.localdate()
    return [
        make_invoice(
            organisation,
            finalise=True,
            customer=customer,
            issue_date=today - datetime.timedelta(days=40 + 10 * n),
            lines=[(1, "250.00", "20", labour)],
        )
        for n in range(count)
    ]


def test_owner_sends_earlier_invoices_to_xero_and_sees_the_figures(
    demo, login, sandbox, celery_worker
):
    ours = finalised_long_ago(3)
    earlier = Invoice.objects.exclude(status__in=["draft", "void"]).count()
    today = timezone.localdate()

    page = login()
    connect_xero(page)
    page.goto("/settings/integrations/xero/")
    section = page.locator("#backfill-xero")
    expect(section).to_contain_text(f"Send {earlier} earlier invoices to Xero")

    # Only what is dated up to a week ago: the demo's invoices of the last few days stay behind.
    start, end = today - datetime.timedelta(days=100), today - datetime.timedelta(days=7)
    section.get_by_label("From", exact=True).fill(start.isoformat())
    section.get_by_label("To", exact=True).fill(end.isoformat())
    chosen = (
        Invoice.objects.exclude(status__in=["draft", "void"])
        .filter(issue_date__range=(start, end))
        .count()
    )
    assert 0 < chosen < earlier
    send = section.get_by_role("button", name=f"Send {chosen} earlier invoices to Xero")
    expect(send).to_be_visible()

    send.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Send {chosen} earlier invoices to Xero?")
    dialog.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Sending earlier invoices to Xero.")).to_be_visible()

    # Under way or already done: the page reads it back from the database either way.
    under_way_or_done = re.compile(rf"\d+ of {chosen} sent|\d+ sent, \d+ failed")
    expect(section).to_contain_text(under_way_or_done)
    page.reload()
    expect(page.locator("#backfill-xero")).to_contain_text(under_way_or_done)

    # The demo's euro invoice is refused (Currency mismatch); everything else arrives.
    figures = page.locator(".backfill-figures")
    expect(figures).to_have_text(f"{chosen - 1} sent, 1 failed", timeout=POLL)
    page.reload()
    expect(page.locator(".backfill-figures")).to_have_text(f"{chosen - 1} sent, 1 failed")
    left = earlier - chosen
    expect(page.locator("#backfill-xero")).to_contain_text(
        f"Send {left} earlier invoice{'s' if left > 1 else ''} to Xero"
    )

    page.locator(".backfill-figures").get_by_role("link", name="1 failed").click()
    expect(page.get_by_role("heading", name="Failed Xero syncs")).to_be_visible()
    expect(page.locator("table")).to_contain_text("INV-0006")

    for invoice in (ours[0], ours[-1]):
        page.goto(f"/invoices/{invoice.pk}/")
        expect(page.locator(".sync-panel .badge")).to_have_text("Synced to Xero")
