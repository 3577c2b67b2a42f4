"""The invoice page: the GHL badge and Push to GHL (the hub's sync panel), the GoHighLevel
panel with Send payment link (email / SMS) and the text2pay link, and pushing several."""

import html as html_lib
import json
import re

import httpx
import pytest
import respx
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from ghl.services import NOTHING_TO_COLLECT
from integrations.models import Connection, SyncRecord
from invoicing.models import AuditLog, Invoice, PaymentMethod
from invoicing.services.payments import payment_record
from tests.factories import CustomerFactory, make_invoice
from tests.helpers import detail_url

from .conftest import API, CONTACT_ID, GHL_INVOICE_ID, LOCATION_ID, USER_ID, fixture

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SEND_ROUTE = f"{API}/invoices/{GHL_INVOICE_ID}/send"


def plain(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def page_text(client, invoice) -> str:
    return plain(client.get(detail_url(invoice)).content.decode())


def toasts(response) -> list[tuple[str, str]]:
    trigger = json.loads(response.headers.get("HX-Trigger", "{}"))
    return [(t["text"], t["level"]) for t in trigger.get("toasts", {}).get("items", [])]


def send_url(invoice) -> str:
    return reverse("ghl:send_link", args=[invoice.pk])


def link_url(invoice) -> str:
    return reverse("ghl:payment_link", args=[invoice.pk])


def mark_pushed(connection, invoice, **details) -> SyncRecord:
    return SyncRecord.objects.create(
        organisation=connection.organisation,
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        state=SyncRecord.State.SYNCED,
        external_id=GHL_INVOICE_ID,
        last_synced_at=timezone.now(),
        label=invoice.number,
        remote_status="draft",
        details={"contact_id": CONTACT_ID, **details},
    )


@pytest.fixture
def pushed(connection, invoice):
    return mark_pushed(connection, invoice)


# --- what the invoice page shows ----------------------------------------------------------


def test_an_unpushed_invoice_shows_the_badge_and_push_to_ghl(owner_client, connection, invoice):
    html = owner_client.get(detail_url(invoice)).content.decode()
    text = plain(html)

    assert "GoHighLevel Not synced" in text
    assert "Push to GHL" in text
    assert reverse("sync:sync_now", args=["ghl", invoice.pk]) in html
    assert "Send payment link" not in text  # the GHL panel waits for the push


def test_a_pushed_invoice_shows_pushed_to_ghl_and_the_panel(owner_client, pushed, invoice):
    text = page_text(owner_client, invoice)

    assert "Pushed to GHL" in text
    assert f"GHL invoice ID {GHL_INVOICE_ID}" in text
    assert "GHL status Draft" in text
    assert "Payment link Not sent yet" in text
    assert "Send payment link" in text
    assert "Get payment link" in text
    assert "Push several invoices to GHL" in text


def test_a_failed_push_shows_the_reason(owner_client, connection, invoice):
    SyncRecord.objects.create(
        organisation=connection.organisation,
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        state=SyncRecord.State.FAILED,
        reason_code="validation",
        reason_text="contactDetails.email must be an email",
    )
    text = page_text(owner_client, invoice)
    assert "Sync failed" in text
    assert "contactDetails.email must be an email" in text


def test_no_panel_without_an_active_connection(owner_client, pushed, connection, invoice):
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.REQUIRES_REAUTH)
    text = page_text(owner_client, invoice)
    assert "Send payment link" not in text
    assert "GHL invoice ID" not in text


def test_channels_without_contact_details_are_disabled(owner_client, connection, org):
    no_phone = CustomerFactory(organisation=org, email="bob@example.test", phone="")
    invoice = make_invoice(org, customer=no_phone, finalise=True)
    mark_pushed(connection, invoice)

    html = owner_client.get(detail_url(invoice)).content.decode()

    assert 'value="email" checked' in html
    assert 'value="sms" disabled' in html
    assert "(the customer has no phone number)" in plain(html)


def test_no_channel_at_all_disables_the_button(owner_client, connection, org):
    nobody = CustomerFactory(organisation=org, email="", phone="")
    invoice = make_invoice(org, customer=nobody, finalise=True)
    mark_pushed(connection, invoice)

    html = owner_client.get(detail_url(invoice)).content.decode()

    assert 'value="email" disabled' in html
    assert 'value="sms" disabled' in html
    assert re.search(r'<button type="submit" class="button small" disabled>Send payment link', html)


def test_accountants_see_the_panel_without_actions(accountant_client, pushed, invoice):
    text = page_text(accountant_client, invoice)
    assert "GHL invoice ID" in text
    assert "Send payment link" not in text.replace("Payment link Not sent yet", "")


# --- sending the payment link -------------------------------------------------------------


@respx.mock
def test_send_by_email(owner_client, owner, pushed, invoice):
    route = respx.post(SEND_ROUTE).mock(
        return_value=httpx.Response(200, json=fixture("invoice_send_email.json"))
    )

    response = owner_client.post(send_url(invoice), {"channel": "email"}, headers=HTMX)

    assert response.status_code == 200
    assert toasts(response) == [("Payment link sent by email", "success")]
    assert json.loads(route.calls.last.request.content) == {
        "altId": LOCATION_ID,
        "altType": "location",
        "userId": USER_ID,
        "action": "email",
        "liveMode": True,
    }
    fragment = plain(response.content.decode())
    sent_at = timezone.localtime(AuditLog.objects.get(action="ghl.payment_link_sent").at)
    assert f"Payment link sent by email on {sent_at:%-d %b %Y %H:%M}" in fragment
    assert 'id="ghl-panel"' in response.content.decode()
    pushed.refresh_from_db()
    assert pushed.details["payment_link_sent"]["channel"] == "email"
    assert pushed.remote_status == "sent"
    audit = AuditLog.objects.get(action="ghl.payment_link_sent")
    assert audit.actor == owner
    assert audit.object_id == str(invoice.pk)
    assert audit.details == {"channel": "email", "ghl_invoice_id": GHL_INVOICE_ID}
    # and on the page, after a reload
    assert f"Payment link sent by email on {sent_at:%-d %b %Y %H:%M}" in page_text(
        owner_client, invoice
    )


@respx.mock
def test_send_by_sms(staff_client, pushed, invoice):
    route = respx.post(SEND_ROUTE).mock(
        return_value=httpx.Response(200, json=fixture("invoice_send_sms.json"))
    )

    response = staff_client.post(send_url(invoice), {"channel": "sms"}, headers=HTMX)

    assert toasts(response) == [("Payment link sent by SMS", "success")]
    assert json.loads(route.calls.last.request.content)["action"] == "sms"
    assert "Payment link sent by SMS on" in plain(response.content.decode())


@respx.mock
def test_send_without_htmx_redirects_to_the_invoice(owner_client, pushed, invoice):
    respx.post(SEND_ROUTE).mock(
        return_value=httpx.Response(200, json=fixture("invoice_send_email.json"))
    )
    response = owner_client.post(send_url(invoice), {"channel": "email"})
    assert response.status_code == 302
    assert response.url == detail_url(invoice)


@pytest.mark.parametrize(
    ("channel", "message"),
    [("", "Choose email or SMS."), ("fax", "Choose email or SMS.")],
)
def test_a_bad_channel_is_400_without_any_call(owner_client, pushed, invoice, channel, message):
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(SEND_ROUTE)
        response = owner_client.post(send_url(invoice), {"channel": channel}, headers=HTMX)
    assert response.status_code == 400
    assert toasts(response) == [(message, "error")]
    assert not route.called


def test_sms_to_a_customer_without_a_phone_is_refused(owner_client, connection, org):
    invoice = make_invoice(org, customer=CustomerFactory(organisation=org, phone=""), finalise=True)
    mark_pushed(connection, invoice)

    response = owner_client.post(send_url(invoice), {"channel": "sms"}, headers=HTMX)

    assert response.status_code == 400
    assert toasts(response) == [("The customer has no phone number.", "error")]
    assert not AuditLog.objects.filter(action="ghl.payment_link_sent").exists()


def test_without_the_installing_user_it_asks_to_reconnect(
    owner_client, connection, pushed, invoice
):
    connection.settings.pop("userId")
    connection.save()

    response = owner_client.post(send_url(invoice), {"channel": "email"}, headers=HTMX)

    assert response.status_code == 400
    assert "Reconnect GoHighLevel" in toasts(response)[0][0]


def test_an_unpushed_invoice_cannot_be_sent(owner_client, connection, invoice):
    response = owner_client.post(send_url(invoice), {"channel": "email"}, headers=HTMX)
    assert response.status_code == 400
    assert toasts(response) == [("Push the invoice to GoHighLevel first.", "error")]


@respx.mock
def test_ghl_refusing_the_send_is_a_toast_not_a_500(owner_client, pushed, invoice):
    respx.post(SEND_ROUTE).mock(
        return_value=httpx.Response(422, json=fixture("error_422_unprocessable.json"))
    )

    response = owner_client.post(send_url(invoice), {"channel": "email"}, headers=HTMX)

    assert response.status_code == 200
    [(text, level)] = toasts(response)
    assert level == "error"
    assert text.startswith("The payment link was not sent: contactDetails.email must be an email")
    assert "Not sent yet" in plain(response.content.decode())


@respx.mock
def test_ghl_revoked_asks_to_reconnect(owner_client, pushed, invoice, connection):
    import responses as responses_lib

    respx.post(SEND_ROUTE).mock(
        return_value=httpx.Response(401, json=fixture("error_401_invalid_token.json"))
    )
    with responses_lib.RequestsMock() as token_endpoint:
        token_endpoint.post(
            "https://services.leadconnectorhq.com/oauth/token",
            status=400,
            json={"error": "invalid_grant"},
        )
        response = owner_client.post(send_url(invoice), {"channel": "email"}, headers=HTMX)

    assert "GoHighLevel needs reconnecting" in toasts(response)[0][0]


def test_accountants_may_not_send(accountant_client, pushed, invoice):
    response = accountant_client.post(send_url(invoice), {"channel": "email"}, headers=HTMX)
    assert response.status_code == 403


def test_another_organisations_invoice_is_404(owner_client, connection, other_org):
    theirs = make_invoice(other_org, finalise=True)
    response = owner_client.post(send_url(theirs), {"channel": "email"}, headers=HTMX)
    assert response.status_code == 404


def test_send_needs_post_and_csrf(owner, pushed, invoice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(send_url(invoice)).status_code == 405
    assert client.post(send_url(invoice), {"channel": "email"}).status_code == 403


def test_send_while_not_connected_is_404(owner_client, invoice):
    response = owner_client.post(send_url(invoice), {"channel": "email"}, headers=HTMX)
    assert response.status_code == 404


# --- text2pay: the link itself ---------------------------------------------------------------


@respx.mock
def test_get_payment_link_uses_text2pay_on_the_same_invoice(owner_client, owner, pushed, invoice):
    route = respx.post(f"{API}/invoices/text2pay").mock(
        return_value=httpx.Response(200, json=fixture("invoice_text2pay.json"))
    )

    response = owner_client.post(link_url(invoice), headers=HTMX)

    assert toasts(response) == [("Payment link ready", "success")]
    body = json.loads(route.calls.last.request.content)
    assert body["id"] == GHL_INVOICE_ID
    assert body["action"] == "draft"
    assert body["userId"] == USER_ID
    assert body["altId"] == LOCATION_ID
    assert body["contactDetails"]["id"] == CONTACT_ID
    url = "https://link.example-ghl.test/invoice/6578278e879ad2646715ba9c"
    assert f'href="{url}"' in response.content.decode()
    assert "Get payment link" not in plain(response.content.decode())
    pushed.refresh_from_db()
    assert pushed.details["payment_url"] == url
    assert AuditLog.objects.filter(action="ghl.payment_link_created", actor=owner).exists()


@respx.mock
def test_get_payment_link_failure_is_a_toast(owner_client, pushed, invoice):
    respx.post(f"{API}/invoices/text2pay").mock(
        return_value=httpx.Response(400, json=fixture("error_400_bad_request.json"))
    )
    response = owner_client.post(link_url(invoice), headers=HTMX)
    assert response.status_code == 200
    assert toasts(response)[0][0].startswith("No payment link: Invoice number already exists")


# --- pushing several at once ---------------------------------------------------------------


def test_the_push_page_lists_finalised_unpushed_sales_invoices(
    owner_client, connection, org, customer
):
    pushed_one = make_invoice(org, customer=customer, finalise=True)
    mark_pushed(connection, pushed_one)
    waiting = make_invoice(org, customer=customer, finalise=True)
    draft = make_invoice(org, customer=customer)
    bill = make_invoice(org, kind=Invoice.Kind.PURCHASE, finalise=True)

    html = owner_client.get(reverse("ghl:push_list")).content.decode()

    assert f'value="{waiting.pk}"' in html
    for hidden in (pushed_one, draft, bill):
        assert f'value="{hidden.pk}"' not in html
    assert "Push to GHL" in plain(html)


def test_push_many_queues_each_invoice(owner_client, owner, connection, org, customer, other_org):
    first = make_invoice(org, customer=customer, finalise=True)
    second = make_invoice(org, customer=customer, finalise=True)
    draft = make_invoice(org, customer=customer)
    theirs = make_invoice(other_org, finalise=True)

    response = owner_client.post(
        reverse("ghl:push_many"),
        {
            "invoice": [
                first.pk,
                second.pk,
                draft.pk,
                theirs.pk,
                "x",
                "²",
                "9999999999999999999999999",
                first.pk,
            ]
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("ghl:push_list")
    records = SyncRecord.objects.filter(
        connection=connection, object_type=ContentType.objects.get_for_model(Invoice)
    )
    assert sorted(r.object_id for r in records) == sorted([first.pk, second.pk])
    assert all(r.state == SyncRecord.State.PENDING for r in records)
    assert AuditLog.objects.filter(action="ghl.sync_now", actor=owner).count() == 2
    page = plain(owner_client.get(response.url).content.decode())
    assert "2 invoice(s) queued to push to GoHighLevel." in page


@pytest.mark.parametrize("chosen", [[], ["²"], ["9999999999999999999999999"], ["0", "-3"]])
def test_push_many_with_nothing_chosen(owner_client, connection, chosen):
    response = owner_client.post(reverse("ghl:push_many"), {"invoice": chosen}, follow=True)
    assert "Choose at least one invoice to push." in plain(response.content.decode())


def test_push_pages_need_invoices_manage(accountant_client, connection):
    assert accountant_client.get(reverse("ghl:push_list")).status_code == 403
    assert accountant_client.post(reverse("ghl:push_many"), {"invoice": [1]}).status_code == 403


def test_push_page_while_not_connected(owner_client):
    response = owner_client.get(reverse("ghl:push_list"))
    assert response.status_code == 302


# --- only what can work ----------------------------------------------------------------------


def paid_in_full(invoice: Invoice) -> Invoice:
    method = PaymentMethod.objects.get(organisation=invoice.organisation, name="Cash")
    payment_record(
        invoice=invoice, actor=None, amount=invoice.total, date=invoice.issue_date, method=method
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    return invoice


@respx.mock
def test_a_paid_invoice_offers_no_payment_link_and_refuses_one(owner_client, pushed, invoice):
    paid_in_full(invoice)
    send = respx.post(SEND_ROUTE)
    text2pay = respx.post(f"{API}/invoices/text2pay")

    text = page_text(owner_client, invoice)
    sent = owner_client.post(send_url(invoice), {"channel": "email"}, headers=HTMX)
    linked = owner_client.post(link_url(invoice), headers=HTMX)

    assert "GHL invoice ID" in text
    assert "Send payment link" not in text.replace("Payment link Not sent yet", "")
    assert "Get payment link" not in text
    assert toasts(sent) == [(NOTHING_TO_COLLECT, "error")]
    assert toasts(linked)[0][0] == NOTHING_TO_COLLECT
    assert not send.called
    assert not text2pay.called


def test_paid_invoices_are_not_offered_or_queued_to_push(owner_client, connection, org, customer):
    paid = paid_in_full(make_invoice(org, customer=customer, finalise=True))
    waiting = make_invoice(org, customer=customer, finalise=True)

    html = owner_client.get(reverse("ghl:push_list")).content.decode()
    response = owner_client.post(reverse("ghl:push_many"), {"invoice": [paid.pk]}, follow=True)

    assert f'value="{waiting.pk}"' in html
    assert f'value="{paid.pk}"' not in html
    assert "None of those invoices can be pushed." in plain(response.content.decode())
    assert not SyncRecord.objects.filter(connection=connection, object_id=paid.pk).exists()


def test_a_bill_offers_no_push_to_ghl_and_refuses_one(owner_client, connection, org):
    bill = make_invoice(org, kind=Invoice.Kind.PURCHASE, finalise=True)

    text = page_text(owner_client, bill)
    response = owner_client.post(reverse("sync:sync_now", args=["ghl", bill.pk]), follow=True)

    assert "Push to GHL" not in text
    assert "GoHighLevel" not in text
    assert "Only sales invoices are pushed to GoHighLevel." in plain(response.content.decode())
    assert not SyncRecord.objects.filter(connection=connection, object_id=bill.pk).exists()
