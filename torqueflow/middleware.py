import json
import zoneinfo

from django.contrib.messages import get_messages
from django.utils import timezone


class HtmxMessagesMiddleware:
    """Moves Django messages into an HX-Trigger "toast" event on htmx responses.

    Full-page responses render messages in the layout; htmx fragments carry them in the
    header so the page's toast area shows them. Redirects keep them for the next page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or 300 <= response.status_code < 400:
            return response
        if "HX-Redirect" in response.headers or "HX-Refresh" in response.headers:
            return response
        toasts = [{"text": str(m), "level": m.level_tag} for m in get_messages(request)]
        if not toasts:
            return response
        try:
            triggers = json.loads(response.headers.get("HX-Trigger", "{}"))
        except ValueError:
            triggers = {}
        if not isinstance(triggers, dict):
            triggers = {}
        triggers["toasts"] = {"items": toasts}
        response.headers["HX-Trigger"] = json.dumps(triggers)
        return response


class OrganisationTimezoneMiddleware:
    """Dates and times on a signed-in page read in the organisation's time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        organisation = getattr(request, "organisation", None)
        if organisation is None:
            return self.get_response(request)
        try:
            timezone.activate(zoneinfo.ZoneInfo(organisation.timezone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
