"""What the SMS tab shows under its card: the form (filled by the sms_compose tag, which
reads the request) and the history in threads."""

from __future__ import annotations

from typing import Any

from accounts.models import Organisation
from integrations.models import Connection

from . import mapping, selectors


def history_context(*, organisation: Organisation) -> dict[str, Any]:
    threads = selectors.threads(organisation=organisation)
    settling = any(
        m.status not in ("delivered", "received", *mapping.FAILED_STATUSES, "read")
        for t in threads
        for m in t.messages[:5]
    )
    return {
        "threads": threads,
        "unread": sum(t.unread for t in threads),
        "settling": settling,
    }


def tab_context(*, organisation: Organisation, connection: Connection | None) -> dict[str, Any]:
    if connection is None or connection.state != Connection.State.ACTIVE:
        return {"sms": None}
    return {
        "sms": {
            "sender": connection.credentials.get("sender", ""),
            "templates": mapping.TEMPLATES,
            "contacts": selectors.contacts_with_phones(organisation=organisation),
        },
        **history_context(organisation=organisation),
    }
