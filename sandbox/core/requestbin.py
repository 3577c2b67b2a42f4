"""The request bin: /sandbox/requestbin/<key>/ shows what was posted to
/sandbox/requestbin/<key>/in/, newest first, each with its Standard Webhooks signature checked
by the `standardwebhooks` package against the secret typed on the page. Knobs make it answer
500, 410 or slowly, to watch Torqueflow retry, disable an endpoint or time out."""

import time

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from standardwebhooks import Webhook

from sandbox.models import BinRequest, RequestBin

SHOWN = 50
KEPT_BYTES = 64 * 1024
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def bin_get(key: str) -> RequestBin:
    return RequestBin.objects.get_or_create(key=key[:50])[0]


def bin_configure(key: str, *, secret: str) -> RequestBin:
    """Set the secret the bin checks signatures with (the demo seed does, for its endpoint)."""
    request_bin = bin_get(key)
    request_bin.secret = secret
    request_bin.save(update_fields=["secret"])
    return request_bin


def _verified(
    request_bin: RequestBin, body: bytes, headers: dict[str, str]
) -> tuple[bool | None, str]:
    if not request_bin.secret or not any(h in headers for h in SIGNATURE_HEADERS):
        return None, ""
    try:
        Webhook(request_bin.secret).verify(body, headers)
    except Exception as error:  # the library raises several kinds for a bad secret or header
        return False, str(error)[:200] or error.__class__.__name__
    return True, ""


@csrf_exempt
@require_http_methods(["POST", "PUT"])
def bin_receive(request: HttpRequest, key: str) -> HttpResponse:
    request_bin = bin_get(key)
    body = request.body
    headers = {name.lower(): value for name, value in request.headers.items()}
    ok, error = _verified(request_bin, body, headers)
    answer = request_bin.answer
    BinRequest.objects.create(
        bin=request_bin,
        method=request.method,
        headers=headers,
        body=body[:KEPT_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd"),
        signature_ok=ok,
        verify_error=error,
        answered=answer,
    )
    if answer == RequestBin.Answer.SLOW:
        time.sleep(request_bin.slow_seconds)
        return HttpResponse("ok (slowly)")
    status = int(answer)
    return HttpResponse("ok" if status == 200 else f"answered {status}", status=status)


class BinForm(forms.ModelForm):
    class Meta:
        model = RequestBin
        fields = ["secret", "answer", "slow_seconds"]
        labels = {
            "secret": "Signing secret",
            "answer": "Answer with",
            "slow_seconds": "Slow answer after (seconds)",
        }


@require_http_methods(["GET", "POST"])
def bin_page(request: HttpRequest, key: str) -> HttpResponse:
    request_bin = bin_get(key)
    if request.method == "POST":
        if request.POST.get("action") == "clear":
            request_bin.requests.all().delete()
            messages.success(request, "Requests cleared.")
            return redirect("sandbox:requestbin", key=request_bin.key)
        form = BinForm(request.POST, instance=request_bin)
        if form.is_valid():
            form.save()
            messages.success(request, "Request bin saved.")
            return redirect("sandbox:requestbin", key=request_bin.key)
    else:
        form = BinForm(instance=request_bin)
    return render(
        request,
        "sandbox/requestbin.html",
        {
            "bin": request_bin,
            "form": form,
            "requests": list(request_bin.requests.all()[:SHOWN]),
            "receive_url": request.build_absolute_uri(f"/sandbox/requestbin/{request_bin.key}/in/"),
        },
    )
