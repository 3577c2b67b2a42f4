"""Sign-up: a business starts its own organisation, its Owner proves their email address.

An address that already has an account gets the same answer as a new one, and an email
saying someone tried to sign up with it, so the page never tells who has an account.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from notifications.services import email_send

from .capabilities import OWNER
from .models import (
    EMAIL_VERIFICATION_VALID_FOR,
    EmailVerification,
    invitation_token_hash,
)
from .services import membership_add, organisation_create, user_create

VERIFY_TO_CONNECT = "Verify your email to connect integrations"

# The currency and time zone a country's businesses usually use; other countries pick.
COUNTRY_DEFAULTS: dict[str, tuple[str, str]] = {
    "GB": ("GBP", "Europe/London"),
    "IE": ("EUR", "Europe/Dublin"),
    "US": ("USD", "America/New_York"),
    "CA": ("CAD", "America/Toronto"),
    "AU": ("AUD", "Australia/Sydney"),
    "NZ": ("NZD", "Pacific/Auckland"),
    "ZA": ("ZAR", "Africa/Johannesburg"),
    "DE": ("EUR", "Europe/Berlin"),
    "FR": ("EUR", "Europe/Paris"),
    "ES": ("EUR", "Europe/Madrid"),
    "IT": ("EUR", "Europe/Rome"),
    "NL": ("EUR", "Europe/Amsterdam"),
    "SG": ("SGD", "Asia/Singapore"),
    "IN": ("INR", "Asia/Kolkata"),
}


def email_registered(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email.strip()).exists()


def _send_verification(*, verification: EmailVerification, base_url: str) -> None:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    verification.token_hash = invitation_token_hash(token)
    verification.sent_at = now
    verification.expires_at = now + EMAIL_VERIFICATION_VALID_FOR
    verification.save(update_fields=["token_hash", "sent_at", "expires_at"])
    user = verification.user
    membership = user.memberships.select_related("organisation").first()
    organisation = membership.organisation if membership else None
    email_send(
        to=user.email,
        template="email_verification",
        context={
            "name": user.first_name,
            "link": base_url.rstrip("/") + reverse("accounts:email_verify", args=[token]),
            "expires_at": verification.expires_at,
        },
        organisation=organisation,
    )


def signup(
    *,
    business_name: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    country: str,
    currency: str,
    timezone_name: str,
    base_url: str,
) -> AbstractBaseUser | None:
    """Start an organisation with its Owner and email them a verification link. For an
    address that already has an account, change nothing, email that address a warning and
    return None."""
    email = email.strip().lower()
    if not email_registered(email):
        try:
            return _organisation_start(
                business_name=business_name.strip(),
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                email=email,
                password=password,
                country=country,
                currency=currency,
                timezone_name=timezone_name,
                base_url=base_url,
            )
        except IntegrityError:
            pass  # the same address signed up a moment ago: it is registered now
    email_send(
        to=email,
        template="signup_attempt",
        context={"login_link": base_url.rstrip("/") + reverse("accounts:login")},
    )
    return None


@transaction.atomic
def _organisation_start(
    *,
    business_name: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    country: str,
    currency: str,
    timezone_name: str,
    base_url: str,
) -> AbstractBaseUser:
    organisation = organisation_create(
        name=business_name, default_currency=currency, timezone=timezone_name, country=country
    )
    user = user_create(email=email, password=password, first_name=first_name, last_name=last_name)
    membership_add(user=user, organisation=organisation, role_key=OWNER)
    verification = EmailVerification.objects.create(user=user)
    _send_verification(verification=verification, base_url=base_url)
    return user


def email_verification_pending(user: AbstractBaseUser) -> bool:
    if not user.is_authenticated:
        return False
    return EmailVerification.objects.filter(user=user, verified_at__isnull=True).exists()


@transaction.atomic
def verification_resend(*, user: AbstractBaseUser, base_url: str) -> bool:
    """A new link (the old one stops working); False when there is nothing to verify."""
    verification = (
        EmailVerification.objects.select_for_update()
        .filter(user=user, verified_at__isnull=True)
        .first()
    )
    if verification is None:
        return False
    _send_verification(verification=verification, base_url=base_url)
    return True


@transaction.atomic
def email_verify(*, token: str) -> AbstractBaseUser | None:
    """Mark the address behind `token` verified; None when the link is unknown, used or
    expired. The row is locked so a link followed twice at once verifies once."""
    verification = (
        EmailVerification.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=invitation_token_hash(token), verified_at__isnull=True)
        .first()
    )
    if verification is None or verification.expires_at <= timezone.now():
        return None
    verification.verified_at = timezone.now()
    verification.token_hash = ""
    verification.save(update_fields=["verified_at", "token_hash"])
    return verification.user


UNVERIFIED_SESSION_KEY = "email_unverified"


def banner_pending(request) -> bool:
    """Whether to show "Verify your email to connect integrations". Only sessions flagged at
    sign-in ask the database; the flag goes once the address is verified."""
    if not request.session.get(UNVERIFIED_SESSION_KEY):
        return False
    if email_verification_pending(request.user):
        return True
    request.session.pop(UNVERIFIED_SESSION_KEY, None)
    return False
