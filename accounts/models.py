import datetime
import hashlib
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .capabilities import CAPABILITIES


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    default_currency = models.CharField(max_length=3, default="GBP")
    timezone = models.CharField(max_length=64, default="Europe/London")
    # ISO 3166 alpha-2: the national format phone numbers are typed in.
    country = models.CharField(max_length=2, default="GB")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.timezone not in available_timezones():
            raise ValidationError({"timezone": "Unknown time zone."})
        self.default_currency = self.default_currency.upper()


class Role(models.Model):
    """A named set of capabilities, per organisation, editable in the admin."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roles")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    capabilities = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="role_key_unique_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    def clean(self) -> None:
        unknown = sorted(set(self.capabilities) - set(CAPABILITIES))
        if unknown:
            raise ValidationError({"capabilities": f"Unknown capabilities: {', '.join(unknown)}"})

    def has(self, capability: str) -> bool:
        return capability in self.capabilities


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.ForeignKey(Role, on_delete=models.RESTRICT, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} as {self.role.name}"

    def clean(self) -> None:
        if (
            self.role_id
            and self.organisation_id
            and self.role.organisation_id != self.organisation_id
        ):
            raise ValidationError({"role": "The role must belong to the same organisation."})

    def can(self, capability: str) -> bool:
        return self.role.has(capability)


class TenantQuerySet(models.QuerySet):
    def for_org(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class TenantModel(models.Model):
    """Data that belongs to one organisation; read it through `.for_org(organisation)`."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


INVITATION_VALID_FOR = datetime.timedelta(days=7)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_expiry() -> datetime.datetime:
    return timezone.now() + INVITATION_VALID_FOR


class Invitation(models.Model):
    """An invitation to join an organisation with a role. Only the token's hash is kept: the
    token itself travels in the email's link."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation} as {self.role.name}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


EMAIL_VERIFICATION_VALID_FOR = datetime.timedelta(hours=72)


class EmailVerification(models.Model):
    """A sign-up's email address waiting to be proved. Only people who signed up have a row:
    invited members proved their address by following the invitation's link, and accounts
    made before sign-up existed count as verified."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_verification"
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({'verified' if self.verified_at else 'waiting'})"
