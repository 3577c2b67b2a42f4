"""/Payments: partial and full payments, the invoice's status, deleting a payment."""

import datetime as dt
from decimal import Decimal

import time_machine
from django.utils import timezone

from .conftest import body, invoice_payload


def pay(xero, invoice: dict, amount, **fields):
    payment = {
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
        "Account": {"Code": "090"},
        "Date": "2026-11-15",
        "Amount": amount,
        **fields,
    }
    return xero.put("Payments", {"Payments": [payment]})


def reread(xero, invoice: dict) -> dict:
    return body(xero.get(f"Invoices/{invoice['InvoiceID']}"))["Invoices"][0]


def test_a_part_payment_leaves_the_invoice_authorised(xero, invoice):
    response = pay(xero, invoice, "20.50", Reference="Card")

    assert response.status_code == 200
    payment = body(response)["Payments"][0]
    assert payment["Status"] == "AUTHORISED"
    assert payment["PaymentType"] == "ACCRECPAYMENT"
    assert payment["Amount"] == Decimal("20.50")
    assert payment["Date"] == "/Date(1794700800000+0000)/"
    after = reread(xero, invoice)
    assert after["Status"] == "AUTHORISED"
    assert (after["AmountPaid"], after["AmountDue"]) == (Decimal("20.50"), Decimal("99.50"))
    assert after["Payments"][0]["PaymentID"] == payment["PaymentID"]
    assert "FullyPaidOnDate" not in after


def test_paying_the_rest_makes_it_paid(xero, invoice):
    pay(xero, invoice, 20)
    pay(xero, invoice, 100)

    after = reread(xero, invoice)
    assert after["Status"] == "PAID"
    assert after["AmountDue"] == Decimal("0.00")
    assert after["FullyPaidOnDate"] == "/Date(1794700800000+0000)/"
    assert len(after["Payments"]) == 2


def test_too_much_or_against_a_draft_is_refused(xero, contact, invoice):
    too_much = pay(xero, invoice, "120.01")
    assert too_much.status_code == 400
    assert body(too_much)["Elements"][0]["ValidationErrors"] == [
        {"Message": "Payment amount exceeds the amount outstanding on this document"}
    ]
    draft = body(
        xero.put(
            "Invoices", {"Invoices": [invoice_payload(contact["ContactID"], "D-9", Status="DRAFT")]}
        )
    )["Invoices"][0]
    refused = pay(xero, draft, 1)
    assert body(refused)["Elements"][0]["ValidationErrors"][0]["Message"] == (
        "Payments can only be made against Authorised documents."
    )
    not_a_bank = pay(xero, invoice, 1, Account={"Code": "200"})
    assert not_a_bank.status_code == 400


def test_deleting_a_payment_reopens_the_invoice(xero, invoice):
    payment = body(pay(xero, invoice, 120))["Payments"][0]
    assert reread(xero, invoice)["Status"] == "PAID"

    deleted = xero.post(f"Payments/{payment['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})

    assert deleted.status_code == 200
    assert body(deleted)["Payments"][0]["Status"] == "DELETED"
    after = reread(xero, invoice)
    assert (after["Status"], after["AmountDue"], after["Payments"]) == (
        "AUTHORISED",
        Decimal("120.00"),
        [],
    )
    again = xero.post(f"Payments/{payment['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})
    assert again.status_code == 400


def test_reading_payments_since_a_time_and_by_status(xero, invoice):
    start = timezone.now()
    early = body(pay(xero, invoice, 10))["Payments"][0]
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        late = body(pay(xero, invoice, 5))["Payments"][0]
        xero.post(f"Payments/{early['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})
        since = (start + dt.timedelta(minutes=1)).isoformat()
        changed = body(xero.get("Payments", headers={"If-Modified-Since": since}))["Payments"]
        live = body(xero.get("Payments", {"where": 'Status=="AUTHORISED"'}))["Payments"]
        paged = body(xero.get("Payments", {"page": "1"}))

    assert {(p["PaymentID"], p["Status"]) for p in changed} == {
        (early["PaymentID"], "DELETED"),
        (late["PaymentID"], "AUTHORISED"),
    }
    assert [p["PaymentID"] for p in live] == [late["PaymentID"]]
    assert paged["pagination"]["itemCount"] == 2


def test_the_same_idempotency_key_gives_the_same_payment_once(xero, invoice):
    key = {"Idempotency-Key": "torqueflow-payment-42"}
    payment = {
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
        "Account": {"Code": "090"},
        "Date": "2026-11-15",
        "Amount": 50,
    }

    first = xero.put("Payments", {"Payments": [payment]}, headers=key)
    again = xero.put("Payments", {"Payments": [payment]}, headers=key)

    assert first.status_code == again.status_code == 200
    assert body(again)["Payments"][0]["PaymentID"] == body(first)["Payments"][0]["PaymentID"]
    after = reread(xero, invoice)
    assert len(after["Payments"]) == 1
    assert after["AmountDue"] == Decimal("70.00")


def test_payments_go_to_either_bank_account_by_its_account_id(xero, invoice):
    accounts = body(xero.get("Accounts", {"where": 'Type=="BANK"'}))["Accounts"]
    assert [(a["Code"], a["Name"]) for a in accounts] == [
        ("090", "Business Bank Account"),
        ("091", "Business Savings Account"),
    ]

    savings = accounts[1]["AccountID"]
    paid = pay(xero, invoice, 120, Account={"AccountID": savings})

    assert body(paid)["Payments"][0]["Account"]["Code"] == "091"
    assert reread(xero, invoice)["Status"] == "PAID"


def test_a_refused_payment_answers_each_element_without_summarised_errors(xero, invoice):
    response = xero.put(
        "Payments?summarizeErrors=false",
        {
            "Payments": [
                {
                    "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                    "Account": {"Code": "090"},
                    "Amount": "500.00",
                }
            ]
        },
    )

    assert response.status_code == 200
    (element,) = body(response)["Payments"]
    assert element["StatusAttributeString"] == "ERROR"
    assert element["ValidationErrors"] == [
        {"Message": "Payment amount exceeds the amount outstanding on this document"}
    ]
