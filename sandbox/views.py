"""/sandbox/: every emulated provider's side on one page (each also has its own page)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .ghl import seed as ghl_seed
from .ghl import views_ui as ghl_views
from .xero import seed as xero_seed
from .xero import views_ui as xero_views


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    xero_seed.ensure_seeded()
    ghl_seed.ensure_seeded()
    context = {**xero_views.page_context(request), **ghl_views.page_context(request)}
    return render(request, "sandbox/index.html", context)
