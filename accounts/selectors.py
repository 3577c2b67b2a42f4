from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from .models import Membership


def memberships_for_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation", "role")


def membership_current(*, user: AbstractBaseUser, organisation_id: int | None) -> Membership | None:
    """The membership for the organisation chosen in the session, else the user's first one."""
    memberships = memberships_for_user(user=user).order_by("organisation__name", "pk")
    if organisation_id is not None:
        chosen = memberships.filter(organisation_id=organisation_id).first()
        if chosen is not None:
            return chosen
    return memberships.first()
