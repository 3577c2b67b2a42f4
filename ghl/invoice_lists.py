"""Push to GHL on the invoices ticked in the sales invoice list."""

from collections.abc import Sequence

from accounts.capabilities import INVOICES_MANAGE
from accounts.models import Organisation
from invoicing.extensions import BulkAction
from invoicing.models import Invoice

from . import selectors, services


def push_bulk_actions(organisation: Organisation, kind: str) -> list[BulkAction]:
    if kind != Invoice.Kind.SALES:
        return []
    connection = selectors.active_connection(organisation=organisation)
    if connection is None:
        return []

    def run(request, invoices: Sequence[Invoice]) -> str:
        queued = services.push_many(
            connection=connection,
            invoice_ids=[invoice.pk for invoice in invoices],
            actor=request.user,
        )
        if not queued:
            return "None of those invoices can be pushed."
        return f"{queued} invoice(s) queued to push to GoHighLevel."

    return [BulkAction("ghl_push", "Push to GHL", INVOICES_MANAGE, run)]
