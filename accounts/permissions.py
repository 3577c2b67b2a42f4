"""The one place that checks a capability, for function views and class-based views."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect


def _deny(request, message: str | None, redirect_to: str | None):
    if redirect_to:
        if message:
            messages.error(request, message)
        if request.htmx:
            return HttpResponseClientRedirect(reverse(redirect_to))
        return redirect(redirect_to)
    raise PermissionDenied(message or "You do not have permission to do that.")


def capability_required(
    capability: str, *, message: str | None = None, redirect_to: str | None = None
):
    """Require a signed-in member of an organisation whose role holds `capability`.

    Anonymous users go to the login page; members of no organisation see a page that says so;
    members without the capability get a 403, or a redirect with `message` when `redirect_to`
    names a URL.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                return render(request, "accounts/no_organisation.html", status=403)
            if not request.membership.can(capability):
                return _deny(request, message, redirect_to)
            return view(request, *args, **kwargs)

        wrapper.required_capability = capability
        return wrapper

    return decorator


def membership_required(view):
    """A signed-in member of any organisation, whatever the role."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.membership is None:
            return render(request, "accounts/no_organisation.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
