"""/sandbox/twilio/phone/<number>/: a customer's handset. Read what was sent to the number
and reply (STOP and START included): the reply is stored and posted, signed, to
Torqueflow's incoming-message webhook as Twilio would, through the core's delivery (so the
drop knob and "Resend undelivered" apply to it)."""

import secrets

from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sandbox.models import ProviderEvent, TwilioSandboxMessage
from twilio_sms.segments import segment_count

from . import events
from .constants import ACCOUNT_SID, PHONE_NUMBER


@require_http_methods(["GET", "POST"])
def phone(request, number: str):
    number = "+" + number.lstrip("+ ")
    notice = ""
    if request.method == "POST":
        body = request.POST.get("body", "").strip()[:1600]
        if body:
            message = TwilioSandboxMessage.objects.create(
                sid="SM" + secrets.token_hex(16),
                account_sid=ACCOUNT_SID,
                direction="inbound",
                to=PHONE_NUMBER,
                from_number=number,
                body=body,
                status="received",
                num_segments=max(1, segment_count(body).segments),
            )
            # Sent as soon as it is stored (no transaction here), so its answer can be shown.
            event = events.queue_incoming(message)
            answer = ProviderEvent.objects.filter(pk=event.pk).values_list("status_code", flat=True)
            status = answer.first()
            return redirect(f"{request.path}?delivered={status or 0}")
    delivered = request.GET.get("delivered")
    if delivered:
        if delivered == "200":
            notice = "Reply sent"
        elif delivered == "0":
            notice = "Reply not delivered to Torqueflow: resend it from the sandbox's Twilio page."
        else:
            notice = f"Torqueflow answered {delivered}"
    messages = TwilioSandboxMessage.objects.filter(Q(to=number) | Q(from_number=number)).order_by(
        "created", "pk"
    )
    return render(
        request,
        "sandbox/twilio/phone.html",
        {"number": number, "messages": messages, "notice": notice},
    )
