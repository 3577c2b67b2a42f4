"""Our invoices and contacts as Xero payloads, checked against Xero's own OpenAPI schemas,
the reason checks, and the rounding contract with Xero's line-level arithmetic."""

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.conf import settings

from integrations.errors import ValidationFailed
from invoicing.models import Invoice
from tests.factories import CustomerFactory, NominalCodeFactory, SupplierFactory, make_invoice
from xero_sync import mapping
from xero_sync.client import InvoiceResult

from .conftest import CONTACT_ID, INVOICE_ID, xero_invoice

pytestmark = pytest.mark.django_db

SPEC = settings.BASE_DIR.parent / "shared" / "specs" / "xero" / "xero_accounting.yaml"
SPEC_URI = "urn:xero:xero_accounting.yaml"


@pytest.fixture(scope="session")
def accounting_spec():
    if not SPEC.exists():
        pytest.skip(
            f"Xero's OpenAPI description is not at {SPEC} (shared/ is absent in this clone)"
        )
    yaml = pytest.importorskip("yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open() as spec:
        return yaml.load(spec, Loader=loader)


def assert_matches_schema(spec, schema_name: str, instance) -> None:
    """Valid against components.schemas[schema_name] with every $ref resolved, and no key that
    the schema does not declare (the schemas allow extra keys, so a misspelt field would pass)."""
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    from referencing.jsonschema import DRAFT4

    # OpenAPI 3.0 schema objects are a JSON Schema draft 4/5 dialect.
    resource = referencing.Resource(contents=spec, specification=DRAFT4)
    registry = referencing.Registry().with_resource(SPEC_URI, resource)
    validator = jsonschema.Draft4Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert undeclared_keys(spec, spec["components"]["schemas"][schema_name], instance) == []


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def undeclared_keys(spec, schema, instance, path="") -> list[str]:
    schema = _resolve(spec, schema)
    found = []
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key, value in instance.items():
            if key not in properties:
                found.append(f"{path}{key}")
            else:
                found += undeclared_keys(spec, properties[key], value, f"{path}{key}.")
    elif isinstance(instance, list) and "items" in schema:
        for index, value in enumerate(instance):
            found += undeclared_keys(spec, schema["items"], value, f"{path}{index}.")
    return found


def over_the_wire(payload):
    """What the client sends: JSON text parsed back."""
    return json.loads(json.dumps(payload))


def payload_of(invoice: Invoice, **kwargs):
    lines = list(invoice.lines.all())
    return mapping.invoice_payload(invoice, lines, contact={"ContactID": CONTACT_ID}, **kwargs)


# --- payload shape -----------------------------------------------------------------------


def test_sales_invoice_payload(org, nominal):
    customer = CustomerFactory(organisation=org, name="Jo Bloggs")
    invoice = xero_invoice(
        org,
        nominal,
        customer=customer,
        reference="Boiler service",
        lines=((2, "37.5", "20"), ("1.5", "10.3333", "5")),
    )

    payload = payload_of(invoice)

    assert payload == {
        "Type": "ACCREC",
        "Contact": {"ContactID": CONTACT_ID},
        "Date": "2025-03-10",
        "DueDate": "2025-04-09",
        "InvoiceNumber": invoice.number,
        "Reference": "Boiler service",
        "CurrencyCode": "GBP",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "Description": "Line 1",
                "Quantity": 2,
                "UnitAmount": 37.5,
                "AccountCode": "200",
                "TaxAmount": 15,
            },
            {
                "Description": "Line 2",
                "Quantity": 1.5,
                "UnitAmount": 10.3333,
                "AccountCode": "200",
                "TaxAmount": 0.78,  # 15.49995 → 15.50 net, 5% → 0.775 → 0.78
            },
        ],
    }


def test_bill_payload_is_accpay_without_reference(org, nominal):
    bill = xero_invoice(org, nominal, kind=Invoice.Kind.PURCHASE, reference="Their ref 991")

    payload = payload_of(bill)

    assert payload["Type"] == "ACCPAY"
    assert payload["InvoiceNumber"] == bill.number
    assert "Reference" not in payload  # ACCREC only


def test_an_update_carries_the_invoice_id(org, nominal):
    payload = payload_of(xero_invoice(org, nominal), invoice_id=INVOICE_ID)
    assert payload["InvoiceID"] == INVOICE_ID


def test_invoice_payload_is_valid_against_xeros_schema(accounting_spec, org, nominal):
    sales = xero_invoice(
        org, nominal, reference="Job 12", lines=((3, "0.3333", "20"), ("0.25", "1234.5678", "0"))
    )
    bill = xero_invoice(org, nominal, kind=Invoice.Kind.PURCHASE)

    for payload in (payload_of(sales), payload_of(bill, invoice_id=INVOICE_ID)):
        assert_matches_schema(accounting_spec, "Invoice", over_the_wire(payload))
    assert_matches_schema(
        accounting_spec, "Invoices", over_the_wire({"Invoices": [payload_of(sales)]})
    )


def test_contact_payload_is_valid_against_xeros_schema(accounting_spec, org):
    full = CustomerFactory(
        organisation=org,
        name="Jo Bloggs",
        company_name="Bloggs Heating Ltd",
        email="jo@bloggs.test",
        phone="01632 960123",
        postcode="SW1A 1AA",
    )
    bare = SupplierFactory(organisation=org, name="Acme Parts", email="")

    for party in (full, bare):
        assert_matches_schema(
            accounting_spec, "Contact", over_the_wire(mapping.contact_payload(party))
        )
    assert_matches_schema(
        accounting_spec, "Contacts", {"Contacts": [mapping.contact_payload(full)]}
    )


def test_contact_payload(org):
    customer = CustomerFactory(
        organisation=org,
        name="Jo Bloggs",
        company_name="Bloggs Heating Ltd",
        email="jo@bloggs.test",
        phone="01632 960123",
        postcode="SW1A 1AA",
    )

    assert mapping.contact_payload(customer) == {
        "Name": "Bloggs Heating Ltd",
        "ContactNumber": f"C-{customer.pk}",
        "FirstName": "Jo",
        "LastName": "Bloggs",
        "EmailAddress": "jo@bloggs.test",
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "01632 960123"}],
        "Addresses": [{"AddressType": "POBOX", "PostalCode": "SW1A 1AA"}],
    }


def test_contact_payload_omits_blank_email_phone_and_address(org):
    supplier = SupplierFactory(organisation=org, name="Acme Parts", email="  ")

    assert mapping.contact_payload(supplier) == {
        "Name": "Acme Parts",
        "ContactNumber": f"S-{supplier.pk}",
    }


# --- reason checks -----------------------------------------------------------------------


def check(invoice):
    mapping.invoice_check(invoice, list(invoice.lines.all()))


def test_a_gbp_invoice_with_mapped_codes_passes(org, nominal):
    check(xero_invoice(org, nominal))


def test_currency_other_than_gbp_is_a_currency_mismatch(org, nominal):
    with pytest.raises(ValidationFailed) as caught:
        check(xero_invoice(org, nominal, currency="EUR"))
    assert str(caught.value) == "Currency mismatch"
    assert caught.value.reason_code == "currency_mismatch"


@pytest.mark.parametrize("xero_code", [None, "", "  "])
def test_a_line_without_a_xero_account_code_is_unmapped(org, nominal, xero_code):
    unmapped = None
    if xero_code is not None:
        unmapped = NominalCodeFactory(organisation=org, xero_account_code=xero_code)
    invoice = make_invoice(
        org, finalise=True, lines=((1, "50", "20", nominal), (1, "50", "20", unmapped))
    )

    with pytest.raises(ValidationFailed) as caught:
        check(invoice)
    assert str(caught.value) == "Unmapped nominal code"
    assert caught.value.reason_code == "unmapped_nominal_code"


def test_drafts_are_not_pushed(org, nominal):
    draft = make_invoice(org, lines=((1, "10", "20", nominal),))
    with pytest.raises(ValidationFailed):
        check(draft)


def test_xeros_duplicate_name_message_is_a_contact_collision():
    documented = (
        "The contact name Buzz Lightyear is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )
    failure = mapping.contact_failure([documented])
    assert str(failure) == "Contact collision - manual mapping required"
    assert failure.reason_code == "contact_collision"

    other = mapping.contact_failure(["Email address must be valid."])
    assert other.reason_code == "contact_refused"
    assert "Email address must be valid." in str(other)


# --- fingerprint -------------------------------------------------------------------------


def test_fingerprint_is_stable_and_follows_the_content(org, nominal):
    invoice = xero_invoice(org, nominal)
    lines = list(invoice.lines.all())
    first = mapping.invoice_fingerprint(invoice, lines)

    assert first == mapping.invoice_fingerprint(Invoice.objects.get(pk=invoice.pk), lines)
    assert len(first) == 64
    invoice.due_date = invoice.due_date.replace(day=20)
    assert mapping.invoice_fingerprint(invoice, lines) != first


def test_idempotency_keys_fit_xeros_limit_and_follow_versions():
    one = mapping.batch_key("invoices-put", 1, [(10, 2), (11, 3)], [{"a": 1}])
    assert len(one) <= 128
    assert one == mapping.batch_key("invoices-put", 1, [(11, 3), (10, 2)], [{"a": 1}])
    assert one != mapping.batch_key("invoices-put", 1, [(10, 3), (11, 3)], [{"a": 1}])
    assert one != mapping.batch_key("invoices-put", 2, [(10, 2), (11, 3)], [{"a": 1}])


# --- rounding ----------------------------------------------------------------------------


def xero_line_level(lines) -> tuple[Decimal, Decimal, Decimal]:
    """Xero's documented arithmetic, written out on its own: each line is Quantity x
    UnitAmount rounded to pennies, its tax is rounded per line, and the lines are summed."""
    subtotal = tax = Decimal("0")
    for quantity, unit, rate in lines:
        net = (Decimal(str(quantity)) * Decimal(str(unit))).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        subtotal += net
        tax += (net * Decimal(str(rate)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return subtotal, tax, subtotal + tax


TRICKY = {
    "thirds": ((3, "0.3333", "20"),),
    "half penny up": ((1, "0.125", "20"), (1, "0.135", "20")),
    "tax half pennies on every line": ((1, "0.025", "20"), (1, "0.025", "20"), (1, "0.025", "20")),
    "four-place unit price": ((7, "14.2857", "20"), ("2.5", "1.1111", "5")),
    "fractional quantity": (("0.3333", "99.99", "20"), ("1.5", "0.01", "20")),
    "zero-rated and standard": ((1, "19.99", "0"), (3, "6.6667", "20")),
}


@pytest.mark.parametrize("lines", TRICKY.values(), ids=TRICKY.keys())
def test_our_totals_equal_xeros_line_level_rounding(org, nominal, lines):
    invoice = xero_invoice(org, nominal, lines=lines)

    subtotal, tax, total = xero_line_level(lines)

    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (subtotal, tax, total)
    # And what we send adds up to the same in Xero: its own line amounts plus our TaxAmounts.
    assert mapping.xero_totals(payload_of(invoice)) == (subtotal, tax, total)


def test_line_level_rounding_differs_from_taxing_the_total(org, nominal):
    """Why TaxAmount goes per line: three 0.5p taxes round up to 3p; taxing the 7.5p total
    would give 2p."""
    invoice = xero_invoice(org, nominal, lines=TRICKY["tax half pennies on every line"])
    assert invoice.tax_total == Decimal("0.03")
    assert (invoice.subtotal * Decimal("0.2")).quantize(Decimal("0.01")) == Decimal("0.02")


def result(total: str, tax: str) -> InvoiceResult:
    return InvoiceResult(
        invoice_id=INVOICE_ID,
        invoice_number="INV-0001",
        type="ACCREC",
        status="AUTHORISED",
        contact_id=CONTACT_ID,
        subtotal=Decimal(total) - Decimal(tax),
        total_tax=Decimal(tax),
        total=Decimal(total),
    )


def test_push_details_keep_xeros_totals_and_flag_a_mismatch(org, nominal):
    invoice = xero_invoice(org, nominal)  # 100.00 + 20.00

    same = mapping.push_details(invoice, result("120.00", "20.00"))
    differs = mapping.push_details(invoice, result("120.01", "20.01"))

    assert same["total_mismatch"] is False
    assert same["xero_total"] == "120.00"
    assert same["xero_total_tax"] == "20.00"
    assert differs["total_mismatch"] is True
    assert differs["xero_total"] == "120.01"


def test_the_schema_check_catches_wrong_payloads(accounting_spec, org, nominal):
    """The check above has teeth: a wrong enum, a number sent as text and a misspelt key fail."""
    good = over_the_wire(payload_of(xero_invoice(org, nominal)))
    wrong_type = {**good, "Type": "INVOICE"}
    text_quantity = {**good, "LineItems": [{**good["LineItems"][0], "Quantity": "1"}]}
    misspelt = {**good, "LineItem": good["LineItems"]}
    for payload in (wrong_type, text_quantity, misspelt):
        with pytest.raises(AssertionError):
            assert_matches_schema(accounting_spec, "Invoice", payload)
