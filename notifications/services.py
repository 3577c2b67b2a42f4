"""Outgoing email: render a template's two parts, record the message, send it from a task."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Organisation

from .models import Email


class EmailSendRetry(Exception):
    """A failure worth another try (the server was unreachable or answered 4xx)."""


def _subject(rendered: str) -> str:
    return " ".join(rendered.split())


def email_send(
    *, to: str, template: str, context: dict, organisation: Organisation | None = None
) -> Email:
    """Render templates/email/<template>.subject.txt, .txt and .html with `context`, record
    the message and send it from a Celery task once the current transaction commits."""
    from .tasks import email_deliver_task

    email = Email.objects.create(
        organisation=organisation,
        to=to,
        subject=_subject(render_to_string(f"email/{template}.subject.txt", context)),
        text_body=render_to_string(f"email/{template}.txt", context),
        html_body=render_to_string(f"email/{template}.html", context),
        template=template,
    )
    transaction.on_commit(lambda: email_deliver_task.delay(email.pk))
    return email


def email_deliver(*, email_id: int, final_attempt: bool = False) -> Email:
    """Send a recorded email. A permanent refusal (5xx, bad address) fails the row; a
    transient one raises EmailSendRetry, except on the final attempt, which fails it."""
    with transaction.atomic():
        email = Email.objects.select_for_update().get(pk=email_id)
        if email.outcome == Email.Outcome.SENT:
            return email
        email.attempts += 1
        email.save(update_fields=["attempts"])
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    try:
        message.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        return _failed(email, error)
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500 or final_attempt:
            return _failed(email, error)
        raise EmailSendRetry(str(error)) from error
    except (OSError, smtplib.SMTPException) as error:
        if final_attempt:
            return _failed(email, error)
        raise EmailSendRetry(str(error)) from error
    email.outcome, email.sent_at, email.error = Email.Outcome.SENT, timezone.now(), ""
    email.save(update_fields=["outcome", "sent_at", "error"])
    return email


def _failed(email: Email, error: Exception) -> Email:
    email.outcome, email.error = Email.Outcome.FAILED, f"{type(error).__name__}: {error}"
    email.save(update_fields=["outcome", "error"])
    return email
