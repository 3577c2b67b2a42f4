"""Answers checked against GoHighLevel's own OpenAPI specs (the copies in shared/specs/ghl).

Two mistakes in the invoice response schemas are corrected first, from the spec's own
examples and the live API: `invoiceNumber` is typed number but is a string ("19"), and
`invoiceItems` is typed as an array of strings but holds item objects."""

import copy
import json
from functools import cache

import pytest
from django.conf import settings

from .ghl_support import body, contact_payload, invoice_payload, refresh

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
referencing = pytest.importorskip("referencing", reason="referencing is not installed")

SPECS = settings.BASE_DIR.parent / "shared" / "specs" / "ghl"
BASE_URI = "urn:ghl:/specs/"
INVOICE_RESPONSES = (
    "DefaultInvoiceResponseDto",
    "CreateInvoiceResponseDto",
    "GetInvoiceResponseDto",
    "UpdateInvoiceResponseDto",
    "VoidInvoiceResponseDto",
)


@cache
def spec(path: str) -> dict:
    file = SPECS / path
    if not file.exists():
        pytest.skip(f"GoHighLevel's spec {file} is not on this machine")
    data = json.loads(file.read_text())
    if path == "apps/invoices.json":
        data = copy.deepcopy(data)
        for name in INVOICE_RESPONSES:
            properties = data["components"]["schemas"][name]["properties"]
            properties["invoiceNumber"] = {"type": "string"}
            properties["invoiceItems"]["items"] = {"type": "object"}
    return data


@cache
def registry():
    from referencing.jsonschema import DRAFT7

    resources = [
        (f"{BASE_URI}{path}", referencing.Resource.from_contents(spec(path), DRAFT7))
        for path in (
            "apps/invoices.json",
            "apps/contacts.json",
            "apps/locations.json",
            "apps/oauth.json",
            "common/common-schemas.json",
        )
    ]
    return referencing.Registry().with_resources(resources)


def validate(instance, path: str, schema_name: str) -> None:
    ref = f"{BASE_URI}{path}#/components/schemas/{schema_name}"
    validator = jsonschema.Draft7Validator({"$ref": ref}, registry=registry())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def plain(response) -> dict:
    """The body as any JSON client reads it (floats, not Decimals)."""
    return json.loads(response.content)


def test_tokens_location_and_contacts_match_the_spec(ghl):
    validate(ghl.tokens, "apps/oauth.json", "GetAccessCodeSuccessfulResponseDto")
    validate(
        plain(refresh(ghl.client, ghl.tokens["refresh_token"])),
        "apps/oauth.json",
        "GetAccessCodeSuccessfulResponseDto",
    )
    validate(
        plain(ghl.get(f"locations/{ghl.location_id}")),
        "apps/locations.json",
        "GetLocationByIdSuccessfulResponseDto",
    )
    upserted = ghl.post("contacts/upsert", contact_payload(ghl.location_id, tags=["a"]))
    validate(plain(upserted), "apps/contacts.json", "UpsertContactsSuccessfulResponseDto")


def test_invoice_answers_match_the_spec(ghl, ghl_contact, ghl_invoice):
    invoices = "apps/invoices.json"
    invoice_id = ghl_invoice["_id"]
    validate(ghl_invoice, invoices, "CreateInvoiceResponseDto")
    validate(plain(ghl.get(f"invoices/{invoice_id}", ghl.alt())), invoices, "GetInvoiceResponseDto")
    listed = ghl.get("invoices/", ghl.alt(limit="10", offset="0"))
    validate(plain(listed), invoices, "ListInvoicesResponseDto")
    update = {**invoice_payload(ghl.location_id, ghl_contact["id"]), "dueDate": "2026-12-01"}
    update["invoiceItems"] = update.pop("items")
    validate(plain(ghl.put(f"invoices/{invoice_id}", update)), invoices, "UpdateInvoiceResponseDto")
    text2pay = {**update, "items": update["invoiceItems"], "id": invoice_id}
    text2pay.update(action="draft", userId=ghl.tokens["userId"])
    validate(plain(ghl.post("invoices/text2pay", text2pay)), invoices, "Text2PayInvoiceResponseDto")
    send = ghl.alt(userId=ghl.tokens["userId"], action="sms_and_email", liveMode=True)
    validate(
        plain(ghl.post(f"invoices/{invoice_id}/send", send)), invoices, "SendInvoicesResponseDto"
    )
    voided = ghl.post(f"invoices/{invoice_id}/void", ghl.alt())
    validate(plain(voided), invoices, "VoidInvoiceResponseDto")


def test_torqueflows_bodies_are_what_the_spec_asks_for(ghl, ghl_contact):
    payload = invoice_payload(ghl.location_id, ghl_contact["id"])
    validate(payload, "apps/invoices.json", "CreateInvoiceDto")
    validate(contact_payload(ghl.location_id), "apps/contacts.json", "UpsertContactDto")


def test_error_answers_match_the_common_schemas(ghl, ghl_invoice, client):
    common = "common/common-schemas.json"
    bad = ghl.post(f"invoices/{ghl_invoice['_id']}/void", ghl.alt())
    unauthorized = client.get(
        f"/sandbox/ghl/api/locations/{ghl.location_id}",
        HTTP_AUTHORIZATION="Bearer nope",
        HTTP_VERSION="2021-07-28",
    )
    unprocessable = ghl.post("invoices/", {})

    assert (bad.status_code, unauthorized.status_code, unprocessable.status_code) == (
        400,
        401,
        422,
    )
    validate(plain(bad), common, "BadRequestDTO")
    validate(plain(unauthorized), common, "UnauthorizedDTO")
    validate(plain(unprocessable), common, "UnprocessableDTO")
    assert body(refresh(client, "nope"))["statusCode"] == 400
