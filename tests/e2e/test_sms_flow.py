"""SMS from end to end against the emulated Twilio: the owner connects with the sandbox's
credentials, texts an appointment reminder from the customer's page, watches the counter,
sends it and sees it delivered; the customer replies from the sandbox phone and the reply
shows in the history, counted unread on the SMS tab."""

import re

from playwright.sync_api import expect

from sandbox.twilio.constants import ACCOUNT_SID, AUTH_TOKEN, PHONE_NUMBER

POLL = 20_000
MAYA = "+447911123456"


def test_remind_watch_the_counter_send_see_delivered_and_read_the_reply(
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
    expect(page.locator("body")).not_to_contain_text(AUTH_TOKEN)

    # The "Text reminder" shortcut on the customer's upcoming appointment.
    page.goto("/customers/")
    page.get_by_role("link", name="ACME Creative Agency").first.click()
    reminders = page.locator("#section-sms_reminders")
    reminders.locator("li", has_text="Project kick-off").get_by_role(
        "link", name="Text reminder"
    ).click()
    form = page.locator("#sms-form")
    expect(form.get_by_label("Template")).to_have_value("appointment")
    expect(form.get_by_label("Phone number")).to_have_value("07911 123456")
    body = form.get_by_label("Message")
    expect(body).to_have_value(
        re.compile(r"^Hi Maya, this is .* reminding you of Project kick-off")
    )
    counter = page.locator("#sms-counter")
    expect(counter).to_contain_text("/ 160 characters · 1 SMS")

    # The counter follows every keystroke: an emoji switches to UCS-2 and says so.
    reminder = body.input_value()
    body.press("End")
    body.press_sequentially(" 😀")
    expect(counter).to_contain_text("Unicode (UCS-2) because of: 😀")
    expect(counter).to_contain_text(re.compile(r"2 SMS \(67 per part\)"))
    body.fill(reminder)
    expect(counter).not_to_contain_text("UCS-2")

    form.get_by_role("button", name="Send SMS").click()
    history = page.locator("#sms-history")
    thread = history.locator(f'.sms-thread[data-phone="{MAYA}"]')
    expect(thread).to_contain_text("Project kick-off")
    expect(thread.locator(".sms-status").first).to_have_text("Delivered", timeout=POLL)

    # The customer reads it on the sandbox phone and replies.
    page.goto(f"/sandbox/twilio/phone/{MAYA[1:]}/")
    expect(page.locator(".sandbox-phone")).to_contain_text("Project kick-off")
    page.get_by_label("Reply").fill("Yes, see you then")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent")).to_be_visible()

    # The reply is applied by a worker: the tab shows it once it has been.
    page.goto("/settings/integrations/twilio/")
    tab = page.locator(".integration-tabs").get_by_role("link", name=re.compile("^SMS"))
    for _ in range(40):
        if tab.locator(".tab-count").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(tab.locator(".tab-count")).to_have_text("1")
    thread = page.locator(f'#sms-history .sms-thread[data-phone="{MAYA}"]')
    expect(thread.locator(".sms-inbound")).to_contain_text("Yes, see you then")
    expect(thread).to_contain_text("Maya Chen")
