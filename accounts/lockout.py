"""How django-axes sees a sign-in here (settings.AXES_*): the email address as the backend
matches it, the client's address, and the login page shown while either is locked out."""

import datetime
import ipaddress
import math

from axes.helpers import get_client_ip_address, get_client_username
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .forms import EmailLoginForm
from .selectors import login_lockout_ends_at

LOCKED_OUT = "Too many failed sign-in attempts."


def login_username(request: HttpRequest | None, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the email address tried, stripped and in lower case, as
    accounts.backends.EmailBackend matches it, so "Owner@X.test " counts as owner@x.test."""
    source = credentials or getattr(request, "POST", None) or {}
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    if not isinstance(username, str):
        return None
    return username.strip().lower() or None


def client_ip_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or behind AXES_IPWARE_PROXY_COUNT reverse proxies
    that each append the address they saw to X-Forwarded-For, the address the outermost one
    saw. Anything before that in the header came from the client and is not trusted."""
    remote_addr = request.META.get("REMOTE_ADDR") or None
    proxies = settings.AXES_IPWARE_PROXY_COUNT or 0
    if proxies <= 0:
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote_addr
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote_addr


def _local_time_text(ends_at: datetime.datetime) -> str:
    """The time as 15:42 (15:42 on 4 March when not today) in the site's time zone, rounded
    up to the minute so that it is never earlier than the lock's end."""
    local = timezone.localtime(ends_at, timezone.get_default_timezone())
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    today = timezone.localtime(timezone.now(), timezone.get_default_timezone()).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local.day} {local:%B}"


def lockout_message(ends_at: datetime.datetime | None) -> str:
    if ends_at is None:
        return f"{LOCKED_OUT} Try again later."
    return f"{LOCKED_OUT} Try again after {_local_time_text(ends_at)}."


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page again, with status 429 and when to try again."""
    if credentials is None and isinstance(original_response, dict):
        credentials = original_response  # axes' older two-argument call
    ends_at = login_lockout_ends_at(
        ip_address=get_client_ip_address(request),
        username=get_client_username(request, credentials),
    )
    typed = request.POST.get("username", "")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = EmailLoginForm(request, initial={"username": typed})
    response = render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "lockout_message": lockout_message(ends_at)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    if ends_at is not None:
        seconds = (ends_at - timezone.now()).total_seconds()
        response["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response
