"""Twilio's callbacks at /webhooks/twilio/: signatures checked with the SDK's RequestValidator
over the URL Twilio called (good, bad, behind a proxy), empty TwiML answers, statuses that
never move back, replies in the thread and the customer's messages, STOP and START."""

import pytest

from crm.models import Message
from integrations.models import WebhookEvent
from twilio_sms.models import SmsMessage, SmsOptOut

from .conftest import (
    AUTH_TOKEN,
    CONTACT_PHONE,
    apply_all,
    incoming_params,
    post_callback,
    status_params,
)

pytestmark = pytest.mark.django_db

SID = "SM0123456789abcdef0123456789abcdef"


@pytest.fixture
def sent(org, connection, contact):
    return SmsMessage.objects.create(
        organisation=org,
        direction="outbound",
        phone=CONTACT_PHONE,
        body="Your boiler service is tomorrow",
        sid=SID,
        status="queued",
        contact=contact,
    )


def deliver(params: dict, **kwargs) -> int:
    response = post_callback(params, **kwargs)
    apply_all()
    return response.status_code


def test_a_good_signature_is_stored_and_answered_with_empty_twiml(sent, broker):
    response = post_callback(status_params(SID, "sent"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")
    assert WebhookEvent.objects.filter(provider="twilio", event_key=f"{SID}:sent").exists()


@pytest.mark.parametrize("case", ["wrong token", "tampered", "missing", "other url"])
def test_bad_signatures_are_refused_with_401(sent, broker, case):
    params = status_params(SID, "delivered")
    kwargs = {
        "wrong token": {"token": "f" * 32},
        "tampered": {"signature": post_signature_for({**params, "MessageStatus": "failed"})},
        "missing": {"signature": ""},
        "other url": {"url": "http://testserver/webhooks/twilio/?x=1"},
    }[case]
    assert post_callback(params, **kwargs).status_code == 401
    assert not WebhookEvent.objects.exists()


def post_signature_for(params: dict) -> str:
    from .conftest import sign

    return sign("http://testserver/webhooks/twilio/", params)


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(sent, broker, settings):
    params = status_params(SID, "delivered")
    public = "https://app.example.com/webhooks/twilio/"
    # Without the setting the request's own URL (http://testserver) is checked: refused.
    assert post_callback(params, url=public).status_code == 401
    settings.TWILIO_PUBLIC_WEBHOOK_BASE = "https://app.example.com"
    assert post_callback(params, url=public).status_code == 200


def test_callbacks_out_of_order_never_move_delivered_back(sent):
    assert deliver(status_params(SID, "delivered")) == 200
    assert deliver(status_params(SID, "sent")) == 200
    assert deliver(status_params(SID, "queued")) == 200
    sent.refresh_from_db()
    assert sent.status == "delivered"


def test_a_replayed_callback_is_stored_once(sent, broker):
    post_callback(status_params(SID, "sent"))
    post_callback(status_params(SID, "sent"))
    assert WebhookEvent.objects.filter(provider="twilio").count() == 1


def test_an_undelivered_message_keeps_twilios_error_code(sent, owner_client):
    deliver(status_params(SID, "sent"))
    deliver(status_params(SID, "undelivered", "30003"))
    sent.refresh_from_db()
    assert (sent.status, sent.error_code) == ("undelivered", "30003")
    page = owner_client.get("/sms/history/").content.decode()
    assert "Undelivered: the phone is unreachable (switched off or out of coverage)" in page


def test_a_callback_for_another_organisations_message_changes_nothing(sent, other_org, broker):
    from twilio_sms import services

    assert not services.sms_status_apply(
        organisation=other_org, sid=SID, status="failed", error_code=""
    )
    sent.refresh_from_db()
    assert sent.status == "queued"


def test_a_reply_lands_in_the_thread_and_the_customers_messages(sent, contact, owner_client):
    assert deliver(incoming_params(f"SM{1:032x}", "Yes, see you then")) == 200
    reply = SmsMessage.objects.get(direction="inbound")
    assert (reply.phone, reply.contact, reply.read_at) == (CONTACT_PHONE, contact, None)
    crm_message = Message.objects.get(customer=contact.customer)
    assert (crm_message.body, crm_message.author_contact) == ("Yes, see you then", contact)
    tab = owner_client.get("/settings/integrations/twilio/").content.decode()
    assert "Yes, see you then" in tab
    assert 'class="badge tab-count"' in tab and "1 unread" in tab
    owner_client.post("/sms/read/")
    tab = owner_client.get("/settings/integrations/twilio/").content.decode()
    assert "tab-count" not in tab


def test_a_reply_from_an_unknown_number_stays_in_the_sms_history_only(connection):
    assert deliver(incoming_params(f"SM{2:032x}", "Who is this?", "+12125551234")) == 200
    assert SmsMessage.objects.get(direction="inbound").contact is None
    assert not Message.objects.exists()


def test_stop_opts_out_and_start_opts_back_in(connection, contact, owner_client, monkeypatch):
    from twilio_sms.tasks import sms_deliver_task

    monkeypatch.setattr(sms_deliver_task, "delay", lambda *args: None)
    deliver(incoming_params(f"SM{3:032x}", "STOP"))
    assert SmsOptOut.objects.filter(phone=CONTACT_PHONE).exists()
    refused = owner_client.post(
        "/sms/send/", {"to": CONTACT_PHONE, "body": "Hi"}, headers={"HX-Request": "true"}
    )
    assert "has opted out of texts" in refused.content.decode()
    deliver(incoming_params(f"SM{4:032x}", "start"))
    assert not SmsOptOut.objects.exists()
    owner_client.post(
        "/sms/send/", {"to": CONTACT_PHONE, "body": "Hi"}, headers={"HX-Request": "true"}
    )
    assert SmsMessage.objects.filter(direction="outbound").count() == 1


def test_malformed_bodies_are_400_not_500(connection, broker):
    params = {"AccountSid": connection.remote_account_id, "Body": "no sid"}
    assert post_callback(params).status_code == 400


def test_the_sandbox_signs_exactly_as_the_sdk_checks(settings):
    from twilio.request_validator import RequestValidator

    from sandbox.twilio.signing import signature

    params = status_params(SID, "delivered")
    url = "https://app.example.com/webhooks/twilio/?a=1"
    assert RequestValidator(AUTH_TOKEN).validate(url, params, signature(url, params, AUTH_TOKEN))


def test_a_callback_before_the_sid_is_saved_is_tried_again(org, connection, broker):
    """Twilio may call back before the worker that sent the message saved its sid."""
    from integrations.services.webhooks import WebhookApplyFailed, webhook_apply

    in_flight = SmsMessage.objects.create(
        organisation=org, direction="outbound", phone=CONTACT_PHONE, body="Hi", status="queued"
    )
    post_callback(status_params(SID, "delivered"))
    event = WebhookEvent.objects.get()
    with pytest.raises(WebhookApplyFailed):
        webhook_apply(event_id=event.pk)
    SmsMessage.objects.filter(pk=in_flight.pk).update(sid=SID)
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.APPLIED
    in_flight.refresh_from_db()
    assert in_flight.status == "delivered"


def test_a_callback_for_no_message_of_ours_is_ignored(connection, broker):
    from integrations.services.webhooks import webhook_apply

    post_callback(status_params(SID, "delivered"))
    event = WebhookEvent.objects.get()
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED
