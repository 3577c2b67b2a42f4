from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.capabilities import INTEGRATIONS_MANAGE
from accounts.permissions import capability_required

PERMISSION_MESSAGE = "You do not have permission to manage integrations"


@capability_required(INTEGRATIONS_MANAGE, message=PERMISSION_MESSAGE, redirect_to="settings_index")
@require_GET
def integrations_page(request):
    return render(request, "integrations/index.html")
