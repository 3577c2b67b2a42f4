"""Invoicing's domain signals, announced as business events."""

from django.dispatch import receiver

from invoicing import signals as invoicing_signals

from . import events


@receiver(invoicing_signals.invoice_changed, dispatch_uid="crm_invoice_events")
def invoice_changed_announce(sender, invoice, change: str, **kwargs) -> None:
    if change == invoicing_signals.FINALISED and invoice.is_sales:
        events.announce(events.INVOICE_FINALISED, invoice)


@receiver(invoicing_signals.payment_recorded, dispatch_uid="crm_payment_events")
def payment_recorded_announce(sender, payment, invoice, settled: bool, **kwargs) -> None:
    if not invoice.is_sales:
        return
    events.announce(events.PAYMENT_RECORDED, payment)
    if settled:
        events.announce(events.INVOICE_PAID, invoice)
