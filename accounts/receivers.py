"""Sign-in throttling (django-axes): the audit line for a lockout, and a successful sign-in
forgiving that account's own failures from where it signed in."""

import logging

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

security_log = logging.getLogger("accounts.security")


@receiver(user_locked_out, dispatch_uid="accounts_user_locked_out")
def login_locked_out_log(sender, request, username, ip_address, **kwargs) -> None:
    """Names the email address tried and the client address; the password never reaches here."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        # Refused before any password check (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off).
        security_log.warning(
            "Sign-in refused while locked out: username=%r ip=%s", username, ip_address
        )
    else:
        security_log.warning(
            "Sign-in locked out after %d failed attempts: username=%r ip=%s",
            failures,
            username,
            ip_address,
        )


@receiver(user_logged_in, dispatch_uid="accounts_login_reset_failures")
def login_succeeded_reset_failures(sender, request, user, **kwargs) -> None:
    """A sign-in clears the failures for this email address from this client address only:
    failures from elsewhere, and for other accounts from here, still count (unlike axes' own
    AXES_RESET_ON_SUCCESS, which clears every failure from the address)."""
    if request is None:
        return
    username = (getattr(user, "email", "") or "").strip().lower()
    ip_address = get_client_ip_address(request)
    if username and ip_address:  # both, or axes' reset would clear far more
        axes_reset(ip=ip_address, username=username)


@receiver(user_logged_in, dispatch_uid="accounts_email_verification_flag")
def email_verification_flag(sender, request, user, **kwargs) -> None:
    """Remember in the session that this user's email is still to be verified, so pages ask
    the database about it only for those users (see accounts.signup.banner_pending)."""
    from .signup import UNVERIFIED_SESSION_KEY, email_verification_pending

    if request is not None and email_verification_pending(user):
        request.session[UNVERIFIED_SESSION_KEY] = True
