"""The system payment methods providers record their payments under ("Xero Sync")."""

from accounts.models import Organisation
from integrations import registry
from invoicing.models import PaymentMethod


def provider_payment_method(
    *, organisation: Organisation, source: registry.PaymentSource
) -> PaymentMethod:
    """The organisation's system method for a provider's payments (made again if it went)."""
    method, _ = PaymentMethod.objects.get_or_create(
        organisation=organisation, name=source.method_name, defaults={"is_system": True}
    )
    return method


def organisation_payment_methods_create(*, organisation: Organisation) -> None:
    """A new organisation gets the system methods of the providers that want one everywhere."""
    for provider in registry.all_providers():
        if provider.payment_source is not None and provider.payment_source.every_organisation:
            provider_payment_method(organisation=organisation, source=provider.payment_source)
