from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import INTEGRATIONS_MANAGE
from accounts.permissions import capability_required, membership_required

from . import selectors, services


@membership_required
@require_GET
def home(request):
    figures = selectors.home_figures(membership=request.membership)
    return render(request, "home/home.html", {"home": figures})


@capability_required(INTEGRATIONS_MANAGE)
@require_POST
def checklist_dismiss(request):
    services.checklist_dismiss(organisation=request.organisation, actor=request.user)
    return redirect("home")
