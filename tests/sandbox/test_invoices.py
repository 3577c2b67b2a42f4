"""/Invoices: batches, validation, totals, idempotency, reading back, status changes."""

import datetime as dt
from decimal import Decimal

import time_machine
from django.utils import timezone

from sandbox.models import XeroInvoice

from .conftest import body, invoice_payload


def mixed_batch(contact_id: str) -> dict:
    return {
        "Invoices": [
            invoice_payload(contact_id, "TF-0001"),
            invoice_payload(
                contact_id,
                "TF-0002",
                LineItems=[
                    {"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "999"}
                ],
            ),
            invoice_payload(contact_id, "TF-0001"),  # the first one's number again
            {**invoice_payload(contact_id, "TF-0004"), "Contact": {}},
            invoice_payload(contact_id, "TF-0005", LineItems=[]),
        ]
    }


def messages(element: dict) -> list[str]:
    return [e["Message"] for e in element.get("ValidationErrors", [])]


def test_summarize_errors_false_marks_each_element(xero, contact):
    response = xero.put("Invoices?summarizeErrors=false", mixed_batch(contact["ContactID"]))

    assert response.status_code == 200
    elements = body(response)["Invoices"]
    assert [e["StatusAttributeString"] for e in elements] == [
        "OK",
        "ERROR",
        "ERROR",
        "ERROR",
        "ERROR",
    ]
    assert elements[0]["HasErrors"] is False
    assert all(e["HasErrors"] is True for e in elements[1:])
    assert messages(elements[1]) == ["Account code '999' is not a valid code for this document."]
    assert messages(elements[2]) == ["Invoice # must be unique."]
    assert messages(elements[3]) == ["A Contact must be specified for this type of transaction"]
    assert messages(elements[4]) == ["At least one line item must be specified."]
    assert elements[1]["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    assert XeroInvoice.objects.count() == 1


def test_by_default_errors_are_summarised_but_valid_invoices_are_still_created(xero, contact):
    response = xero.put("Invoices", mixed_batch(contact["ContactID"]))

    assert response.status_code == 400
    error = body(response)
    assert error["Type"] == "ValidationException"
    assert len(error["Elements"]) == 4  # only the failed ones
    # As on Xero, the valid invoice was created although the answer was a 400.
    assert list(XeroInvoice.objects.values_list("invoice_number", flat=True)) == ["TF-0001"]


def test_tax_is_rounded_per_line_then_summed(xero, contact):
    lines = [
        {"Description": f"Part {n}", "Quantity": 1, "UnitAmount": "0.33", "AccountCode": "200"}
        for n in range(3)
    ]
    response = xero.put(
        "Invoices", {"Invoices": [invoice_payload(contact["ContactID"], LineItems=lines)]}
    )

    invoice = body(response)["Invoices"][0]
    # 20% of 0.33 is 0.066 -> 0.07 per line; on the total it would be 0.198 -> 0.20.
    assert invoice["SubTotal"] == Decimal("0.99")
    assert invoice["TotalTax"] == Decimal("0.21")
    assert invoice["Total"] == Decimal("1.20")
    assert [li["TaxAmount"] for li in invoice["LineItems"]] == [Decimal("0.07")] * 3


def test_a_tax_amount_sent_on_a_line_is_honoured_and_a_sent_total_ignored(xero, contact):
    lines = [
        {
            "Description": "A",
            "Quantity": 2,
            "UnitAmount": 10,
            "AccountCode": "200",
            "TaxAmount": 3.99,
        },
        {"Description": "B", "Quantity": 1, "UnitAmount": "10.005", "AccountCode": "260"},
    ]
    payload = invoice_payload(contact["ContactID"], LineItems=lines, Total=999)
    invoice = body(xero.put("Invoices", {"Invoices": [payload]}))["Invoices"][0]

    assert [li["LineAmount"] for li in invoice["LineItems"]] == [Decimal("20.00"), Decimal("10.01")]
    assert invoice["TotalTax"] == Decimal("3.99") + Decimal("2.00")
    assert invoice["Total"] == Decimal("30.01") + Decimal("5.99")


def test_inclusive_amounts_and_four_decimal_units(xero, contact):
    lines = [{"Description": "A", "Quantity": 3, "UnitAmount": "1.2345", "AccountCode": "200"}]
    payload = invoice_payload(contact["ContactID"], LineItems=lines, LineAmountTypes="Inclusive")
    invoice = body(xero.put("Invoices?unitdp=4", {"Invoices": [payload]}))["Invoices"][0]

    assert invoice["LineItems"][0]["UnitAmount"] == Decimal("1.2345")
    assert invoice["LineItems"][0]["LineAmount"] == Decimal("3.70")
    assert invoice["Total"] == Decimal("3.70")
    assert invoice["TotalTax"] == Decimal("0.62")  # 3.70 * 20/120 = 0.6166
    assert invoice["SubTotal"] == Decimal("3.08")


def test_an_idempotency_key_replays_the_first_answer(xero, contact):
    payload = {"Invoices": [invoice_payload(contact["ContactID"])]}
    key = {"Idempotency-Key": "push-invoice-42"}

    first = xero.put("Invoices", payload, headers=key)
    again = xero.put("Invoices", payload, headers=key)

    assert first.status_code == again.status_code == 200
    assert body(first)["Invoices"][0]["InvoiceID"] == body(again)["Invoices"][0]["InvoiceID"]
    assert again["X-Sandbox-Idempotent-Replay"] == "true"
    assert XeroInvoice.objects.count() == 1
    too_long = xero.put("Invoices", payload, headers={"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400


def test_if_modified_since_and_paging(xero, contact):
    cid = contact["ContactID"]
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(days=2), tick=False):
        old = [invoice_payload(cid, f"OLD-{n:03d}") for n in range(102)]
        assert xero.put("Invoices", {"Invoices": old}).status_code == 200
    with time_machine.travel(start, tick=False):
        # The token was issued "now"; travel back to it for the newer calls.
        new = [invoice_payload(cid, f"NEW-{n:03d}") for n in range(3)]
        assert xero.put("Invoices", {"Invoices": new}).status_code == 200

        page_one = body(xero.get("Invoices", {"page": "1"}))
        page_two = body(xero.get("Invoices", {"page": "2"}))
        since = (start - dt.timedelta(hours=1)).isoformat()
        recent = body(xero.get("Invoices", headers={"If-Modified-Since": since}))
        unpaged = body(xero.get("Invoices"))

    assert page_one["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 2, "itemCount": 105}
    assert len(page_one["Invoices"]) == 100 and len(page_two["Invoices"]) == 5
    assert page_one["Invoices"][0]["LineItems"]  # paging returns line items
    assert sorted(i["InvoiceNumber"] for i in recent["Invoices"]) == [
        "NEW-000",
        "NEW-001",
        "NEW-002",
    ]
    assert "pagination" not in unpaged and unpaged["Invoices"][0]["LineItems"] == []


def test_filters_and_summary_only(xero, contact, invoice):
    draft = invoice_payload(contact["ContactID"], "TF-0009", Status="DRAFT")
    xero.put("Invoices", {"Invoices": [draft]})

    def numbers(**params) -> list[str]:
        return sorted(i["InvoiceNumber"] for i in body(xero.get("Invoices", params))["Invoices"])

    assert numbers(Statuses="DRAFT") == ["TF-0009"]
    assert numbers(IDs=invoice["InvoiceID"]) == ["TF-0001"]
    assert numbers(InvoiceNumbers="TF-0001,TF-0009") == ["TF-0001", "TF-0009"]
    assert numbers(ContactIDs=contact["ContactID"]) == ["TF-0001", "TF-0009"]
    assert numbers(where='Status=="AUTHORISED" AND Total>100') == ["TF-0001"]
    summary = body(xero.get("Invoices", {"summaryOnly": "true"}))["Invoices"][0]
    assert "LineItems" not in summary and "Payments" not in summary
    one = body(xero.get(f"Invoices/{invoice['InvoiceID']}"))["Invoices"][0]
    assert one["LineItems"][0]["Description"] == "Boiler service"
    assert body(xero.get("Invoices/TF-0001"))["Invoices"][0]["InvoiceID"] == invoice["InvoiceID"]


def test_an_unknown_invoice_is_a_plain_404(xero):
    response = xero.get("Invoices/6d5f8d5e-0000-4000-8000-000000000000")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")


def test_post_with_an_existing_number_updates_that_invoice(xero, contact, invoice):
    payload = invoice_payload(contact["ContactID"], "TF-0001", Reference="Job 7")
    response = xero.post("Invoices", {"Invoices": [payload]})

    assert body(response)["Invoices"][0]["InvoiceID"] == invoice["InvoiceID"]
    assert body(response)["Invoices"][0]["Reference"] == "Job 7"
    assert XeroInvoice.objects.count() == 1


def test_status_changes(xero, contact, invoice):
    draft = body(
        xero.put(
            "Invoices", {"Invoices": [invoice_payload(contact["ContactID"], "D-1", Status="DRAFT")]}
        )
    )["Invoices"][0]
    deleted = xero.post(f"Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]})
    assert body(deleted)["Invoices"][0]["Status"] == "DELETED"

    for wanted in ("DELETED", "DRAFT", "PAID"):
        refused = xero.post(f"Invoices/{invoice['InvoiceID']}", {"Invoices": [{"Status": wanted}]})
        assert refused.status_code == 400
        assert messages(body(refused)["Elements"][0]) == [
            "Invoice not of valid status for modification"
        ]

    voided = xero.post(f"Invoices/{invoice['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    assert body(voided)["Invoices"][0]["Status"] == "VOIDED"
    assert body(voided)["Invoices"][0]["AmountDue"] == Decimal("0.00")
    edit = xero.post(f"Invoices/{invoice['InvoiceID']}", {"Invoices": [{"Reference": "late"}]})
    assert edit.status_code == 200  # the reference of a voided invoice may change
    created_paid = xero.put(
        "Invoices", {"Invoices": [invoice_payload(contact["ContactID"], "P-1", Status="PAID")]}
    )
    assert messages(body(created_paid)["Elements"][0]) == [
        "Invoice not of valid status for creation"
    ]


def test_an_invoice_with_a_payment_cannot_be_voided_or_edited(xero, invoice):
    pay = {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 10}
    assert xero.put("Payments", {"Payments": [pay]}).status_code == 200

    voided = xero.post(f"Invoices/{invoice['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    edited = xero.post(
        f"Invoices/{invoice['InvoiceID']}",
        {
            "Invoices": [
                {
                    "LineItems": [
                        {"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "200"}
                    ]
                }
            ]
        },
    )

    allocated = "This document cannot be edited as it has a payment or credit note allocated to it."
    assert messages(body(voided)["Elements"][0]) == [allocated]
    assert messages(body(edited)["Elements"][0]) == [allocated]


def test_a_name_only_contact_is_found_or_created(xero, contact):
    known = invoice_payload(None, "N-1", Contact={"Name": "alice plumbing co"})
    unknown = invoice_payload(None, "N-2", Contact={"Name": "Dave New"})
    elements = body(xero.put("Invoices", {"Invoices": [known, unknown]}))["Invoices"]

    assert elements[0]["Contact"]["ContactID"] == contact["ContactID"]
    assert elements[1]["Contact"]["Name"] == "Dave New"


def test_bills_may_repeat_numbers_and_use_purchase_tax(xero, contact):
    bill = invoice_payload(
        contact["ContactID"],
        "SUP-1",
        Type="ACCPAY",
        LineItems=[{"Description": "Parts", "Quantity": 1, "UnitAmount": 50, "AccountCode": "429"}],
    )
    response = xero.put("Invoices", {"Invoices": [bill, bill]})

    assert response.status_code == 200
    assert [i["LineItems"][0]["TaxType"] for i in body(response)["Invoices"]] == ["INPUT2"] * 2
    wrong_tax = dict(bill, LineItems=[{**bill["LineItems"][0], "TaxType": "OUTPUT2"}])
    refused = xero.put("Invoices", {"Invoices": [wrong_tax]})
    assert messages(body(refused)["Elements"][0]) == [
        "The TaxType code 'OUTPUT2' cannot be used with account code '429'."
    ]


def test_without_an_accept_header_the_answer_is_xml(xero, invoice):
    response = xero.get("Invoices", headers={"Accept": "*/*"})

    assert response["Content-Type"].startswith("text/xml")
    assert b"<Invoices><Invoice>" in response.content
