"""The emulated Twilio's page on the sandbox's control page: the callbacks of a text sent
while the drop knob is on never reach Torqueflow until "Resend undelivered"; the undelivered
rate ends the next text undelivered; the number texted links to its phone page."""

import re

from playwright.sync_api import expect

from sandbox.twilio.constants import ACCOUNT_SID, AUTH_TOKEN, PHONE_NUMBER

POLL = 20_000
NUMBER = "+447700900123"


def set_knobs(page, **values):
    page.goto("/sandbox/twilio/")
    faults = page.locator("#twilio-faults")
    for label, value in values.items():
        faults.get_by_label(label).fill(value)
    faults.get_by_role("button", name="Save fault settings").click()
    expect(page.get_by_text("Twilio fault settings saved.")).to_be_visible()


def send(page, text):
    page.goto("/settings/integrations/twilio/")
    form = page.locator("#sms-form")
    form.get_by_label("Phone number").fill("07700 900123")
    form.get_by_label("Message").fill(text)
    form.get_by_role("button", name="Send SMS").click()
    thread = page.locator(f'#sms-history .sms-thread[data-phone="{NUMBER}"]')
    expect(thread).to_contain_text(text)
    return thread


def test_dropped_callbacks_resent_the_undelivered_rate_and_the_phone_link(
    demo, login, sandbox, celery_worker
):
    page = login()
    page.goto("/settings/integrations/twilio/")
    card = page.locator("#integration-twilio")
    card.get_by_label("Account SID").fill(ACCOUNT_SID)
    card.get_by_label("Auth Token").fill(AUTH_TOKEN)
    card.get_by_label("Sender").fill(PHONE_NUMBER)
    card.get_by_role("button", name="Connect Twilio").click()
    expect(page.locator("#integration-twilio .badge").first).to_have_text("Connected")

    set_knobs(page, **{"Drop webhooks (0 to 1)": "1"})
    send(page, "Your boiler service is on Friday")

    # Twilio delivered it, but its callbacks were dropped: Torqueflow still says queued.
    page.goto("/sandbox/twilio/")
    account = page.locator("#twilio-account")
    row = account.locator("tr", has_text=NUMBER)
    for _ in range(40):
        if row.count() and "delivered" in row.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(row).to_contain_text("delivered")
    webhooks = page.locator("#twilio-webhooks")
    expect(webhooks.locator(".badge", has_text="dropped")).to_have_count(2)
    page.goto("/settings/integrations/twilio/")
    thread = page.locator(f'#sms-history .sms-thread[data-phone="{NUMBER}"]')
    expect(thread.locator(".sms-status").first).to_have_text("Queued")

    set_knobs(page, **{"Drop webhooks (0 to 1)": "0"})
    page.locator("#twilio-webhooks").get_by_role("button", name="Resend undelivered").click()
    expect(page.get_by_text("2 undelivered Twilio webhook(s) sent again.")).to_be_visible()
    page.goto("/settings/integrations/twilio/")
    thread = page.locator(f'#sms-history .sms-thread[data-phone="{NUMBER}"]')
    expect(thread.locator(".sms-status").first).to_have_text("Delivered", timeout=POLL)

    # Every text fails at the far end now.
    set_knobs(page, **{"Undelivered rate (0 to 1)": "1"})
    thread = send(page, "Your invoice is due")
    expect(thread.locator(".sms-status").first).to_contain_text(
        re.compile("Undelivered"), timeout=POLL
    )

    page.goto("/sandbox/twilio/")
    expect(page.locator("#twilio-account")).to_contain_text("1 undelivered")
    page.locator("#twilio-account").get_by_role("link", name=NUMBER).click()
    expect(page.locator(".sandbox-phone")).to_contain_text("Your invoice is due")
