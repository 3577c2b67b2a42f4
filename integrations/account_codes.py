"""The account each nominal code maps to in an accounting provider (Xero's account Code):
kept by the hub, shown and edited on Settings → Finance → Nominal Codes through invoicing's
extension points, one column per connected provider that declares `account_codes`."""

from collections.abc import Sequence

from accounts.models import Organisation
from invoicing.extensions import AccountCodeColumn
from invoicing.models import NominalCode

from . import registry
from .models import AccountCode, Connection
from .services.fixes import fix_requeue_nominal_code


def _mapping_providers(organisation: Organisation) -> list[registry.Provider]:
    connected = set(
        Connection.objects.filter(organisation=organisation, state__in=Connection.LINKED_STATES)
        .values_list("provider", flat=True)
        .distinct()
    )
    return [
        provider
        for provider in registry.all_providers()
        if provider.account_codes is not None and provider.key in connected
    ]


def account_code_columns(
    organisation: Organisation, codes: Sequence[NominalCode]
) -> list[AccountCodeColumn]:
    providers = _mapping_providers(organisation)
    if not providers:
        return []
    values: dict[str, dict[int, str]] = {provider.key: {} for provider in providers}
    for nominal_code_id, provider_key, code in AccountCode.objects.filter(
        organisation=organisation,
        provider__in=list(values),
        nominal_code__in=[code.pk for code in codes if code.pk],
    ).values_list("nominal_code_id", "provider", "code"):
        values[provider_key][nominal_code_id] = code
    return [
        AccountCodeColumn(
            key=provider.key,
            heading=provider.account_codes.heading,
            help_text=provider.account_codes.help_text,
            max_length=provider.account_codes.max_length,
            values=values[provider.key],
        )
        for provider in providers
    ]


def account_codes_save(nominal_code: NominalCode, values: dict[str, str]) -> None:
    """Keep (or clear, when blank) the code typed for each provider that maps codes. A code
    saved is a fix: what failed on that provider naming this nominal code goes again."""
    for provider_key, code in values.items():
        provider = registry.get(provider_key)
        if provider is None or provider.account_codes is None:
            continue
        code = code.strip()
        if code:
            AccountCode.objects.update_or_create(
                nominal_code=nominal_code,
                provider=provider_key,
                defaults={"organisation_id": nominal_code.organisation_id, "code": code},
            )
            fix_requeue_nominal_code(nominal_code=nominal_code, provider_key=provider_key)
        else:
            AccountCode.objects.filter(nominal_code=nominal_code, provider=provider_key).delete()


def account_code(nominal_code: NominalCode | None, provider_key: str) -> str:
    """The code `nominal_code` maps to in the provider; "" when unmapped. Reads what
    `prefetch_account_codes` fetched when it was used."""
    if nominal_code is None:
        return ""
    prefetched = getattr(nominal_code, "prefetched_account_codes", None)
    if prefetched is not None:
        return next((a.code for a in prefetched if a.provider == provider_key), "")
    found = AccountCode.objects.filter(nominal_code=nominal_code, provider=provider_key).first()
    return found.code if found else ""
