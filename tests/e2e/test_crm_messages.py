"""A customer's message thread in a real browser: the unread count in the sidebar, reading
the thread, replying."""

from playwright.sync_api import expect


def test_staff_read_acmes_message_and_reply(demo, login):
    page = login("staff@demo.test")
    messages_link = page.locator("nav.sidebar").get_by_role("link", name="Messages")
    expect(messages_link.locator(".nav-count")).to_have_text("1 unread")

    messages_link.click()
    acme_row = page.get_by_role("row", name="ACME Creative Agency")
    expect(acme_row).to_contain_text("Could we move Thursday's visit to the afternoon?")
    expect(acme_row).to_contain_text("1 unread")
    acme_row.get_by_role("link", name="ACME Creative Agency").click()

    expect(page.get_by_role("heading", name="Messages with ACME Creative Agency")).to_be_visible()
    thread = page.get_by_role("list", name="Messages")
    expect(thread.locator("li").last).to_contain_text("Maya Chen")
    expect(thread.locator("li").last).to_contain_text(
        "Could we move Thursday's visit to the afternoon?"
    )
    expect(messages_link.locator(".nav-count")).to_have_count(0)

    page.get_by_label("Reply").fill("Yes, 2pm on Thursday works. See you then.")
    page.get_by_role("button", name="Send reply").click()

    expect(page.get_by_text("Reply sent.")).to_be_visible()
    expect(thread.locator("li").last).to_contain_text("Sam Patel")
    expect(thread.locator("li").last).to_contain_text("Yes, 2pm on Thursday works. See you then.")
    expect(messages_link.locator(".nav-count")).to_have_count(0)

    # The thread reads on a phone without scrolling sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
