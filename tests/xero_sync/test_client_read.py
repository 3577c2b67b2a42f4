"""The client's read-back calls: one invoice with its payments, one payment, and the
If-Modified-Since pages the reconciler walks; MS-JSON dates."""

import datetime
from decimal import Decimal

import pytest

from xero_sync.client import (
    XeroClient,
    invoice_state_from_element,
    xero_date,
    xero_datetime,
)

from .conftest import (
    API_URL,
    INVOICE_ID,
    PAYMENT_30,
    PAYMENT_50,
    TENANT_ID,
    UPDATED_MS,
    page_of,
    xero_answer,
    xero_element,
)

pytestmark = pytest.mark.django_db


def client() -> XeroClient:
    return XeroClient(token="token-0", tenant_id=TENANT_ID)


def test_ms_json_and_iso_dates():
    assert xero_date("/Date(1741824000000+0000)/") == datetime.date(2025, 3, 13)
    assert xero_date("2025-03-13") == datetime.date(2025, 3, 13)
    assert xero_date("2025-03-13T00:00:00") == datetime.date(2025, 3, 13)
    assert xero_date("") is None
    assert xero_date("soon") is None
    stamp = xero_datetime(f"/Date({UPDATED_MS}+0000)/")
    assert stamp == datetime.datetime(2026, 10, 26, 7, 58, 46, 117000, tzinfo=datetime.UTC)
    # The offset says where the time was written; the instant is the same.
    assert xero_datetime(f"/Date({UPDATED_MS}+1300)/") == stamp
    assert xero_datetime("2026-10-26T07:58:46") == stamp.replace(microsecond=0)


def test_get_invoice_reads_status_amounts_and_live_payments(xero_api):
    route = xero_api.get(f"{API_URL}/Invoices/{INVOICE_ID}").respond(
        json=xero_answer("invoice_part_paid_50_then_30.json")
    )

    state = client().get_invoice(INVOICE_ID)

    assert route.calls.last.request.headers["xero-tenant-id"] == TENANT_ID
    assert state.invoice_id == INVOICE_ID
    assert state.status == "AUTHORISED"
    assert (state.total, state.amount_paid, state.amount_due) == (
        Decimal("100.00"),
        Decimal("80.00"),
        Decimal("20.00"),
    )
    # An invoice's payments carry no Status: the invoice lists only live ones.
    assert [(p.payment_id, p.amount, p.live, p.invoice_id) for p in state.payments] == [
        (PAYMENT_50, Decimal("50.00"), True, INVOICE_ID),
        (PAYMENT_30, Decimal("30.00"), True, INVOICE_ID),
    ]
    assert state.payments[1].date == datetime.date(2025, 3, 17)


def test_get_invoice_not_found_is_none(xero_api):
    xero_api.get(f"{API_URL}/Invoices/{INVOICE_ID}").respond(404)
    assert client().get_invoice(INVOICE_ID) is None


def test_an_answer_without_payments_is_unknown_not_none():
    element = xero_element("invoice_paid_in_full.json")
    del element["Payments"]
    assert invoice_state_from_element(element).payments is None


def test_get_payment_reads_a_deleted_payment_and_its_invoice(xero_api):
    xero_api.get(f"{API_URL}/Payments/{PAYMENT_30}").respond(
        json=xero_answer("payment_deleted.json", payment_id=PAYMENT_30)
    )
    payment = client().get_payment(PAYMENT_30)
    assert payment.deleted and not payment.live
    assert payment.invoice_id == INVOICE_ID
    assert payment.amount == Decimal("30.00")
    assert payment.payment_type == "ACCRECPAYMENT"


def test_modified_pages_send_if_modified_since_and_page(xero_api):
    since = datetime.datetime(2026, 10, 20, 2, 0, tzinfo=datetime.UTC)
    invoices = xero_api.get(f"{API_URL}/Invoices").respond(
        json=page_of("Invoices", [xero_element("invoice_voided.json")], page=2, page_count=3)
    )
    payments = xero_api.get(f"{API_URL}/Payments").respond(
        json=page_of("Payments", [xero_element("payment_deleted.json")], page=3, page_count=3)
    )

    page = client().get_invoices_modified(modified_since=since, page=2)
    assert [i.status for i in page.items] == ["VOIDED"]
    assert not page.last
    last = client().get_payments(modified_since=since, page=3)
    assert last.last
    for route, number in ((invoices, "2"), (payments, "3")):
        request = route.calls.last.request
        assert request.headers["If-Modified-Since"] == "2026-10-20T02:00:00+00:00"
        assert request.url.params["page"] == number


def test_get_invoices_by_ids_is_one_call(xero_api):
    route = xero_api.get(f"{API_URL}/Invoices").respond(json=xero_answer("invoice_voided.json"))
    states = client().get_invoices_by_ids([INVOICE_ID, "", "another-id"])
    assert route.calls.last.request.url.params["IDs"] == f"{INVOICE_ID},another-id"
    assert [s.invoice_id for s in states] == [INVOICE_ID]
    assert client().get_invoices_by_ids([]) == []
    assert route.call_count == 1
