import logging

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .capabilities import DEFAULT_ROLES
from .models import Membership, Organisation, Role
from .selectors import organisation_member_emails

security_log = logging.getLogger("accounts.security")


@transaction.atomic
def organisation_create(
    *,
    name: str,
    default_currency: str = "GBP",
    timezone: str = "Europe/London",
    country: str = "GB",
) -> Organisation:
    """Create an organisation with its default roles (Owner, Staff, Accountant)."""
    organisation = Organisation(
        name=name, default_currency=default_currency, timezone=timezone, country=country
    )
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


@transaction.atomic
def login_unlock(*, organisation: Organisation, username: str, actor: AbstractBaseUser) -> str:
    """Clear the failed sign-ins that lock out the member whose email address is `username`.

    Clears that email address's failures from every client address, and the failures from
    those client addresses for the organisation's members; failures for anyone else's email
    address stay counted. Returns the member's email address as stored; raises
    Membership.DoesNotExist when no member of `organisation` has that email address.
    """
    emails = organisation_member_emails(organisation=organisation)
    key = username.strip().lower()
    if key not in emails:
        raise Membership.DoesNotExist(f"No member of {organisation} signs in as {username!r}")
    addresses = sorted(
        set(
            AccessAttempt.objects.filter(username=key)
            .exclude(ip_address=None)
            .values_list("ip_address", flat=True)
        )
    )
    cleared = axes_reset(username=key)
    others = (
        AccessAttempt.objects.filter(ip_address__in=addresses, username__in=emails)
        .values_list("ip_address", "username")
        .distinct()
    )
    for ip_address, other in list(others):
        cleared += axes_reset(ip=ip_address, username=other)
    security_log.warning(
        "Sign-in unlocked: username=%r by %r (organisation %s), %d failed sign-in record(s) "
        "cleared, addresses: %s",
        key,
        actor.get_username(),
        organisation.pk,
        cleared,
        ", ".join(addresses) or "none",
    )
    return emails[key]
