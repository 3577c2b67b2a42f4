"""Send payment link on several invoices from the sales list: a run recorded in the
request, links sent one at a time by a task (email, or SMS without an address), and a page
that follows it to the end."""

import json

import httpx
import pytest
import respx
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ghl import link_runs
from ghl.models import PaymentLinkRun
from tests.factories import CustomerFactory, MembershipFactory, make_invoice

from .conftest import API, GHL_INVOICE_ID, fixture
from .test_panel import mark_pushed, plain

pytestmark = pytest.mark.django_db

SALES_BULK = reverse("invoicing:sales_bulk")
SEND_ROUTE = f"{API}/invoices/{GHL_INVOICE_ID}/send"


@pytest.fixture
def three(org, connection, invoice):
    """INV-0001 (customer with email) and a phone-only customer's invoice, both pushed; a
    third never pushed to GoHighLevel."""
    texter = CustomerFactory(organisation=org, name="Tex", email="", phone="+447700900456")
    by_sms = make_invoice(org, customer=texter, lines=((1, "50.00", "0"),), finalise=True)
    not_pushed = make_invoice(org, customer=texter, lines=((1, "10.00", "0"),), finalise=True)
    mark_pushed(connection, invoice)
    mark_pushed(connection, by_sms)
    return [invoice, by_sms, not_pushed]


def start(client, invoices, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            SALES_BULK, {"action": "ghl_send_links", "invoice": [i.pk for i in invoices]}
        )
    return response, queued


def test_the_list_starts_a_run_and_goes_to_its_page(
    owner_client, owner, three, django_capture_on_commit_callbacks
):
    response, queued = start(owner_client, three, django_capture_on_commit_callbacks)

    run = PaymentLinkRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("ghl:link_run", args=[run.pk])
    assert sorted(run.invoice_ids) == sorted(i.pk for i in three)
    assert (run.state, run.position, run.created_by) == ("running", 0, owner)
    assert len(queued) == 1  # the task, once the run is committed
    page = owner_client.get(response.url)
    words = plain(page.content.decode())
    assert "Sending payment links for 3 invoices." in words
    assert "0 of 3 done…" in words
    assert 'hx-trigger="every 1s"' in page.content.decode()


@respx.mock
def test_the_task_sends_each_link_once_and_says_what_happened(
    owner_client, three, django_capture_on_commit_callbacks
):
    _, _ = start(owner_client, three, django_capture_on_commit_callbacks)
    run = PaymentLinkRun.objects.get()
    # Both pushed invoices share the fixture's GHL id; the bodies tell the channels apart.
    route = respx.post(SEND_ROUTE).mock(
        side_effect=[
            httpx.Response(200, json=fixture("invoice_send_email.json")),
            httpx.Response(200, json=fixture("invoice_send_sms.json")),
        ]
    )

    tried = link_runs.payment_link_run_continue(run_id=run.pk)

    run.refresh_from_db()
    assert tried == 3
    assert (run.state, run.position, run.sent, run.failed) == ("done", 3, 2, 1)
    actions = sorted(json.loads(call.request.content)["action"] for call in route.calls)
    assert actions == ["email", "sms"]
    outcomes = {o["number"]: (o["sent"], o["text"]) for o in run.outcomes}
    assert outcomes == {
        three[0].number: (True, "Sent by email"),
        three[1].number: (True, "Sent by SMS"),
        three[2].number: (False, "Push the invoice to GoHighLevel first."),
    }
    # Run again (a redelivered task): nothing is sent twice.
    assert link_runs.payment_link_run_continue(run_id=run.pk) == 0
    assert route.call_count == 2

    page = owner_client.get(reverse("ghl:link_run", args=[run.pk]), headers={"HX-Request": "true"})
    assert page.status_code == 286  # htmx stops polling
    words = plain(page.content.decode())
    assert "2 of 3 sent; 1 not sent." in words
    assert f"{three[2].number} Not sent Push the invoice to GoHighLevel first." in words
    assert "every 1s" not in page.content.decode()


@respx.mock
def test_a_rate_limit_pauses_the_run_without_losing_the_invoice(
    owner_client, three, django_capture_on_commit_callbacks
):
    start(owner_client, three[:2], django_capture_on_commit_callbacks)  # both pushed
    run = PaymentLinkRun.objects.get()
    respx.post(SEND_ROUTE).mock(
        return_value=httpx.Response(
            429, json=fixture("error_429_rate_limited.json"), headers={"Retry-After": "7"}
        )
    )

    with django_capture_on_commit_callbacks() as queued:
        tried = link_runs.payment_link_run_continue(run_id=run.pk)

    run.refresh_from_db()
    assert (tried, run.position, run.state) == (0, 0, "running")
    assert len(queued) == 1  # the run goes on after the wait


def test_a_stalled_run_is_sent_again_by_the_sweeper(
    owner_client, three, django_capture_on_commit_callbacks, time_machine
):
    start(owner_client, three, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as queued:
        assert link_runs.payment_link_runs_sweep() == 0
    time_machine.move_to(timezone.now() + link_runs.STALLED_AFTER * 2)
    with django_capture_on_commit_callbacks() as queued:
        assert link_runs.payment_link_runs_sweep() == 1
    assert len(queued) == 1


def test_another_organisations_run_is_not_found(
    owner_client, three, other_org, django_capture_on_commit_callbacks
):
    start(owner_client, three, django_capture_on_commit_callbacks)
    run = PaymentLinkRun.objects.get()
    outsider = Client()
    outsider.force_login(MembershipFactory(organisation=other_org, role_key="owner").user)
    assert outsider.get(reverse("ghl:link_run", args=[run.pk])).status_code == 404
    assert owner_client.get(reverse("ghl:link_run", args=[run.pk])).status_code == 200


def test_the_action_is_offered_only_while_ghl_is_connected(owner_client, invoice, connection):
    page = owner_client.get(reverse("invoicing:sales_list")).content.decode()
    assert "Send payment link" in plain(page)
    connection.state = "disconnected"
    connection.save(update_fields=["state"])
    page = owner_client.get(reverse("invoicing:sales_list")).content.decode()
    assert "Send payment link" not in plain(page)
