import datetime
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from .models import Membership, Organisation


def organisation_today(organisation: Organisation) -> datetime.date:
    """Today's date where the organisation is."""
    return timezone.now().astimezone(ZoneInfo(organisation.timezone)).date()


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


def organisation_member_emails(*, organisation: Organisation) -> dict[str, str]:
    """The members' email addresses as sign-in records them (stripped, lower case), each
    mapped to the address as stored."""
    users = get_user_model().objects.filter(memberships__organisation=organisation)
    return {
        email.strip().lower(): email
        for email in users.order_by("email").values_list("email", flat=True)
        if email.strip()
    }


# Sign-in lockouts. django-axes keeps failed sign-ins in AccessAttempt, one record per email
# address, client address and browser, with its number of failures and the time of the latest.

_ATTEMPT = ("attempt_time", "failures_since_start")
_Attempts = list[tuple[datetime.datetime, int]]


@dataclass(frozen=True)
class LoginLockout:
    """A member of the organisation who cannot sign in at the moment."""

    email: str
    addresses: list[str]  # the client addresses their failed sign-ins came from
    failures: int  # their failed sign-ins within the cool-off
    unlocks_at: datetime.datetime  # when the last lock that holds them ends


def _recent_attempts() -> QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - get_cool_off())


def _lock_end(attempts: _Attempts) -> datetime.datetime | None:
    """When the lock these recent attempts make ends; None when they make none.

    The lock holds while the failures within the cool-off reach the limit, so it ends when
    the record that brings the newest failures up to the limit falls out of the cool-off.
    """
    limit = get_failure_limit(None, None)
    total = 0
    for attempt_time, failures in sorted(attempts, reverse=True):
        total += failures
        if total >= limit:
            return attempt_time + get_cool_off()
    return None


def login_lockout_ends_at(
    *, ip_address: str | None, username: str | None
) -> datetime.datetime | None:
    """When signing in as `username` from `ip_address` is allowed again; None if it is now.

    Either lock refuses (settings.AXES_LOCKOUT_PARAMETERS): the email address's failures from
    any client address, or the client address's failures for any email address.
    """
    recent = _recent_attempts()
    ends = []
    if username:
        ends.append(_lock_end(list(recent.filter(username=username).values_list(*_ATTEMPT))))
    if ip_address:
        ends.append(_lock_end(list(recent.filter(ip_address=ip_address).values_list(*_ATTEMPT))))
    return max((end for end in ends if end is not None), default=None)


def login_lockouts_for_organisation(*, organisation: Organisation) -> list[LoginLockout]:
    """The organisation's members who are locked out of signing in, by email address.

    A member is listed when their own failures lock their email address, or when a client
    address they failed from is locked (by failures for any email address).
    """
    emails = organisation_member_emails(organisation=organisation)
    recent = _recent_attempts()
    by_username: dict[str, list[tuple[str | None, datetime.datetime, int]]] = defaultdict(list)
    for username, ip, attempt_time, failures in recent.filter(username__in=emails).values_list(
        "username", "ip_address", *_ATTEMPT
    ):
        by_username[username].append((ip, attempt_time, failures))
    addresses = {ip for attempts in by_username.values() for ip, _, _ in attempts if ip}
    by_address: dict[str, _Attempts] = defaultdict(list)
    for ip, attempt_time, failures in recent.filter(ip_address__in=addresses).values_list(
        "ip_address", *_ATTEMPT
    ):
        by_address[ip].append((attempt_time, failures))

    lockouts = []
    for username, attempts in by_username.items():
        own_addresses = sorted({ip for ip, _, _ in attempts if ip})
        ends = [_lock_end([(attempt_time, failures) for _, attempt_time, failures in attempts])]
        ends += [_lock_end(by_address[ip]) for ip in own_addresses]
        ends = [end for end in ends if end is not None]
        if ends:
            lockouts.append(
                LoginLockout(
                    email=emails[username],
                    addresses=own_addresses,
                    failures=sum(failures for _, _, failures in attempts),
                    unlocks_at=max(ends),
                )
            )
    return sorted(lockouts, key=lambda lockout: lockout.email.lower())
