from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Organisation
from invoicing.signals import invoice_changed, party_changed

from .services.fixes import fix_requeue_party
from .services.payments import organisation_payment_methods_create
from .services.sync import sync_object_changed


@receiver(invoice_changed, dispatch_uid="integrations_invoice_changed")
def invoice_changed_mark_pending(sender, invoice, change: str, **kwargs) -> None:
    sync_object_changed(obj=invoice, organisation_id=invoice.organisation_id, change=change)


@receiver(party_changed, dispatch_uid="integrations_party_changed")
def party_changed_requeue_fixed(sender, party, changed: list[str], **kwargs) -> None:
    fix_requeue_party(party=party, changed=changed)


@receiver(post_save, sender=Organisation, dispatch_uid="integrations_system_payment_methods")
def organisation_created_payment_methods(sender, instance: Organisation, created: bool, **kwargs):
    if created:
        organisation_payment_methods_create(organisation=instance)
