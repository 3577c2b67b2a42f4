"""/sandbox/twilio/phone/<number>/: a customer's handset. Read what was sent to the number
and reply (STOP and START included): the reply is stored and posted, signed, to
Torqueflow's incoming-message webhook as Twilio would."""

import secrets

from django.conf import settings
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sandbox.models import TwilioSandboxMessage

from .constants import ACCOUNT_SID, PHONE_NUMBER
from .tasks import post_signed


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
            )
            status = post_signed(
                settings.SANDBOX_TWILIO_WEBHOOK_URL,
                {
                    "AccountSid": ACCOUNT_SID,
                    "MessageSid": message.sid,
                    "SmsSid": message.sid,
                    "SmsMessageSid": message.sid,
                    "SmsStatus": "received",
                    "From": number,
                    "To": PHONE_NUMBER,
                    "Body": body,
                    "NumMedia": "0",
                    "NumSegments": "1",
                    "ApiVersion": "2010-04-01",
                },
            )
            return redirect(f"{request.path}?delivered={status or 0}")
    delivered = request.GET.get("delivered")
    if delivered:
        notice = "Reply sent" if delivered == "200" else f"Torqueflow answered {delivered}"
    messages = TwilioSandboxMessage.objects.filter(Q(to=number) | Q(from_number=number)).order_by(
        "created", "pk"
    )
    return render(
        request,
        "sandbox/twilio/phone.html",
        {"number": number, "messages": messages, "notice": notice},
    )
