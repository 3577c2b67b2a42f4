"""The SMS tab's actions: send, refill the form from a template, the history (polled while
messages settle), mark replies read. Thin views over compose, services and tab."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import INTEGRATIONS_MANAGE
from accounts.permissions import capability_required
from crm.models import Contact
from torqueflow.numbers import plain_int

from . import mapping, selectors, services
from .compose import Compose, compose_from_query
from .tab import history_context

SENT_TOAST = "SMS queued"
TAB = "integrations:provider"

manage_sms = capability_required(INTEGRATIONS_MANAGE)


def _tab_url() -> str:
    return reverse(TAB, args=[selectors.KEY])


def status_callback_url(request) -> str:
    path = reverse("webhook_receive", args=[selectors.KEY])
    base = settings.TWILIO_PUBLIC_WEBHOOK_BASE.rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


def _form(request, compose: Compose, status: int = 200):
    organisation = request.organisation
    return render(
        request,
        "twilio_sms/_form.html",
        {
            "compose": compose,
            "sms": {
                "templates": mapping.TEMPLATES,
                "contacts": selectors.contacts_with_phones(organisation=organisation),
            },
        },
        status=status,
    )


@manage_sms
@require_GET
def fill(request):
    """The form again, with the chosen template filled for the chosen contact."""
    return _form(request, compose_from_query(request, request.organisation, request.GET))


@manage_sms
@require_POST
def send(request):
    organisation = request.organisation
    contact_id = plain_int(request.POST.get("contact", ""))
    contact = (
        Contact.objects.filter(organisation=organisation, pk=contact_id).first()
        if contact_id
        else None
    )
    to = request.POST.get("to", "").strip()
    if not to and contact is not None:
        to = contact.phone
    try:
        services.sms_send(
            organisation=organisation,
            actor=request.user,
            to=to,
            body=request.POST.get("body", "")[:5000],
            status_callback=status_callback_url(request),
            contact=contact,
        )
    except ValidationError as error:
        compose = compose_from_query(request, organisation, request.POST)
        compose.errors = {k: v[0] for k, v in error.message_dict.items()}
        if not request.htmx:
            for text in compose.errors.values():
                messages.error(request, text)
            return redirect(_tab_url())
        return _form(request, compose, status=200)
    messages.success(request, SENT_TOAST)
    if not request.htmx:
        return redirect(_tab_url())
    return render(
        request,
        "twilio_sms/_sent.html",
        {
            "compose": Compose(body="", template=mapping.CUSTOM),
            "sms": {
                "templates": mapping.TEMPLATES,
                "contacts": selectors.contacts_with_phones(organisation=organisation),
            },
            **history_context(organisation=organisation),
        },
    )


@manage_sms
@require_GET
def history(request):
    return render(
        request, "twilio_sms/_history.html", history_context(organisation=request.organisation)
    )


@manage_sms
@require_POST
def mark_read(request):
    services.sms_mark_read(organisation=request.organisation)
    if not request.htmx:
        return redirect(_tab_url())
    return render(
        request, "twilio_sms/_history.html", history_context(organisation=request.organisation)
    )
