"""The outbox: /sandbox/outbox/. Every email Torqueflow recorded, newest first, so a new user
can follow a verification or invitation link on a machine with no mail server."""

from csp.decorators import csp_exempt
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.models import Organisation
from notifications.models import Email
from notifications.selectors import emails_recorded
from torqueflow.numbers import object_id

PER_PAGE = 25
# The HTML part is someone else's markup as far as this page is concerned: no scripts, no
# requests anywhere, its own opaque origin; links still open.
HTML_PART_POLICY = (
    "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation; "
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
)


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    organisation_id = object_id(request.GET.get("organisation"))
    emails = emails_recorded(organisation_id=organisation_id)
    page = Paginator(emails, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "sandbox/outbox.html",
        {
            "page": page,
            "organisations": Organisation.objects.order_by("name"),
            "organisation_id": organisation_id,
            "query": f"organisation={organisation_id}" if organisation_id else "",
        },
    )


@csp_exempt()
@require_GET
def outbox_html(request: HttpRequest, pk: int) -> HttpResponse:
    """One email's HTML part, as the recipient's mail program would show it."""
    email = get_object_or_404(Email, pk=pk)
    response = HttpResponse(email.html_body or "<p>(No HTML part.)</p>")
    response["Content-Security-Policy"] = HTML_PART_POLICY
    return response
