"""The Webhooks Manager in a real browser, against the sandbox's request bin and a real
Celery worker: an endpoint's secret is shown once, a test event arrives signed, and an
inbound webhook turns a post into a lead."""

import re

from playwright.sync_api import expect


def test_owner_sends_a_signed_test_event_and_takes_a_lead_in(
    demo, login, sandbox, celery_worker, settings
):
    # The live server is plain http on this machine: what DEBUG and the sandbox allow.
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    bin_url = f"{sandbox}/sandbox/requestbin/e2e/in/"
    page = login()

    page.goto("/settings/integrations/webhooks/")
    page.get_by_role("link", name="Go to Webhooks Manager").click()
    expect(page.get_by_role("heading", name="Webhooks Manager")).to_be_visible()

    page.get_by_role("link", name="Add endpoint").click()
    page.get_by_label("Endpoint URL").fill(bin_url)
    page.get_by_label("Description").fill("Request bin")
    expect(page.get_by_label(re.compile("lead.created"))).to_be_checked()
    page.get_by_label(re.compile("invoice.paid")).check()
    page.get_by_role("button", name="Save endpoint").click()

    expect(page.get_by_text("Copy the signing secret now: it is shown only once.")).to_be_visible()
    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    endpoint_url = page.url
    page.reload()
    expect(page.get_by_role("textbox", name="Signing secret")).to_have_count(0)

    page.goto("/sandbox/requestbin/e2e/")
    page.get_by_label("Signing secret").fill(secret)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Request bin saved.")).to_be_visible()

    page.goto(endpoint_url)
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("Test event sent.")).to_be_visible()
    row = page.locator(".delivery-row").first
    expect(row).to_contain_text("webhook.test", timeout=20_000)
    expect(row).to_contain_text("200 Delivered")

    page.goto("/sandbox/requestbin/e2e/")
    received = page.locator(".bin-request").first
    expect(received).to_contain_text("Signature verified")
    expect(received).to_contain_text('"type":"webhook.test"')

    page.goto("/settings/webhooks/")
    page.get_by_role("link", name="Create inbound webhook").click()
    page.get_by_label("Name").fill("Website form")
    page.get_by_role("button", name="Create inbound webhook").click()
    expect(page.get_by_text("Copy the URL now: it is shown only once.")).to_be_visible()
    inbound_url = page.get_by_role("textbox", name="Webhook URL").input_value()
    assert "/hooks/in/whin_" in inbound_url

    answer = page.request.post(
        inbound_url,
        data={"name": "Grace Okafor", "email": "grace@okafor.example.com", "budget": "5000"},
    )
    assert answer.status == 201

    page.reload()
    expect(page.locator(".inbound-row").first).to_contain_text("Lead created")
    page.get_by_role("link", name="Grace Okafor").click()
    expect(page.get_by_role("heading", name=re.compile("Grace Okafor"))).to_be_visible()
    expect(page.get_by_text("budget: 5000")).to_be_visible()

    # The new lead went out to the endpoint too, signed like the test event.
    page.goto("/sandbox/requestbin/e2e/")
    for _ in range(40):
        if "lead.created" in page.locator(".bin-request").first.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    lead_event = page.locator(".bin-request").first
    expect(lead_event).to_contain_text('"name":"Grace Okafor"')
    expect(lead_event).to_contain_text("Signature verified")

    # The same pages on a phone: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for url in ("/settings/webhooks/", endpoint_url, "/settings/webhooks/endpoints/add/"):
        page.goto(url)
        for example in page.locator(".webhook-event details").all()[:2]:
            example.locator("summary").click()
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 391)
            .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
            .slice(0, 12)""")
        assert width <= 390, f"{url} scrolls sideways ({width}px): {wide}"
