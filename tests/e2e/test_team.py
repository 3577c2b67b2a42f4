"""Settings → Team in a real browser: the demo Owner invites a teammate, the invitation email
is read in the sandbox outbox, and the teammate follows its link in a browser of their own."""

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

TEAMMATE = "teammate@demo.test"


def test_owner_invites_a_teammate_who_joins_from_the_outbox(
    demo, login, browser, live_server, sandbox, celery_worker
):
    page = login("owner@demo.test")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("owner@demo.test"))).to_be_visible()

    page.get_by_label("Email").fill(TEAMMATE)
    page.get_by_label("Role", exact=True).select_option(label="Staff")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_text(f"Invitation sent to {TEAMMATE}.")).to_be_visible()
    pending = page.get_by_role("row", name=re.compile(TEAMMATE))
    expect(pending).to_contain_text("Staff")
    expect(pending.get_by_role("button", name="Resend")).to_be_visible()

    # The email, in the sandbox's outbox: sent by the worker, its link clickable.
    page.goto("/sandbox/outbox/")
    email = page.get_by_role("article").filter(has_text=TEAMMATE).first
    expect(email).to_contain_text("invited you to join")
    for _ in range(40):
        if "Sent" in email.inner_text():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(email.locator(".badge")).to_have_text("Sent")
    link = email.get_by_role("link", name=re.compile(r"accounts.invitation")).get_attribute("href")

    # The teammate, in a browser of their own.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    try:
        teammate = context.new_page()
        teammate.goto(link)
        expect(teammate.get_by_text("invited to join")).to_contain_text("as Staff")
        teammate.get_by_label("First name").fill("Tara")
        teammate.get_by_label("Last name").fill("Teammate")
        teammate.get_by_label("Password", exact=True).fill("plum tree harbour 42")
        teammate.get_by_label("Password again").fill("plum tree harbour 42")
        teammate.get_by_role("button", name=re.compile("^Join ")).click()

        teammate.wait_for_url(lambda url: urlsplit(url).path == "/")  # their home page
        expect(teammate.locator(".user-name")).to_contain_text("Tara Teammate · Staff")
        teammate.goto(link)
        expect(teammate.get_by_text("This invitation has already been used.")).to_be_visible()
    finally:
        context.close()

    page.goto("/settings/team/")
    member = page.get_by_role("row", name=re.compile(TEAMMATE))
    expect(member.get_by_label(f"Role of {TEAMMATE}")).to_have_value(re.compile(r"\d+"))
    expect(member).to_contain_text("Tara Teammate")
    expect(page.get_by_text("No pending invitations.")).to_be_visible()

    # The team page reads on a phone without scrolling sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
