"""The layout faults an owner saw on a phone (390 px) and a desktop (1280 px), each checked
where it showed: the sync activity log, the invoice form, the GoHighLevel panel, the
Integrations switches and their toasts, the topbar and the push-several page."""

import re

from playwright.sync_api import Page, expect

from integrations.models import SyncActivity

from .test_xero_flow import POLL, connect_xero

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# A provider's message with long unbroken identifiers, as Xero's validation errors have.
LONG_MESSAGE = (
    "Message from Xero: ValidationException on Invoices/"
    "1030ea85-d4c1-5c6f-8cf2-84bee6e683c8/Payments/9f4c1a2e-77b0-4c1e-a1de-3b2d5c7e8f90"
)


def box(locator) -> dict:
    result = locator.bounding_box()
    assert result is not None, f"{locator} is not on the page"
    return result


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"


def text_lines(page: Page, selector: str) -> int:
    """How many lines the element's text takes, measured on its text, not its box."""
    return page.evaluate(
        """(selector) => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector(selector));
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return tops.size;
        }""",
        selector,
    )


def connect_ghl_and_push(page: Page) -> str:
    page.goto("/settings/integrations/")
    page.locator("#integration-ghl").get_by_role("button", name="Connect GoHighLevel").click()
    page.get_by_label(re.compile("Demo Plumbing & Heating \\(GHL\\)")).check()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_text("Connected to GoHighLevel.")).to_be_visible()
    page.goto("/invoices/")
    page.get_by_role("link", name="INV-0002").click()
    page.get_by_role("button", name="Push to GHL").click()
    expect(page.locator("#ghl-panel")).to_contain_text("GHL invoice ID", timeout=POLL)
    return page.url


def check_activity_log(page: Page, size: str) -> None:
    page.goto("/settings/integrations/activity/")
    expect(page.get_by_role("heading", name="Sync activity")).to_be_visible()
    cell = page.locator("td.activity-message", has_text="ValidationException")
    expect(cell).to_be_visible()
    if size == "phone":
        # The row's "Message" label stays one word on one line beside the long value.
        label = cell.evaluate(
            """(td) => {
                const s = getComputedStyle(td, '::before');
                return {content: s.content, height: parseFloat(s.height),
                        line: parseFloat(s.lineHeight)};
            }"""
        )
        assert label["content"] == '"Message"'
        assert label["height"] < 1.5 * label["line"], label
    no_sideways_scroll(page)


def check_invoice_form(page: Page, size: str) -> None:
    page.goto("/invoices/new/")
    row = page.locator("#lines tr.line-row").first
    inputs = row.locator("input:not([type=hidden]), select")
    boxes = [box(inputs.nth(i)) for i in range(inputs.count())]
    assert len(boxes) == 5
    if size == "desktop":
        assert text_lines(page, ".lines-table th:nth-child(4)") == 1  # "Tax %"
        expect(page.locator(".lines-table th").nth(3)).to_have_text("Tax %")
        assert len({round(b["y"]) for b in boxes}) == 1, "the line's inputs are ragged"
        assert len({round(b["height"]) for b in boxes}) == 1
    else:
        assert len({round(b["x"]) for b in boxes}) == 1, "the line's inputs are ragged"
        assert len({round(b["width"]) for b in boxes}) == 1
    no_sideways_scroll(page)


def check_ghl_panel(page: Page, invoice_url: str) -> None:
    page.goto(invoice_url)
    panel = page.locator("#ghl-panel")
    fieldset = box(panel.locator("fieldset"))
    legend = box(panel.locator("legend"))
    expect(panel.locator("legend")).to_have_text("Send payment link by")
    assert legend["y"] >= fieldset["y"] + 1, "the label runs through the border"
    labels = panel.locator("fieldset label")
    for i in range(labels.count()):
        label = box(labels.nth(i))
        assert label["x"] + label["width"] <= fieldset["x"] + fieldset["width"]
    outer = box(panel)
    assert fieldset["x"] + fieldset["width"] <= outer["x"] + outer["width"]
    no_sideways_scroll(page)


def check_toasts_and_toggles(page: Page) -> None:
    page.goto("/settings/integrations/")
    card = page.locator("#integration-xero")
    card.get_by_text("Sync purchase invoices").click()
    toast = page.locator("#toasts .toast").first
    expect(toast).to_contain_text("disabled")
    card.get_by_text("Sync sales invoices").click()
    expect(page.locator("#toasts .toast")).to_have_count(2)
    toasts = page.locator("#toasts .toast")
    toggles = card.locator(".toggle")
    for t in range(toasts.count()):
        for i in range(toggles.count()):
            assert not overlaps(box(toasts.nth(t)), box(toggles.nth(i))), "a toast covers a switch"
    # Back as they were, for the next width.
    card.get_by_text("Sync sales invoices").click()
    expect(card.get_by_label("Sync sales invoices")).to_be_checked()
    card.get_by_text("Sync purchase invoices").click()
    expect(card.get_by_label("Sync purchase invoices")).to_be_checked()
    no_sideways_scroll(page)


def check_topbar(page: Page, size: str) -> None:
    logout = page.get_by_role("button", name="Log out")
    expect(logout).to_be_visible()
    if size == "desktop":
        baselines = page.evaluate(
            """() => ['.user-name', '.logout-button', '.org-name'].map((selector) => {
                const range = document.createRange();
                range.selectNodeContents(document.querySelector(selector));
                return Math.round(range.getClientRects()[0].bottom);
            })"""
        )
        assert max(baselines) - min(baselines) <= 1, f"Log out is off the baseline: {baselines}"


def check_push_several(page: Page, invoice_url: str) -> None:
    page.goto(invoice_url)
    page.get_by_role("link", name="Push several invoices to GHL").click()
    heading = box(page.get_by_role("heading", name="Push invoices to GHL"))
    subtitle = box(page.locator(".page-head .subtitle"))
    assert subtitle["y"] >= heading["y"] + heading["height"] + 4, "the heading touches its subtitle"
    no_sideways_scroll(page)


def test_pages_hold_together_on_a_phone_and_a_desktop(demo, login, sandbox, celery_worker):
    page = login()
    connect_xero(page)
    invoice_url = connect_ghl_and_push(page)
    entry = SyncActivity.objects.order_by("-at", "-pk").first()
    entry.message = LONG_MESSAGE
    entry.save(update_fields=["message"])

    for size, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        check_activity_log(page, size)
        check_invoice_form(page, size)
        check_ghl_panel(page, invoice_url)
        check_topbar(page, size)
        check_push_several(page, invoice_url)
        check_toasts_and_toggles(page)
