"""Outgoing email: both parts rendered, every message recorded, sent by a task that retries
what the mail server may accept later and fails what it refuses for good."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from notifications.models import Email
from notifications.services import email_send
from notifications.tasks import MAX_RETRIES

CONTEXT = {
    "organisation": {"name": "Acme Plumbing"},
    "role": {"name": "Staff"},
    "inviter": "Olivia Owner",
    "link": "https://app.example.test/accounts/invitation/abc/",
    "expires_at": None,
}


@pytest.fixture(autouse=True)
def eager_tasks(db, settings):
    """Tasks run in the test's thread, their retries at once, as a worker would in order."""
    from torqueflow.celery import app

    settings.DEFAULT_FROM_EMAIL = "Torqueflow <no-reply@example.test>"
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


class Server:
    """The mail server as the backend meets it: answers each send from a list of outcomes
    (an exception to raise, or None to accept), then accepts."""

    def __init__(self, monkeypatch):
        self.answers: list[Exception | None] = []
        accept = EmailBackend.send_messages

        def send_messages(backend, messages):
            answer = self.answers.pop(0) if self.answers else None
            if answer is not None:
                raise answer
            return accept(backend, messages)

        monkeypatch.setattr(EmailBackend, "send_messages", send_messages)


@pytest.fixture
def server(monkeypatch):
    return Server(monkeypatch)


def test_an_email_is_rendered_in_both_parts_recorded_and_sent(
    org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(
            to="new@example.test", template="team_invitation", context=CONTEXT, organisation=org
        )

    email.refresh_from_db()
    assert email.subject == "Olivia Owner invited you to join Acme Plumbing on Torqueflow"
    assert email.organisation == org
    assert email.template == "team_invitation"
    assert email.outcome == Email.Outcome.SENT
    assert email.sent_at is not None
    assert email.attempts == 1
    [sent] = mail.outbox
    assert sent.to == ["new@example.test"]
    assert sent.from_email == "Torqueflow <no-reply@example.test>"
    assert sent.subject == email.subject
    assert CONTEXT["link"] in sent.body
    [(html, mimetype)] = sent.alternatives
    assert mimetype == "text/html"
    assert f'href="{CONTEXT["link"]}"' in html


def test_nothing_is_sent_when_the_transaction_rolls_back(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_send(to="new@example.test", template="team_invitation", context=CONTEXT)

    assert len(callbacks) == 1  # sending waits for the commit
    assert mail.outbox == []
    assert Email.objects.get().outcome == Email.Outcome.QUEUED


def test_a_server_that_is_busy_once_is_tried_again(server, django_capture_on_commit_callbacks):
    server.answers = [smtplib.SMTPResponseException(451, b"Try again later")]

    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(to="new@example.test", template="team_invitation", context=CONTEXT)

    email.refresh_from_db()
    assert (email.outcome, email.attempts, email.error) == (Email.Outcome.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_an_unreachable_server_fails_the_email_after_the_last_retry(
    server, django_capture_on_commit_callbacks
):
    server.answers = [ConnectionRefusedError(111, "Connection refused")] * (MAX_RETRIES + 1)

    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(to="new@example.test", template="team_invitation", context=CONTEXT)

    email.refresh_from_db()
    assert email.outcome == Email.Outcome.FAILED
    assert email.attempts == MAX_RETRIES + 1
    assert "Connection refused" in email.error
    assert mail.outbox == []


def test_a_permanent_refusal_fails_the_email_at_once(server, django_capture_on_commit_callbacks):
    server.answers = [
        smtplib.SMTPRecipientsRefused({"new@example.test": (550, b"No such mailbox")})
    ]

    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(to="new@example.test", template="team_invitation", context=CONTEXT)

    email.refresh_from_db()
    assert (email.outcome, email.attempts) == (Email.Outcome.FAILED, 1)
    assert "No such mailbox" in email.error
    assert email.sent_at is None


def test_an_email_already_sent_is_not_sent_twice(django_capture_on_commit_callbacks):
    from notifications.tasks import email_deliver_task

    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(to="new@example.test", template="team_invitation", context=CONTEXT)
    email_deliver_task.delay(email.pk)  # a redelivered message

    assert len(mail.outbox) == 1
