"""The Webhooks Manager: outbound endpoints with their delivery logs, and inbound webhooks."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import capability_required
from crm import events

from . import selectors
from .forms import EndpointForm, InboundHookForm
from .models import Endpoint
from .provider import WEBHOOKS_MANAGE
from .services import delivery, endpoints, inbound

PERMISSION_MESSAGE = "Only the Owner can manage webhooks."
manage_webhooks = capability_required(
    WEBHOOKS_MANAGE, message=PERMISSION_MESSAGE, redirect_to="settings_index"
)
REVEAL = "webhooks_reveal"


def _endpoint(request: HttpRequest, pk: int) -> Endpoint:
    endpoint = selectors.endpoint_get(organisation=request.organisation, pk=pk)
    if endpoint is None:
        raise Http404
    return endpoint


def _hook(request: HttpRequest, pk: int):
    hook = selectors.inbound_hook_get(organisation=request.organisation, pk=pk)
    if hook is None:
        raise Http404
    return hook


def _reveal(request: HttpRequest, key: str, value: str) -> None:
    """Keep a secret for the next page only: it is shown once."""
    request.session[REVEAL] = {"key": key, "value": value}


def _revealed(request: HttpRequest, key: str) -> str:
    shown = request.session.get(REVEAL)
    if shown and shown.get("key") == key:
        del request.session[REVEAL]
        return shown["value"]
    return ""


def _inbound_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("inbound_webhook_receive", args=[token]))


@manage_webhooks
@require_GET
def manager(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "webhooks_manager/manager.html",
        {
            "endpoints": selectors.endpoints_listed(organisation=request.organisation),
            "hooks": selectors.inbound_hooks_listed(organisation=request.organisation),
        },
    )


def _form_page(request, form, endpoint=None):
    return render(
        request,
        "webhooks_manager/endpoint_form.html",
        {"form": form, "endpoint": endpoint, "choices": selectors.event_choices()},
    )


def _input(form: EndpointForm) -> endpoints.EndpointInput:
    data = form.cleaned_data
    return endpoints.EndpointInput(
        url=data["url"],
        description=data["description"],
        kind=data["kind"],
        events=tuple(data["events"]),
    )


def _save(request, form, save):
    try:
        return save(_input(form))
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            for text in errors:
                form.add_error(field if field in form.fields else None, text)
    return None


@manage_webhooks
@require_http_methods(["GET", "POST"])
def endpoint_add(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None, initial={"events": [events.LEAD_CREATED]})
    if request.method == "POST" and form.is_valid():
        endpoint = _save(
            request,
            form,
            lambda data: endpoints.endpoint_create(
                organisation=request.organisation, actor=request.user, data=data
            ),
        )
        if endpoint is not None:
            if endpoint.kind == Endpoint.Kind.STANDARD:
                _reveal(request, f"endpoint:{endpoint.pk}", endpoint.secret)
            messages.success(request, "Endpoint added.")
            return redirect("webhooks_manager:endpoint", pk=endpoint.pk)
    return _form_page(request, form)


@manage_webhooks
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "kind": endpoint.kind,
        "events": endpoint.events,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            request,
            form,
            lambda data: endpoints.endpoint_update(
                endpoint=endpoint, actor=request.user, data=data
            ),
        )
        if saved is not None:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks_manager:endpoint", pk=endpoint.pk)
    return _form_page(request, form, endpoint)


@manage_webhooks
@require_GET
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    event = request.GET.get("event", "")
    outcome = request.GET.get("outcome", "")
    if event not in events.EVENTS and event != delivery.TEST_EVENT:
        event = ""
    page = selectors.delivery_log(
        organisation=request.organisation,
        endpoint=endpoint,
        event=event,
        outcome=outcome,
        page=request.GET.get("page", 1),
    )
    waiting = selectors.messages_waiting(organisation=request.organisation, endpoint=endpoint)
    context = {
        "endpoint": endpoint,
        "page": page,
        "waiting": waiting,
        "event": event,
        "outcome": outcome if outcome in selectors.OUTCOMES else "",
        "event_names": [*events.EVENTS, delivery.TEST_EVENT],
        "outcomes": selectors.OUTCOMES,
        "secret": _revealed(request, f"endpoint:{endpoint.pk}"),
        "query": "&".join(f"{k}={v}" for k, v in (("event", event), ("outcome", outcome)) if v),
    }
    template = "webhooks_manager/endpoint_detail.html"
    if request.htmx and request.GET.get("fragment") == "log":
        template += "#log"
    return render(request, template, context)


@manage_webhooks
@require_POST
def endpoint_enabled(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if request.POST.get("enabled") == "1":
        endpoints.endpoint_enable(endpoint=endpoint, actor=request.user)
        messages.success(request, "Endpoint enabled.")
    else:
        endpoints.endpoint_disable(endpoint=endpoint, actor=request.user)
        messages.success(request, "Endpoint disabled.")
    return redirect("webhooks_manager:endpoint", pk=endpoint.pk)


def _confirm(request, *, title, question, action, button, back, danger=True):
    return render(
        request,
        "webhooks_manager/confirm.html",
        {
            "title": title,
            "question": question,
            "action": action,
            "button": button,
            "back": back,
            "danger": danger,
        },
    )


@manage_webhooks
@require_http_methods(["GET", "POST"])
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if request.method == "GET":
        return _confirm(
            request,
            title="Rotate signing secret",
            question=(
                "Rotate the signing secret? A new secret is made and shown once. The old one "
                "keeps signing alongside it for 24 hours, so you have a day to update the receiver."
            ),
            action=reverse("webhooks_manager:endpoint_rotate", args=[endpoint.pk]),
            button="Rotate secret",
            back=reverse("webhooks_manager:endpoint", args=[endpoint.pk]),
        )
    endpoint = endpoints.endpoint_secret_rotate(endpoint=endpoint, actor=request.user)
    _reveal(request, f"endpoint:{endpoint.pk}", endpoint.secret)
    messages.success(request, "Signing secret rotated.")
    return redirect("webhooks_manager:endpoint", pk=endpoint.pk)


@manage_webhooks
@require_http_methods(["GET", "POST"])
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if request.method == "GET":
        return _confirm(
            request,
            title="Delete endpoint",
            question=(
                f"Delete the endpoint {endpoint.url}? Events stop going to it and its delivery "
                "log is deleted too."
            ),
            action=reverse("webhooks_manager:endpoint_delete", args=[endpoint.pk]),
            button="Delete endpoint",
            back=reverse("webhooks_manager:endpoint", args=[endpoint.pk]),
        )
    endpoints.endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, "Endpoint deleted.")
    return redirect("webhooks_manager:manager")


@manage_webhooks
@require_POST
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if not endpoint.enabled:
        messages.error(request, "Enable the endpoint to send it a test event.")
    else:
        delivery.endpoint_test_event_send(endpoint=endpoint)
        messages.success(request, "Test event sent.")
    return redirect("webhooks_manager:endpoint", pk=endpoint.pk)


@manage_webhooks
@require_POST
def message_resend(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    message = selectors.message_get(
        organisation=request.organisation, endpoint=endpoint, pk=message_pk
    )
    if message is None:
        raise Http404
    if not endpoint.enabled:
        messages.error(request, "Enable the endpoint to resend to it.")
    else:
        delivery.message_resend(message=message)
        messages.success(request, "Delivery resent.")
    return redirect("webhooks_manager:endpoint", pk=endpoint.pk)


# --- inbound -----------------------------------------------------------------------------


@manage_webhooks
@require_http_methods(["GET", "POST"])
def inbound_add(request: HttpRequest) -> HttpResponse:
    form = InboundHookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = inbound.inbound_hook_create(
            organisation=request.organisation,
            actor=request.user,
            name=form.cleaned_data["name"],
            signed=form.cleaned_data["signed"],
        )
        _reveal(request, f"inbound:{made.hook.pk}", made.token)
        messages.success(request, "Inbound webhook created.")
        return redirect("webhooks_manager:inbound", pk=made.hook.pk)
    return render(request, "webhooks_manager/inbound_form.html", {"form": form})


@manage_webhooks
@require_GET
def inbound_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hook = _hook(request, pk)
    token = _revealed(request, f"inbound:{hook.pk}")
    return render(
        request,
        "webhooks_manager/inbound_detail.html",
        {
            "hook": hook,
            "url": _inbound_url(request, token) if token else "",
            "page": selectors.inbound_log(
                organisation=request.organisation, hook=hook, page=request.GET.get("page", 1)
            ),
        },
    )


@manage_webhooks
@require_http_methods(["GET", "POST"])
def inbound_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    hook = _hook(request, pk)
    if not hook.active:
        raise Http404
    if request.method == "GET":
        return _confirm(
            request,
            title="Rotate URL",
            question=(
                "Rotate this inbound webhook's URL? The current URL stops working at once; "
                "update every sender with the new one."
            ),
            action=reverse("webhooks_manager:inbound_rotate", args=[hook.pk]),
            button="Rotate URL",
            back=reverse("webhooks_manager:inbound", args=[hook.pk]),
        )
    made = inbound.inbound_hook_rotate(hook=hook, actor=request.user)
    _reveal(request, f"inbound:{hook.pk}", made.token)
    messages.success(request, "Inbound webhook URL rotated.")
    return redirect("webhooks_manager:inbound", pk=hook.pk)


@manage_webhooks
@require_http_methods(["GET", "POST"])
def inbound_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    hook = _hook(request, pk)
    if request.method == "GET":
        return _confirm(
            request,
            title="Revoke inbound webhook",
            question=(
                "Revoke this inbound webhook? Its URL stops working for good and posts to it "
                "are refused. Leads it made stay."
            ),
            action=reverse("webhooks_manager:inbound_revoke", args=[hook.pk]),
            button="Revoke",
            back=reverse("webhooks_manager:inbound", args=[hook.pk]),
        )
    inbound.inbound_hook_revoke(hook=hook, actor=request.user)
    messages.success(request, "Inbound webhook revoked.")
    return redirect("webhooks_manager:inbound", pk=hook.pk)
