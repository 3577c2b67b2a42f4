from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from torqueflow.numbers import object_id

from .forms import EmailLoginForm
from .middleware import SESSION_KEY
from .permissions import membership_required
from .selectors import memberships_for_user


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
        return redirect("invoicing:sales_list")
    if memberships_for_user(user=request.user).filter(organisation_id=organisation_id).exists():
        request.session[SESSION_KEY] = organisation_id
    return redirect("invoicing:sales_list")


@membership_required
def settings_index(request):
    return render(request, "settings/index.html")
