from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .capabilities import DEFAULT_ROLES
from .models import Membership, Organisation, Role


@transaction.atomic
def organisation_create(
    *, name: str, default_currency: str = "GBP", timezone: str = "Europe/London"
) -> Organisation:
    """Create an organisation with its default roles (Owner, Staff, Accountant)."""
    organisation = Organisation(name=name, default_currency=default_currency, timezone=timezone)
    organisation.full_clean()
    organisation.save()
    for key, (role_name, capabilities) in DEFAULT_ROLES.items():
        Role.objects.create(
            organisation=organisation, key=key, name=role_name, capabilities=capabilities
        )
    return organisation


def user_create(*, email: str, password: str, first_name: str = "", last_name: str = ""):
    email = email.strip().lower()
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, first_name=first_name, last_name=last_name
    )


def membership_add(
    *, user: AbstractBaseUser, organisation: Organisation, role_key: str
) -> Membership:
    role = Role.objects.get(organisation=organisation, key=role_key)
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return membership
