from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from torqueflow.numbers import object_id

from .capabilities import SECURITY_MANAGE
from .forms import EmailLoginForm
from .middleware import SESSION_KEY
from .models import Membership
from .permissions import capability_required, membership_required
from .selectors import login_lockouts_for_organisation, memberships_for_user
from .services import login_unlock

SECURITY_DENIED = "You do not have permission to manage sign-in security"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


@login_required
@require_POST
def organisation_switch(request):
    """Choose which of the user's organisations the session works in."""
    organisation_id = object_id(request.POST.get("organisation"))
    if organisation_id is None:
        return redirect("home")
    if memberships_for_user(user=request.user).filter(organisation_id=organisation_id).exists():
        request.session[SESSION_KEY] = organisation_id
    return redirect("home")


@membership_required
def settings_index(request):
    return render(request, "settings/index.html")


@capability_required(SECURITY_MANAGE, message=SECURITY_DENIED, redirect_to="settings_index")
@require_http_methods(["GET", "POST"])
def settings_security(request):
    """Settings → Security: members locked out of signing in, each with an Unlock button."""
    if request.method == "POST":
        try:
            email = login_unlock(
                organisation=request.organisation,
                username=request.POST.get("username", ""),
                actor=request.user,
            )
        except Membership.DoesNotExist:
            raise Http404("No such member") from None
        messages.success(request, f"Sign-in unlocked for {email}.")
        return redirect("settings_security")
    lockouts = login_lockouts_for_organisation(organisation=request.organisation)
    return render(request, "settings/security.html", {"lockouts": lockouts})
