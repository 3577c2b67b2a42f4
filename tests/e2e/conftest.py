"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

Playwright's sync API runs an event loop in the test thread, so Django's guard against
database calls from async code is lifted for these tests only.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.browser import CHROMIUM, CHROMIUM_ARGS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
DEMO_PASSWORD = "torqueflow-demo"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def login(page):
    def _login(email: str = "owner@demo.test", password: str = DEMO_PASSWORD):
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: urlsplit(url).path == "/")  # the home page
        page.goto("/invoices/")
        return page

    return _login


def wait_for_status(page, status: str, *, attempts: int = 40) -> None:
    """Reload the invoice page until its status reads `status`: for changes a worker makes
    after a provider's webhook, which the page does not poll for."""
    for _ in range(attempts):
        if page.locator("h1 .status").inner_text().strip() == status:
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"the invoice at {page.url} did not become {status!r}")


@pytest.fixture
def sandbox(live_server, settings):
    """Point Torqueflow's provider settings at the sandbox served by this live server."""
    base = live_server.url
    settings.SANDBOX_BASE_URL = base
    settings.SANDBOX_XERO_WEBHOOK_URL = f"{base}/webhooks/xero/"
    settings.XERO_AUTHORIZE_URL = "/sandbox/xero/identity/connect/authorize"
    settings.XERO_TOKEN_URL = f"{base}/sandbox/xero/identity/connect/token"
    settings.XERO_CONNECTIONS_URL = f"{base}/sandbox/xero/connections"
    settings.XERO_API_URL = f"{base}/sandbox/xero/api.xro/2.0"
    settings.SANDBOX_GHL_WEBHOOK_URL = f"{base}/webhooks/ghl/"
    settings.GHL_AUTHORIZE_URL = "/sandbox/ghl/oauth/chooselocation"
    settings.GHL_TOKEN_URL = f"{base}/sandbox/ghl/oauth/token"
    settings.GHL_API_URL = f"{base}/sandbox/ghl/api"
    settings.STRIPE_TEST_SECRET_KEY = settings.SANDBOX_STRIPE_TEST_SECRET_KEY
    settings.STRIPE_LIVE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = f"{base}/sandbox/stripe"
    settings.SANDBOX_STRIPE_WEBHOOK_URL = f"{base}/webhooks/stripe/"
    settings.TWILIO_API_BASE = f"{base}/sandbox/twilio"
    settings.TWILIO_PUBLIC_WEBHOOK_BASE = ""
    settings.SANDBOX_TWILIO_WEBHOOK_URL = f"{base}/webhooks/twilio/"
    settings.SANDBOX_TWILIO_FAILURE_RATE = 0.0
    return base


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread of this process, consuming the in-memory broker that
    the live server's requests enqueue into."""
    from celery.contrib.testing.worker import start_worker

    from torqueflow.celery import app

    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False) as worker:
        yield worker
