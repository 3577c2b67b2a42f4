from django.db.models.deletion import ProtectedError
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from accounts.models import Organisation

from .models import PaymentMethod


@receiver(post_save, sender=Organisation, dispatch_uid="invoicing_system_payment_methods")
def create_system_payment_methods(sender, instance: Organisation, created: bool, **kwargs):
    if not created:
        return
    PaymentMethod.objects.get_or_create(
        organisation=instance, name=PaymentMethod.XERO_SYNC, defaults={"is_system": True}
    )
    for name in PaymentMethod.DEFAULT_MANUAL:
        PaymentMethod.objects.get_or_create(organisation=instance, name=name)


@receiver(pre_delete, sender=PaymentMethod, dispatch_uid="invoicing_refuse_system_delete")
def refuse_system_method_delete(sender, instance: PaymentMethod, origin=None, **kwargs):
    """Every delete path (instance, queryset, admin) comes through here; only the
    organisation's own deletion may take its system methods with it."""
    if instance.is_system and not isinstance(origin, Organisation):
        raise ProtectedError(
            f'"{instance.name}" is a system payment method and cannot be deleted.', {instance}
        )
