"""Settings → Team and the invitation link's page."""

from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from .capabilities import CAPABILITIES, DEFAULT_ROLES, STAFF, TEAM_MANAGE
from .forms import InvitationSignUpForm, InviteForm, RoleChangeForm
from .middleware import SESSION_KEY
from .models import Invitation, Membership, Role, invitation_token_hash
from .permissions import capability_required
from .services import user_create
from .team import (
    TeamChangeRefused,
    existing_user_for,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    member_remove,
    member_role_change,
)

TEAM_DENIED = "You do not have permission to manage the team"

manage_team = capability_required(TEAM_MANAGE, message=TEAM_DENIED, redirect_to="settings_index")


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def _role_order(role: Role) -> tuple[int, str]:
    """The default roles from most to least trusted, then any others by name."""
    defaults = list(DEFAULT_ROLES)
    return (defaults.index(role.key) if role.key in defaults else len(defaults), role.name)


def _team_page(request, *, invite_form=None, status: int = 200):
    organisation = request.organisation
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "role")
        .order_by("user__first_name", "user__email")
    )
    roles = sorted(organisation.roles.all(), key=_role_order)
    invitations = (
        Invitation.objects.filter(organisation=organisation, accepted_at=None, revoked_at=None)
        .select_related("role", "invited_by")
        .order_by("-created_at")
    )
    capability_rows = [
        (label, [(role.name, role.has(key)) for role in roles])
        for key, label in CAPABILITIES.items()
    ]
    return render(
        request,
        "settings/team.html",
        {
            "members": members,
            "invitations": invitations,
            "roles": roles,
            "capability_rows": capability_rows,
            "invite_form": invite_form
            or InviteForm(
                organisation=organisation,
                initial={"role": next((r for r in roles if r.key == STAFF), None)},
            ),
        },
        status=status,
    )


@manage_team
@require_http_methods(["GET", "POST"])
def team(request):
    """The members and their roles, pending invitations, and the form that invites."""
    if request.method == "GET":
        return _team_page(request)
    form = InviteForm(request.POST, organisation=request.organisation)
    if not form.is_valid():
        return _team_page(request, invite_form=form, status=400)
    try:
        invitation = invitation_create(
            organisation=request.organisation,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
            base_url=_base_url(request),
        )
    except TeamChangeRefused as refused:
        form.add_error("email", str(refused))
        return _team_page(request, invite_form=form, status=400)
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect("settings_team")


def _invitation(request, pk: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.filter(organisation=request.organisation).select_related("organisation"),
        pk=pk,
    )


def _member(request, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.filter(organisation=request.organisation).select_related(
            "user", "role", "organisation"
        ),
        pk=pk,
    )


@manage_team
@require_POST
def invitation_resend_view(request, pk: int):
    invitation = _invitation(request, pk)
    try:
        invitation_resend(invitation=invitation, actor=request.user, base_url=_base_url(request))
    except TeamChangeRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Invitation sent again to {invitation.email}.")
    return redirect("settings_team")


@manage_team
@require_POST
def invitation_revoke_view(request, pk: int):
    invitation = invitation_revoke(invitation=_invitation(request, pk), actor=request.user)
    messages.success(request, f"Invitation to {invitation.email} revoked.")
    return redirect("settings_team")


@manage_team
@require_POST
def member_role_view(request, pk: int):
    membership = _member(request, pk)
    form = RoleChangeForm(request.POST, organisation=request.organisation)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles listed.")
        return redirect("settings_team")
    try:
        member_role_change(
            membership=membership, role=form.cleaned_data["role"], actor=request.user
        )
    except TeamChangeRefused as refused:
        messages.error(request, str(refused))
    else:
        name = membership.user.get_full_name() or membership.user.email
        messages.success(request, f"{name} is now {form.cleaned_data['role'].name}.")
    return redirect("settings_team")


@manage_team
@require_POST
def member_remove_view(request, pk: int):
    membership = _member(request, pk)
    try:
        member_remove(membership=membership, actor=request.user)
    except TeamChangeRefused as refused:
        messages.error(request, str(refused))
        return redirect("settings_team")
    messages.success(request, f"{membership.user.email} removed from {request.organisation}.")
    if membership.user_id == request.user.pk:
        request.session.pop(SESSION_KEY, None)
        return redirect("home")
    return redirect("settings_team")


def _invalid(request, token: str):
    """Why the link does not work: used, revoked, expired or unknown."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None or invitation.revoked_at:
        reason = "This invitation link is not valid. Ask for a new invitation."
    elif invitation.accepted_at:
        reason = "This invitation has already been used. Log in to continue."
    else:
        reason = f"This invitation has expired. Ask {invitation.organisation} for a new one."
    return render(request, "accounts/invitation.html", {"reason": reason}, status=404)


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request, token: str):
    """The link in the invitation email: a new person sets their name and password; someone
    with an account signs in (as that address) and joins."""
    invitation = invitation_for_token(token=token)
    if invitation is None:
        return _invalid(request, token)
    existing = existing_user_for(invitation=invitation)
    context = {"invitation": invitation, "existing": existing}
    if existing is not None:
        if not request.user.is_authenticated:
            login_url = f"{reverse('accounts:login')}?next={request.path}"
            return render(request, "accounts/invitation.html", {**context, "login_url": login_url})
        if request.user.pk != existing.pk:
            return render(request, "accounts/invitation.html", {**context, "wrong_user": True})
        if request.method == "POST":
            return _joined(request, invitation, request.user)
        return render(request, "accounts/invitation.html", context)
    form = InvitationSignUpForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = user_create(
                    email=invitation.email,
                    password=form.cleaned_data["password1"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
                membership = invitation_accept(invitation=invitation, user=user)
        except TeamChangeRefused as refused:
            return render(request, "accounts/invitation.html", {"reason": str(refused)}, status=404)
        login(request, user, backend="accounts.backends.EmailBackend")
        return _welcome(request, membership)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invitation.html", {**context, "form": form}, status=status)


def _joined(request, invitation: Invitation, user):
    try:
        membership = invitation_accept(invitation=invitation, user=user)
    except TeamChangeRefused as refused:
        return render(request, "accounts/invitation.html", {"reason": str(refused)}, status=404)
    return _welcome(request, membership)


def _welcome(request, membership: Membership):
    request.session[SESSION_KEY] = membership.organisation_id
    messages.success(request, f"Welcome to {membership.organisation}.")
    return redirect("home")
