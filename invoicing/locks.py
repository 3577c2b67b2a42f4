"""Row locks through small named helpers, always taken invoice first, then its payments."""

from invoicing.models import Invoice, InvoiceSequence, Payment


def invoice_lock(*, invoice_id: int) -> Invoice:
    return Invoice.objects.select_for_update(of=("self",)).get(pk=invoice_id)


def invoices_lock(*, invoice_ids: list[int]) -> dict[int, Invoice]:
    """Several invoices locked in one statement, in id order (as two workers would take them
    one by one), with their customers read alongside (not locked)."""
    rows = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk__in=invoice_ids)
        .order_by("pk")
    )
    return {invoice.pk: invoice for invoice in rows}


def payment_lock(*, payment_id: int) -> Payment:
    return Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)


def sequence_lock(*, organisation_id: int, kind: str) -> InvoiceSequence:
    InvoiceSequence.objects.get_or_create(organisation_id=organisation_id, kind=kind)
    return InvoiceSequence.objects.select_for_update().get(
        organisation_id=organisation_id, kind=kind
    )
