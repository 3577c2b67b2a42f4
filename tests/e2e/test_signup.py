"""Sign-up in a real browser on a fresh organisation: the new Owner signs up from the login
page, reads the verification email in the sandbox outbox, verifies, sees the first-run
checklist, invites a teammate, and the teammate joins from the outbox in a browser of their
own."""

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

OWNER = "nia@brightwater.test"
TEAMMATE = "sam@brightwater.test"
PASSWORD = "plum tree harbour 42"
BANNER = "Verify your email to connect integrations"


def link_in_outbox(page, to: str, pattern: str) -> str:
    """The link of the newest email to `to`, once the worker has sent it."""
    page.goto("/sandbox/outbox/")
    email = page.get_by_role("article").filter(has_text=to).first
    for _ in range(40):
        if "Sent" in email.inner_text():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(email.locator(".badge")).to_have_text("Sent")
    return email.get_by_role("link", name=re.compile(pattern)).first.get_attribute("href")


def test_a_business_signs_up_verifies_and_invites_a_teammate(
    page, browser, live_server, sandbox, celery_worker
):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign up").click()
    page.wait_for_url("**/signup/")
    page.get_by_label("Business name").fill("Brightwater Plumbing")
    page.get_by_label("Your first name").fill("Nia")
    page.get_by_label("Your last name").fill("Hughes")
    page.get_by_label("Email", exact=True).fill(OWNER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    expect(page.get_by_label("Country")).to_have_value("GB")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.get_by_role("heading", name="Brightwater Plumbing")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=BANNER)).to_be_visible()
    checklist = page.locator(".checklist")
    for step in (
        "Connect your accounting",
        "Add your first customer",
        "Send your first invoice",
        "Invite your team",
    ):
        expect(checklist.get_by_role("link", name=step)).to_be_visible()

    # Connecting a provider waits for the verified email.
    page.goto("/settings/integrations/")
    page.get_by_role("button", name=re.compile("^Connect")).first.click()
    expect(page.get_by_text(BANNER).first).to_be_visible()

    link = link_in_outbox(page, OWNER, r"accounts.verify")
    expect(page.get_by_role("article").filter(has_text=OWNER).first).to_contain_text(
        "Verify your email for Torqueflow"
    )
    page.goto(link)
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.get_by_text("Your email is verified.")).to_be_visible()
    expect(page.get_by_text(BANNER)).to_have_count(0)
    expect(page.locator(".checklist").get_by_role("link", name="Invite your team")).to_be_visible()

    # Invite a teammate from Settings → Team.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Team", exact=True).click()
    page.get_by_label("Email").fill(TEAMMATE)
    page.get_by_label("Role", exact=True).select_option(label="Staff")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation sent to {TEAMMATE}.")).to_be_visible()
    invitation = link_in_outbox(page, TEAMMATE, r"accounts.invitation")

    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    try:
        teammate = context.new_page()
        teammate.goto(invitation)
        expect(teammate.get_by_text("invited to join")).to_contain_text("Brightwater Plumbing")
        teammate.get_by_label("First name").fill("Sam")
        teammate.get_by_label("Password", exact=True).fill(PASSWORD)
        teammate.get_by_label("Password again").fill(PASSWORD)
        teammate.get_by_role("button", name=re.compile("^Join ")).click()
        expect(teammate.get_by_text("Welcome to Brightwater Plumbing.")).to_be_visible()
        expect(teammate.locator(".user-name")).to_contain_text("Sam · Staff")
        # An invited teammate proved their address by following the link: no banner.
        expect(teammate.get_by_text(BANNER)).to_have_count(0)
    finally:
        context.close()

    page.goto("/")
    checklist = page.locator(".checklist")
    expect(checklist.get_by_role("link", name="Invite your team")).to_have_count(0)
    expect(checklist).to_contain_text("Invite your team")  # ticked

    # The sign-up page reads on a phone without scrolling sideways.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/signup/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
