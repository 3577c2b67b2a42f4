"""/hooks/in/<token>/: where Zapier, Make or a website form posts a lead. Answers JSON; never
a 500 for what a sender posts."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .feature import feature_on
from .services.inbound import MAX_BYTES, inbound_hook_find, inbound_receive

NOT_FOUND = {"error": "Unknown or revoked inbound webhook."}


def _body(request: HttpRequest) -> bytes | None:
    """The body, read no further than the cap; None when it is larger."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BYTES:
        return None
    body = request.read(MAX_BYTES + 1)
    return None if len(body) > MAX_BYTES else body


@csrf_exempt
def inbound_receive_view(request: HttpRequest, token: str) -> JsonResponse:
    if request.method != "POST":
        return JsonResponse({"error": "Send a POST."}, status=405, headers={"Allow": "POST"})
    hook = inbound_hook_find(token)
    if hook is None or not feature_on(organisation_id=hook.organisation_id):
        return JsonResponse(NOT_FOUND, status=404)
    body = _body(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    result = inbound_receive(
        hook=hook,
        body=body if body is not None else b"",
        content_type=request.content_type or "",
        headers=headers,
        oversize=body is None,
    )
    if result.lead is not None:
        return JsonResponse({"lead": {"id": result.lead.pk, "name": result.lead.name}}, status=201)
    answer = {"error": result.reason}
    if result.errors:
        answer["fields"] = result.errors
    return JsonResponse(answer, status=result.status)
