"""Counting tries at pages that anyone can post to (sign-up, password reset), with the
login's limits: LOGIN_FAILURE_LIMIT tries within LOGIN_LOCKOUT_MINUTES per email address,
and separately per client address. Counts live in the shared cache."""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .lockout import client_ip_address

TOO_MANY = "Too many attempts. Try again later."


def _keys(purpose: str, request: HttpRequest, email: str) -> list[str]:
    keys = [f"throttle:{purpose}:ip:{client_ip_address(request) or 'unknown'}"]
    address = email.strip().lower()
    if address:
        keys.append(f"throttle:{purpose}:email:{address}")
    return keys


def throttle_hit(*, purpose: str, request: HttpRequest, email: str) -> bool:
    """Count one try; True when the client address or the email address is over the limit
    (the try is then refused and does not extend the wait)."""
    keys = _keys(purpose, request, email)
    counts = cache.get_many(keys)
    if any(counts.get(key, 0) >= settings.AXES_FAILURE_LIMIT for key in keys):
        return True
    timeout = int(settings.AXES_COOLOFF_TIME.total_seconds())
    for key in keys:
        if cache.add(key, 1, timeout):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout)
    return False
