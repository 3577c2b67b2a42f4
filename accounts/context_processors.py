from functools import cached_property

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .capabilities import CAPABILITIES
from .selectors import memberships_for_user


class _Capabilities:
    """Lets templates ask `{% if can.invoices_manage %}` of the current membership."""

    def __init__(self, membership):
        self._membership = membership

    def __getitem__(self, name: str) -> bool:
        capability = name.replace("_", ".")
        if capability not in CAPABILITIES:
            raise KeyError(name)
        return bool(self._membership and self._membership.can(capability))


class _Memberships:
    """The user's organisations for the switcher, read once and only if a template asks."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def all(self) -> list:
        if not self._user.is_authenticated:
            return []
        return list(memberships_for_user(user=self._user).order_by("organisation__name"))


def membership(request):
    current = getattr(request, "membership", None)
    return {
        "current_membership": current,
        "current_organisation": getattr(request, "organisation", None),
        "can": _Capabilities(current),
        "user_memberships": _Memberships(request.user),
        "signup_open": settings.SIGNUP_OPEN,
        "email_unverified": SimpleLazyObject(lambda: _email_unverified(request)),
    }


def _email_unverified(request) -> bool:
    from .signup import banner_pending

    return banner_pending(request)
