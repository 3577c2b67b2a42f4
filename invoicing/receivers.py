from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from accounts.models import Organisation
from accounts.signals import team_changed

from .models import PaymentMethod, refuse_system_method_delete


@receiver(post_save, sender=Organisation, dispatch_uid="invoicing_default_payment_methods")
def create_default_payment_methods(sender, instance: Organisation, created: bool, **kwargs):
    if not created:
        return
    for name in PaymentMethod.DEFAULT_MANUAL:
        PaymentMethod.objects.get_or_create(organisation=instance, name=name)


@receiver(pre_delete, sender=PaymentMethod, dispatch_uid="invoicing_refuse_system_delete")
def system_method_delete_backstop(sender, instance: PaymentMethod, origin=None, **kwargs):
    """A backstop for delete paths that bypass PaymentMethod.delete and its queryset's
    delete; only the organisation's own deletion may take its system methods with it."""
    if not isinstance(origin, Organisation):
        refuse_system_method_delete(instance)


@receiver(team_changed, dispatch_uid="invoicing_audit_team_changes")
def team_change_audit(sender, organisation, actor, action: str, obj, details: dict, **kwargs):
    from .services.audit import audit_record

    audit_record(organisation=organisation, actor=actor, action=action, obj=obj, details=details)
