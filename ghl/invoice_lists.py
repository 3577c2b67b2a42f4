"""Push to GHL and Send payment link on the invoices ticked in the sales invoice list."""

from collections.abc import Sequence

from django.urls import reverse

from accounts.capabilities import INVOICES_MANAGE
from accounts.models import Organisation
from invoicing.extensions import BulkAction, BulkStarted
from invoicing.models import Invoice

from . import link_runs, selectors, services

SEND_CONFIRM = (
    "Send payment links for the selected invoices? GoHighLevel emails each customer their "
    "link, or texts it when there is no email address."
)


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

    def send_links(request, invoices: Sequence[Invoice]) -> BulkStarted | str:
        if not invoices:
            return "Choose at least one invoice."
        run = link_runs.payment_link_run_start(
            connection=connection, invoices=invoices, actor=request.user
        )
        count = run.total
        noun = "invoice" if count == 1 else "invoices"
        return BulkStarted(
            f"Sending payment links for {count} {noun}.", reverse("ghl:link_run", args=[run.pk])
        )

    return [
        BulkAction("ghl_push", "Push to GHL", INVOICES_MANAGE, run),
        BulkAction(
            "ghl_send_links",
            "Send payment link",
            INVOICES_MANAGE,
            send_links,
            confirm=SEND_CONFIRM,
        ),
    ]
