"""With the sandbox on and no EMAIL_URL, mail is only recorded (the sandbox outbox shows it)."""

from django.core.mail.backends.base import BaseEmailBackend


class RecordOnlyBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        return len(email_messages or [])
