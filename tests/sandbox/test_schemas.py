"""Answers checked against Xero's own OpenAPI schemas (the copies in shared/specs/xero)."""

import json
from functools import cache

import pytest
from django.conf import settings

from .conftest import CONNECTIONS, body, invoice_payload, token_request

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
yaml = pytest.importorskip("yaml", reason="pyyaml is not installed")
referencing = pytest.importorskip("referencing", reason="referencing is not installed")

SPECS = settings.BASE_DIR.parent / "shared" / "specs" / "xero"


@cache
def spec(name: str) -> dict:
    path = SPECS / name
    if not path.exists():
        pytest.skip(f"Xero's OpenAPI spec {path} is not on this machine")
    return yaml.safe_load(path.read_text())


def validate(instance, spec_name: str, schema_name: str, *, draft=None) -> None:
    """Validate against components/schemas/<schema_name>; $refs resolve inside the spec."""
    from referencing.jsonschema import DRAFT7, DRAFT202012

    draft = draft or DRAFT7
    uri = f"urn:xero:{spec_name}"
    resource = referencing.Resource.from_contents(spec(spec_name), default_specification=draft)
    registry = referencing.Registry().with_resource(uri, resource)
    cls = jsonschema.Draft202012Validator if draft is DRAFT202012 else jsonschema.Draft7Validator
    validator = cls({"$ref": f"{uri}#/components/schemas/{schema_name}"}, registry=registry)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def plain(response) -> dict:
    """The body as any JSON client reads it (floats, not Decimals)."""
    return json.loads(response.content)


def test_invoices_contacts_and_organisation_match_the_spec(xero, contact, invoice):
    paid = {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 5}
    xero.put("Payments", {"Payments": [paid]})

    validate(plain(xero.get("Invoices", {"page": "1"})), "xero_accounting.yaml", "Invoices")
    validate(
        plain(xero.get(f"Invoices/{invoice['InvoiceID']}")), "xero_accounting.yaml", "Invoices"
    )
    validate(plain(xero.get("Contacts")), "xero_accounting.yaml", "Contacts")
    validate(plain(xero.get("Payments", {"page": "1"})), "xero_accounting.yaml", "Payments")
    validate(plain(xero.get("Organisation")), "xero_accounting.yaml", "Organisations")
    validate(plain(xero.get("Accounts")), "xero_accounting.yaml", "Accounts")
    validate(plain(xero.get("TaxRates")), "xero_accounting.yaml", "TaxRates")


def test_write_answers_and_errors_match_the_spec(xero, contact):
    ok_and_bad = [
        invoice_payload(contact["ContactID"], "S-1"),
        invoice_payload(contact["ContactID"], "S-1"),
    ]
    mixed = xero.put("Invoices?summarizeErrors=false", {"Invoices": ok_and_bad})
    summarised = xero.put("Invoices", {"Invoices": ok_and_bad})

    validate(plain(mixed), "xero_accounting.yaml", "Invoices")
    assert summarised.status_code == 400
    validate(plain(summarised), "xero_accounting.yaml", "Error")


def test_connections_match_the_identity_spec(xero):
    response = xero.client.get(
        CONNECTIONS, HTTP_AUTHORIZATION=f"Bearer {xero.tokens['access_token']}"
    )
    for connection in body(response):
        validate(connection, "xero-identity.yaml", "Connection")
    refreshed = token_request(
        xero.client, {"grant_type": "refresh_token", "refresh_token": xero.tokens["refresh_token"]}
    )
    validate(body(refreshed), "xero-identity.yaml", "AccessToken")


def test_webhook_body_matches_the_webhooks_spec(xero, invoice):
    from referencing.jsonschema import DRAFT202012

    from sandbox.models import ProviderEvent
    from sandbox.xero import webhooks

    [event_id] = webhooks.queue_invoice_events([xero.tenant.invoices.get()], "schema test")
    raw = webhooks.body_for(list(ProviderEvent.objects.filter(pk=event_id)))

    validate(json.loads(raw), "xero-webhooks.yaml", "WebhookEvent", draft=DRAFT202012)
