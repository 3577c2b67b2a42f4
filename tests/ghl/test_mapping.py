"""ghl.mapping: pure translations, checked against the fields the official spec requires."""

import datetime
import json
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from ghl import mapping

from .conftest import fixture


def customer(**fields):
    defaults = {
        "name": "Ada Lovelace",
        "email": "ada@example.test",
        "phone": "+447700900123",
        "company_name": "Analytical Engines Ltd",
        "postcode": "LS1 1AA",
    }
    return SimpleNamespace(**{**defaults, **fields})


def line(description="Boiler service", quantity="2", unit_price="12.5000", tax_rate="20.00"):
    return SimpleNamespace(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        tax_rate=Decimal(tax_rate),
    )


INVOICE = SimpleNamespace(
    number="INV-0007",
    currency="GBP",
    issue_date=datetime.date(2025, 3, 10),
    due_date=datetime.date(2025, 4, 9),
)


def create_payload(**changes):
    arguments = {
        "lines": [line(), line("Parts", "1", "40", "0")],
        "customer": customer(),
        "contact_id": "contact-1",
        "location_id": "loc-1",
        "business_name": "Alpha Heating Ltd",
    }
    arguments.update(changes)
    return mapping.invoice_payload(INVOICE, **arguments)


def required(schema: str) -> set[str]:
    """The fields the official spec marks required for a request body."""
    return set(fixture("spec_required_fields.json")["schemas"][schema])


def test_contact_payload_keeps_what_the_customer_has():
    payload = mapping.contact_payload(customer(), location_id="loc-1")
    assert required("UpsertContactDto") <= set(payload)
    assert payload == {
        "locationId": "loc-1",
        "name": "Ada Lovelace",
        "email": "ada@example.test",
        "phone": "+447700900123",
        "companyName": "Analytical Engines Ltd",
        "postalCode": "LS1 1AA",
    }
    bare = customer(email="", phone="", company_name="", postcode="")
    assert mapping.contact_payload(bare, location_id="loc-1") == {
        "locationId": "loc-1",
        "name": "Ada Lovelace",
    }


def test_create_payload_has_every_required_field():
    payload = create_payload()
    assert required("CreateInvoiceDto") <= set(payload)
    for item in payload["items"]:
        assert required("InvoiceItemDto") <= set(item)
    assert required("ContactDetailsDto") <= set(payload["contactDetails"])
    for tax in payload["items"][0]["taxes"]:
        assert required("ItemTaxDto") <= set(tax)
    assert required("SentToDto") <= set(payload["sentTo"])


def test_create_payload_values():
    payload = create_payload()
    assert payload["altId"] == "loc-1"
    assert payload["altType"] == "location"
    assert payload["name"] == "Invoice INV-0007"
    assert payload["invoiceNumber"] == "INV-0007"
    assert payload["businessDetails"] == {"name": "Alpha Heating Ltd"}
    assert payload["currency"] == "GBP"
    assert payload["discount"] == {"type": "percentage", "value": 0}
    assert payload["issueDate"] == "2025-03-10"
    assert payload["dueDate"] == "2025-04-09"
    assert payload["liveMode"] is True
    assert payload["sentTo"] == {"email": ["ada@example.test"], "phoneNo": ["+447700900123"]}
    assert payload["contactDetails"] == {
        "id": "contact-1",
        "name": "Ada Lovelace",
        "phoneNo": "+447700900123",
        "email": "ada@example.test",
        "companyName": "Analytical Engines Ltd",
        "address": {"postalCode": "LS1 1AA"},
    }
    service, parts = payload["items"]
    # Major units: a unit price of 12.50 is 12.5; GoHighLevel multiplies by qty.
    assert service == {
        "name": "Boiler service",
        "description": "Boiler service",
        "currency": "GBP",
        "amount": 12.5,
        "qty": 2,
        "type": "one_time",
        "taxes": [
            {
                "_id": "torqueflow-tax-20",
                "name": "Tax 20%",
                "rate": 20,
                "calculation": "exclusive",
            }
        ],
    }
    assert "taxes" not in parts  # zero-rated
    assert parts["amount"] == 40
    json.dumps(payload)  # plain JSON: no Decimals left


def test_a_customer_without_email_or_phone():
    payload = create_payload(customer=customer(email="", phone=""))
    assert payload["sentTo"] == {"email": []}
    assert payload["contactDetails"]["email"] == ""
    assert payload["contactDetails"]["phoneNo"] == ""


def test_update_payload_follows_update_invoice_dto():
    create = create_payload()
    update = mapping.invoice_update_payload(create)
    assert required("UpdateInvoiceDto") <= set(update)
    assert update["invoiceItems"] == create["items"]
    assert update["contactId"] == "contact-1"
    assert "items" not in update
    assert "sentTo" not in update


def test_text2pay_payload_updates_the_existing_invoice():
    payload = mapping.text2pay_payload(
        create_payload(), invoice_id="ghl-1", user_id="user-1", action="draft"
    )
    assert required("Text2PayDto") <= set(payload)
    assert payload["id"] == "ghl-1"
    assert payload["userId"] == "user-1"
    assert payload["action"] == "draft"


def test_send_payload():
    payload = mapping.send_payload(location_id="loc-1", user_id="user-1", channel="sms")
    assert required("SendInvoiceDto") <= set(payload)
    assert payload == {
        "altId": "loc-1",
        "altType": "location",
        "userId": "user-1",
        "action": "sms",
        "liveMode": True,
    }
    with pytest.raises(ValueError):
        mapping.send_payload(location_id="loc-1", user_id="user-1", channel="fax")


def test_fingerprint_changes_with_what_is_sent():
    def digest(**changes):
        return mapping.invoice_fingerprint(
            INVOICE,
            lines=changes.get("lines", [line()]),
            customer=changes.get("customer", customer()),
            business_name="Alpha",
        )

    assert digest() == digest()
    assert len(digest()) == 64
    assert digest(lines=[line(quantity="3")]) != digest()
    assert digest(customer=customer(email="new@example.test")) != digest()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0.00"), (120, "120.00"), (99.995, "100.00"), ("12.5", "12.50"), (1e-3, "0.00")],
)
def test_money(value, expected):
    assert mapping.money(value) == Decimal(expected)


@pytest.mark.parametrize("value", [None, True, "abc", "NaN", {}, "Infinity"])
def test_money_refuses_what_is_not_an_amount(value):
    with pytest.raises(ValueError):
        mapping.money(value)


def test_invoice_from_ghl_reads_the_documented_response():
    invoice = mapping.invoice_from_ghl(
        {"_id": "abc", "status": "paid", "invoiceNumber": 19, "total": 999, "amountPaid": 999}
    )
    assert invoice.id == "abc"
    assert invoice.invoice_number == "19"
    assert invoice.total == Decimal("999.00")
    with pytest.raises(ValueError):
        mapping.invoice_from_ghl({"status": "paid"})


def test_is_our_invoice_by_number_or_name():
    found = mapping.GhlInvoice(id="x", invoice_number="INV-0007")
    assert mapping.is_our_invoice(found, "INV-0007")
    renamed = mapping.GhlInvoice(id="x", invoice_number="1001", name="Invoice INV-0007")
    assert mapping.is_our_invoice(renamed, "INV-0007")
    assert not mapping.is_our_invoice(
        mapping.GhlInvoice(id="x", invoice_number="INV-0070"), "INV-0007"
    )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"type": "InvoicePaid", "_id": "a", "altId": "l"}, "InvoicePaid"),
        ({"type": "UNINSTALL", "locationId": "l"}, "UNINSTALL"),
        ({"_id": "a", "altId": "l", "status": "paid"}, "InvoicePaid"),
        ({"_id": "a", "altId": "l", "status": "partially_paid"}, "InvoicePartiallyPaid"),
        ({"_id": "a", "altId": "l", "status": "void"}, "InvoiceVoid"),
        ({"_id": "a", "altId": "l", "status": "sent"}, "InvoiceUpdate"),
        ({"locationId": "l"}, ""),
    ],
)
def test_event_type(payload, expected):
    assert mapping.event_type(payload) == expected


def test_event_location_id():
    assert mapping.event_location_id({"locationId": "l1", "altId": "l2"}) == "l1"
    assert mapping.event_location_id({"altId": "l2", "altType": "location"}) == "l2"
    assert mapping.event_location_id({"altId": "c1", "altType": "company"}) == ""


def test_event_timestamp():
    moment = mapping.event_timestamp({"timestamp": "2026-11-21T12:00:01.000Z"})
    assert moment == datetime.datetime(2026, 11, 21, 12, 0, 1, tzinfo=datetime.UTC)
    assert mapping.event_timestamp({}) is None
    with pytest.raises(ValueError):
        mapping.event_timestamp({"timestamp": "yesterday"})
    with pytest.raises(ValueError):
        mapping.event_timestamp({"timestamp": 1732190401})


def test_event_date_is_the_local_day():
    london = ZoneInfo("Europe/London")
    late = {"updatedAt": "2026-07-01T23:30:00.000Z"}  # 00:30 on 2 July in London (BST)
    assert mapping.event_date(late, tz=london, default=None) == datetime.date(2026, 7, 2)
    assert mapping.event_date({}, tz=london, default=datetime.date(2026, 1, 1)) == (
        datetime.date(2026, 1, 1)
    )


def test_payment_external_id_is_per_level():
    assert mapping.payment_external_id("abc", Decimal("50")) == "abc:50.00"
    assert mapping.payment_external_id("abc", Decimal("50.00")) == "abc:50.00"
    assert mapping.payment_reference("abc") == "GHL invoice abc"


def test_app_id_is_the_client_id_before_its_first_dash():
    assert mapping.app_id("6601a2b3c4d5e6f7a8b9c0d1-lmno1234") == "6601a2b3c4d5e6f7a8b9c0d1"
    assert mapping.app_id("") == ""
