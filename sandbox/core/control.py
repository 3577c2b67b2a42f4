"""The control page: /sandbox/ (every provider) and /sandbox/<provider>/ (one), where you are
the providers' side. Each provider's panel is the same: how to point Torqueflow at it, its
accounts (the adapter's cards, with its own actions), its webhooks, fault knobs and limits,
call counters and a reset. No login: it is the provider's user, not Torqueflow's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sandbox.models import Faults, ProviderEvent

from . import limits, seed, stats, webhooks
from .forms import FaultsForm, PayForm
from .registry import SandboxProvider, Signing, get, providers

EVENTS_SHOWN = 15


def back(provider: str, anchor: str = "") -> HttpResponse:
    """To the provider's page, at `anchor`."""
    return redirect(reverse(f"sandbox:{provider}_index") + (f"#{anchor}" if anchor else ""))


def pay_from_page(
    request: HttpRequest,
    provider: str,
    invoice_id: str,
    *,
    lock: Callable[[str], Any],
    refusal: Callable[[Any, Decimal], str],
    pay: Callable[[Any, Decimal], str],
) -> HttpResponse:
    """An account card's Pay in full / Pay part: the amount entered, or what is due, on the
    invoice `lock` row-locks; `refusal` says why it cannot be paid ("" when it can), `pay`
    records it (and queues the webhook) and says what became of the invoice."""
    form = PayForm(request.POST)
    anchor = f"invoice-{invoice_id}"
    with transaction.atomic():
        invoice = lock(invoice_id)
        if not form.is_valid():
            messages.error(request, "Enter an amount of at least 0.01.")
            return back(provider, anchor)
        amount = form.cleaned_data["amount"] or invoice.amount_due
        if error := refusal(invoice, amount):
            messages.error(request, f"{invoice}: {error}")
            return back(provider, anchor)
        outcome = pay(invoice, amount)
    messages.success(request, f"{invoice}: {outcome}")
    return back(provider, anchor)


def env_lines(adapter: SandboxProvider, request: HttpRequest) -> list[str]:
    """Torqueflow's settings for this sandbox: the browser reaches the consent page at the
    address it is on; Torqueflow's server reaches the rest at SANDBOX_BASE_URL."""
    base = settings.SANDBOX_BASE_URL.rstrip("/")
    browser = request.build_absolute_uri("/").rstrip("/")
    prefix = adapter.settings_prefix
    lines = adapter.credential_lines()
    for endpoint in adapter.endpoints:
        root = browser if endpoint.browser else base
        lines.append(f"{prefix}_{endpoint.setting}={root}/sandbox/{adapter.key}/{endpoint.path}")
    return lines + adapter.extra_env_lines()


@dataclass
class Panel:
    """One provider's part of the page."""

    provider: SandboxProvider
    form: FaultsForm
    faults: Faults
    stats: list[stats.Row]
    window_seconds: float  # the short window's real length
    events: list[ProviderEvent]
    webhook_url: str
    signing: Signing
    env_lines: list[str]
    urls: dict[str, str]
    accounts: dict[str, Any]


def _urls(key: str) -> dict[str, str]:
    names = ["index", "stats", "stats_reset", "faults", "reset", "webhook_resend"]
    if get(key).handshake:
        names.append("webhook_intent")
    return {name: reverse(f"sandbox:{key}_{name}") for name in names}


def panel(request: HttpRequest, key: str, form: FaultsForm | None = None) -> Panel:
    adapter = get(key)
    faults = Faults.current(key)
    events = list(ProviderEvent.objects.filter(provider=key)[:EVENTS_SHOWN])
    for event in events:
        event.delivered = event.status_code in adapter.webhook_ok
    return Panel(
        provider=adapter,
        form=form or FaultsForm(instance=faults),
        faults=faults,
        stats=stats.rows(key),
        window_seconds=limits.real_seconds(faults, adapter.limits.window_seconds),
        events=events,
        webhook_url=webhooks.url(key),
        signing=adapter.signing(),
        env_lines=env_lines(adapter, request),
        urls=_urls(key),
        accounts=adapter.control_context(request),
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    for adapter in providers():
        seed.ensure_seeded(adapter.key)
    panels = [panel(request, adapter.key) for adapter in providers()]
    return render(request, "sandbox/index.html", {"panels": panels})


def _page(request: HttpRequest, key: str, form: FaultsForm | None = None, status: int = 200):
    context = {"panel": panel(request, key, form)}
    return render(request, "sandbox/provider.html", context, status=status)


@require_GET
def provider_page(request: HttpRequest, provider: str) -> HttpResponse:
    seed.ensure_seeded(provider)
    return _page(request, provider)


@require_POST
def faults_save(request: HttpRequest, provider: str) -> HttpResponse:
    form = FaultsForm(request.POST, instance=Faults.current(provider))
    if not form.is_valid():
        seed.ensure_seeded(provider)
        return _page(request, provider, form, status=400)
    form.save()
    messages.success(request, f"{get(provider).name} fault settings saved.")
    return back(provider, f"{provider}-faults")


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def stats_json(request: HttpRequest, provider: str) -> HttpResponse:
    """Calls and 429s per account, for benchmarks; DELETE resets them."""
    seed.ensure_seeded(provider)
    if request.method == "DELETE":
        stats.reset(provider)
        return HttpResponse(status=204)
    return JsonResponse(stats.snapshot(provider))


@require_POST
def stats_reset(request: HttpRequest, provider: str) -> HttpResponse:
    stats.reset(provider)
    messages.success(request, f"{get(provider).name} call counters and rate-limit windows reset.")
    return back(provider, f"{provider}-stats")


@require_POST
def webhook_resend(request: HttpRequest, provider: str) -> HttpResponse:
    count = webhooks.resend_undelivered(provider)
    name = get(provider).name
    messages.success(request, f"{count} undelivered {name} webhook(s) sent again.")
    return back(provider, f"{provider}-webhooks")


@require_POST
def webhook_intent(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider's check of Torqueflow's receiver; JSON when asked for."""
    result = webhooks.check_receiver(provider)
    if "json" in request.headers.get("Accept", ""):
        return JsonResponse(result)
    level = messages.SUCCESS if result["passed"] else messages.ERROR
    messages.add_message(
        request,
        level,
        f"{get(provider).handshake.capitalize()}: correctly signed → "
        f"{result['correctly_signed']}, wrongly signed → {result['wrongly_signed']} "
        "(expected 200 and 401).",
    )
    return back(provider, f"{provider}-webhooks")


@require_POST
def sandbox_reset(request: HttpRequest, provider: str) -> HttpResponse:
    adapter = get(provider)
    forget = request.POST.get("forget_grants") == "on"
    seed.reset(provider, forget_grants=forget)
    done = f": every {adapter.grant_noun} was forgotten." if forget else "."
    messages.success(request, f"{adapter.name} sandbox reset{done}")
    return back(provider)
