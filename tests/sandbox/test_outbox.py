"""The sandbox outbox: every email Torqueflow recorded, newest first, readable with links
that work, only while the sandbox is on."""

import subprocess

import pytest
from django.test import Client

from notifications.models import Email

from ..factories import OrganisationFactory
from ..helpers import text, visible_text
from ..test_safe_defaults import REQUIRED, run_python
from .conftest import reload_urls


def record(organisation=None, **fields) -> Email:
    values = {
        "to": "someone@example.test",
        "subject": "Hello",
        "text_body": "Open https://app.example.test/accounts/invitation/abc/ to join.",
        "html_body": '<p><a href="https://app.example.test/accounts/invitation/abc/">Join</a>'
        "<script>alert(1)</script></p>",
        "template": "team_invitation",
        **fields,
    }
    return Email.objects.create(organisation=organisation, **values)


@pytest.mark.django_db
def test_the_outbox_lists_every_email_newest_first_with_links_that_work(client: Client):
    acme, globex = OrganisationFactory(name="Acme"), OrganisationFactory(name="Globex")
    record(acme, subject="First to Acme")
    record(globex, subject="Then to Globex", outcome=Email.Outcome.SENT)

    response = client.get("/sandbox/outbox/")

    assert response.status_code == 200
    page = visible_text(response)
    assert page.index("Then to Globex") < page.index("First to Acme")
    assert 'href="https://app.example.test/accounts/invitation/abc/"' in text(response)
    assert "<script>alert(1)</script>" not in text(response)


@pytest.mark.django_db
def test_the_outbox_filters_by_organisation(client: Client):
    acme, globex = OrganisationFactory(name="Acme"), OrganisationFactory(name="Globex")
    record(acme, subject="For Acme")
    record(globex, subject="For Globex")

    page = visible_text(client.get("/sandbox/outbox/", {"organisation": acme.pk}))

    assert "For Acme" in page
    assert "For Globex" not in page
    assert client.get("/sandbox/outbox/", {"organisation": "junk"}).status_code == 200


@pytest.mark.django_db
def test_the_html_part_opens_without_scripts_or_requests(client: Client):
    email = record()

    response = client.get(f"/sandbox/outbox/{email.pk}/html/")

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox ")  # no scripts, an origin of its own
    assert "default-src 'none'" in policy
    assert client.get(f"/sandbox/outbox/{email.pk + 1}/html/").status_code == 404


@pytest.mark.django_db
def test_the_outbox_does_not_exist_when_the_sandbox_is_off(client: Client, settings):
    email = record()
    settings.SANDBOX_ENABLED = False
    reload_urls()
    try:
        assert client.get("/sandbox/outbox/").status_code == 404
        assert client.get(f"/sandbox/outbox/{email.pk}/html/").status_code == 404
    finally:
        settings.SANDBOX_ENABLED = True
        reload_urls()


def _email_backend(env: dict[str, str]) -> str:
    result: subprocess.CompletedProcess = run_python(
        "import torqueflow.settings as s; print(s.EMAIL_BACKEND, s.DEFAULT_FROM_EMAIL)",
        {**REQUIRED, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_mail_goes_to_the_outbox_only_with_the_sandbox_on_and_no_email_url():
    assert _email_backend({"DEBUG": "1", "SANDBOX_ENABLED": "1"}).startswith(
        "notifications.backends.RecordOnlyBackend"
    )
    assert _email_backend({"DEBUG": "1"}).startswith(
        "django.core.mail.backends.console.EmailBackend"
    )
    smtp = _email_backend(
        {
            "DEBUG": "1",
            "SANDBOX_ENABLED": "1",
            "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.test:587",
            "DEFAULT_FROM_EMAIL": "Acme <billing@acme.test>",
        }
    )
    assert smtp == "django.core.mail.backends.smtp.EmailBackend Acme <billing@acme.test>"
