"""Settings → Team: invitations by email, members' roles, removing members.

An organisation always keeps at least one Owner; changes to Owners take the Owners' rows
under a lock, so two Owners demoting each other at once cannot leave none.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.services import email_send

from .capabilities import OWNER
from .models import (
    INVITATION_VALID_FOR,
    Invitation,
    Membership,
    Organisation,
    Role,
    invitation_token_hash,
)
from .services import membership_add
from .signals import team_changed

LAST_OWNER = "An organisation needs at least one Owner: make someone else Owner first."
ALREADY_MEMBER = "{email} is already a member of {organisation}."


class TeamChangeRefused(Exception):
    """A change the rules do not allow; the message says why, for the person who tried."""


def _changed(organisation: Organisation, actor, action: str, obj, **details) -> None:
    team_changed.send(
        sender=Membership,
        organisation=organisation,
        actor=actor,
        action=action,
        obj=obj,
        details=details,
    )


def _send_invitation(*, invitation: Invitation, base_url: str) -> str:
    """A fresh token for `invitation` (only its hash is kept), emailed as a link."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = invitation_token_hash(token)
    invitation.expires_at = timezone.now() + INVITATION_VALID_FOR
    invitation.save(update_fields=["token_hash", "expires_at"])
    link = base_url.rstrip("/") + reverse("accounts:invitation_accept", args=[token])
    inviter = invitation.invited_by
    email_send(
        to=invitation.email,
        template="team_invitation",
        context={
            "organisation": invitation.organisation,
            "role": invitation.role,
            "inviter": inviter.get_full_name() or inviter.email if inviter else "",
            "link": link,
            "expires_at": invitation.expires_at,
        },
        organisation=invitation.organisation,
    )
    return token


@transaction.atomic
def invitation_create(
    *,
    organisation: Organisation,
    email: str,
    role: Role,
    invited_by: AbstractBaseUser,
    base_url: str,
) -> Invitation:
    """Invite `email` to join with `role`; an earlier pending invitation to the same address
    is revoked, so only the newest link works."""
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise TeamChangeRefused(ALREADY_MEMBER.format(email=email, organisation=organisation))
    Invitation.objects.filter(
        organisation=organisation, email=email, accepted_at=None, revoked_at=None
    ).update(revoked_at=timezone.now())
    invitation = Invitation(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=invited_by,
        token_hash=invitation_token_hash(secrets.token_urlsafe(32)),
    )
    invitation.save()
    _send_invitation(invitation=invitation, base_url=base_url)
    _changed(organisation, invited_by, "team.invited", invitation, email=email, role=role.name)
    return invitation


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, actor: AbstractBaseUser, base_url: str
) -> Invitation:
    """A new link (the old one stops working) valid for another 7 days."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise TeamChangeRefused("That invitation has already been accepted or revoked.")
    _send_invitation(invitation=invitation, base_url=base_url)
    _changed(invitation.organisation, actor, "team.invitation_resent", invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: AbstractBaseUser) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.is_pending:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _changed(invitation.organisation, actor, "team.invitation_revoked", invitation)
    return invitation


def invitation_for_token(*, token: str) -> Invitation | None:
    """The pending, unexpired invitation the link's token names; None for any other."""
    invitation = (
        Invitation.objects.select_related("organisation", "role")
        .filter(token_hash=invitation_token_hash(token), accepted_at=None, revoked_at=None)
        .first()
    )
    if invitation is None or invitation.is_expired:
        return None
    return invitation


def existing_user_for(*, invitation: Invitation) -> AbstractBaseUser | None:
    return get_user_model().objects.filter(email__iexact=invitation.email).first()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """`user` joins the invitation's organisation with its role. The invitation is taken
    under a lock, so a link clicked twice at once makes one membership and fails the other."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending or invitation.is_expired:
        raise TeamChangeRefused("This invitation is no longer valid.")
    if user.email.strip().lower() != invitation.email:
        raise TeamChangeRefused(f"This invitation is for {invitation.email}.")
    existing = Membership.objects.filter(organisation=invitation.organisation, user=user).first()
    membership = existing or membership_add(
        user=user, organisation=invitation.organisation, role_key=invitation.role.key
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    _changed(invitation.organisation, user, "team.joined", membership, role=invitation.role.name)
    return membership


def _owners_locked(organisation: Organisation) -> list[Membership]:
    return list(
        Membership.objects.select_for_update()
        .filter(organisation=organisation, role__key=OWNER)
        .order_by("pk")
    )


@transaction.atomic
def member_role_change(
    *, membership: Membership, role: Role, actor: AbstractBaseUser
) -> Membership:
    if role.organisation_id != membership.organisation_id:
        raise TeamChangeRefused("Choose one of this organisation's roles.")
    owners = _owners_locked(membership.organisation)
    membership = Membership.objects.select_for_update().select_related("role").get(pk=membership.pk)
    if membership.role_id == role.pk:
        return membership
    if membership.role.key == OWNER and role.key != OWNER and len(owners) <= 1:
        raise TeamChangeRefused(LAST_OWNER)
    before = membership.role.name
    membership.role = role
    membership.save(update_fields=["role"])
    _changed(
        membership.organisation,
        actor,
        "team.role_changed",
        membership,
        email=membership.user.email,
        before=before,
        after=role.name,
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: AbstractBaseUser) -> None:
    owners = _owners_locked(membership.organisation)
    membership = (
        Membership.objects.select_for_update().select_related("role", "user").get(pk=membership.pk)
    )
    if membership.role.key == OWNER and len(owners) <= 1:
        raise TeamChangeRefused(LAST_OWNER)
    email = membership.user.email
    _changed(membership.organisation, actor, "team.removed", membership, email=email)
    membership.delete()
