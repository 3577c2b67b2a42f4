"""The Xero tab's own section: the account in Xero that payments recorded in Torqueflow go
to. Read from Xero's chart of accounts each time the tab is shown (one call)."""

from __future__ import annotations

import logging
from typing import Any

from integrations.errors import IntegrationError
from integrations.models import Connection

from . import payments_out
from .client import Account
from .inbound import Pacer, xero_client

logger = logging.getLogger(__name__)

TEMPLATE = "xero_sync/payments_account.html"


def accounts_read(connection: Connection) -> list[Account]:
    """The accounts payments can go to, within the connection's rate limit (ahead of bulk
    work, but no waiting in a page: a minute used up raises RateLimited)."""
    pacer = Pacer(connection, urgent=True, max_wait=0.0)
    with xero_client(connection) as client:
        return pacer.call(payments_out.payment_accounts, client)


def page_context(connection: Connection | None) -> dict[str, Any]:
    if connection is None or not connection.is_active:
        return {"payments": None}
    chosen = payments_out.chosen_account(connection)
    accounts: list[Account] = []
    error = ""
    try:
        accounts = accounts_read(connection)
    except IntegrationError as failure:
        logger.info("Reading Xero's accounts for connection %s failed: %s", connection.pk, failure)
        error = str(failure) or "Xero did not answer"
    chosen_id = chosen["id"] if chosen else ""
    return {
        "payments": {
            "accounts": accounts,
            "chosen": chosen,
            "chosen_id": chosen_id,
            "chosen_label": payments_out.account_label(chosen) if chosen else "",
            "chosen_listed": any(a.account_id == chosen_id for a in accounts),
            "error": error,
            "sending": payments_out.sending(connection),
            "toggle_label": payments_out.TOGGLE_LABEL,
        }
    }
