"""The Webhooks tab's Enable / Disable is the master switch: while disabled no event goes out
and no inbound URL takes a post. Adding the first endpoint or inbound webhook enables it."""

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Organisation
from integrations import registry
from integrations.models import Connection
from integrations.services.features import feature_enable

from .provider import KEY


def feature_on(*, organisation_id: int) -> bool:
    return Connection.objects.filter(
        organisation_id=organisation_id, provider=KEY, state=Connection.State.ACTIVE
    ).exists()


def feature_switch_on(*, organisation: Organisation, actor: AbstractBaseUser | None) -> None:
    if not feature_on(organisation_id=organisation.pk):
        feature_enable(organisation=organisation, provider=registry.get(KEY), actor=actor)
