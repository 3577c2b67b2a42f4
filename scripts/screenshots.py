"""Screenshots of the main pages at desktop and phone widths, for docs/ and the README.

Usage: python scripts/screenshots.py BASE_URL SUFFIX
against a seeded demo (SANDBOX_ENABLED=1); connects Xero through the sandbox first so the
Integrations page shows a connected card. Writes docs/screens/<page>-<width>-<SUFFIX>.png.
"""

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser import CHROMIUM, CHROMIUM_ARGS

OUT = Path(__file__).resolve().parent.parent / "docs" / "screens"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def main(base: str, suffix: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size, (width, height) in SIZES.items():
            context = browser.new_context(
                base_url=base, viewport={"width": width, "height": height}
            )
            page = context.new_page()
            page.goto("/accounts/login/")
            page.get_by_label("Email").fill("owner@demo.test")
            page.get_by_label("Password").fill("torqueflow-demo")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(re.compile(r"/$"))
            page.goto("/settings/integrations/")
            connect = page.get_by_role("button", name="Connect Xero")
            if connect.count():
                connect.click()
                page.get_by_role("button", name="Allow access").click()
                page.wait_for_url(re.compile("/settings/integrations/"))
            page.goto("/invoices/")
            invoice = page.get_by_role("link", name="INV-0001").first.get_attribute("href")
            page.goto("/customers/")
            customer = page.locator("table a[href^='/customers/']").first.get_attribute("href")
            pages = {
                "home": "/",
                "invoices": "/invoices/",
                "invoice": invoice,
                "integrations": "/settings/integrations/",
                "customer": customer,
            }
            for name, url in pages.items():
                page.goto(url)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}-{size}-{suffix}.png"))
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
