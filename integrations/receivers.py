from django.dispatch import receiver

from invoicing.signals import invoice_changed

from .services.sync import sync_object_changed


@receiver(invoice_changed, dispatch_uid="integrations_invoice_changed")
def invoice_changed_mark_pending(sender, invoice, change: str, **kwargs) -> None:
    sync_object_changed(obj=invoice, organisation_id=invoice.organisation_id, change=change)
