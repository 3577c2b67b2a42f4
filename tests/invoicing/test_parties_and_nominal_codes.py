"""Customers, suppliers and nominal codes: create, edit, validation, and the lists."""

import pytest
from django.urls import reverse

from integrations.models import AccountCode, Connection
from invoicing.models import AuditLog, Customer, NominalCode, Supplier

from ..factories import CustomerFactory, NominalCodeFactory, SupplierFactory
from ..helpers import messages_of, text, visible_text

pytestmark = pytest.mark.django_db

PARTIES = [
    ("customer", Customer, CustomerFactory),
    ("supplier", Supplier, SupplierFactory),
]


@pytest.mark.parametrize(("party", "model", "factory"), PARTIES)
def test_create_a_party(owner_client, org, owner, party, model, factory):
    response = owner_client.post(
        reverse(f"invoicing:{party}_new"),
        {
            "name": "Jane Smith",
            "company_name": "Smith Lettings",
            "email": "jane@smith.example",
            "phone": "020 7946 0018",
            "postcode": "E1 6AN",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse(f"invoicing:{party}_list")
    created = model.objects.get()
    assert (created.organisation, created.name, created.company_name) == (
        org,
        "Jane Smith",
        "Smith Lettings",
    )
    assert AuditLog.objects.get(action=f"{party}.created").actor == owner
    listing = owner_client.get(response.url)
    assert "Jane Smith saved." in text(listing)
    assert "Smith Lettings" in text(listing)


@pytest.mark.parametrize(("party", "model", "factory"), PARTIES)
def test_edit_a_party(owner_client, org, party, model, factory):
    existing = factory(organisation=org, name="Old name", email="old@example.test")

    response = owner_client.post(
        reverse(f"invoicing:{party}_edit", args=[existing.pk]),
        {"name": "New name", "email": "new@example.test"},
    )

    assert response.status_code == 302
    existing.refresh_from_db()
    assert (existing.name, existing.email, existing.organisation) == (
        "New name",
        "new@example.test",
        org,
    )
    entry = AuditLog.objects.get(action=f"{party}.updated")
    assert set(entry.details["changed"]) >= {"name", "email"}


@pytest.mark.parametrize(("party", "model", "factory"), PARTIES)
def test_the_edit_form_shows_the_party(owner_client, org, party, model, factory):
    existing = factory(organisation=org, name="Riverside Café")

    page = text(owner_client.get(reverse(f"invoicing:{party}_edit", args=[existing.pk])))

    assert 'value="Riverside Café"' in page


@pytest.mark.parametrize(("party", "model", "factory"), PARTIES)
@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "A", "email": "not-an-email"}, "Enter a valid email address."),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"name": "A", "postcode": "x" * 17}, "at most 16 characters"),
    ],
    ids=["blank", "spaces", "bad email", "long name", "long postcode"],
)
def test_party_validation(owner_client, org, party, model, factory, data, error):
    response = owner_client.post(reverse(f"invoicing:{party}_new"), data)

    assert response.status_code == 400
    assert error in text(response)
    assert not model.objects.exists()


def test_a_bad_edit_changes_nothing(owner_client, org):
    customer = CustomerFactory(organisation=org, name="Keep", email="keep@example.test")

    response = owner_client.post(
        reverse("invoicing:customer_edit", args=[customer.pk]), {"name": "", "email": "x"}
    )

    assert response.status_code == 400
    customer.refresh_from_db()
    assert (customer.name, customer.email) == ("Keep", "keep@example.test")


def test_customers_with_the_same_name_are_allowed(owner_client, org):
    CustomerFactory(organisation=org, name="Jane Smith")

    response = owner_client.post(reverse("invoicing:customer_new"), {"name": "Jane Smith"})

    assert response.status_code == 302
    assert Customer.objects.filter(name="Jane Smith").count() == 2


def test_party_search(owner_client, org):
    CustomerFactory(organisation=org, name="Jane Smith", email="jane@example.test")
    CustomerFactory(organisation=org, name="Tom Baker", company_name="Baker Plumbing")

    by_company = visible_text(
        owner_client.get(reverse("invoicing:customer_list"), {"q": "baker p"})
    )
    by_email = visible_text(owner_client.get(reverse("invoicing:customer_list"), {"q": "JANE@"}))

    assert "Tom Baker" in by_company and "Jane Smith" not in by_company
    assert "Jane Smith" in by_email and "Tom Baker" not in by_email


def test_an_empty_list_says_so(owner_client):
    assert "No suppliers yet." in text(owner_client.get(reverse("invoicing:supplier_list")))


def test_accountant_sees_no_edit_links(accountant_client, org):
    customer = CustomerFactory(organisation=org)

    page = text(accountant_client.get(reverse("invoicing:customer_list")))

    assert customer.name in page
    assert reverse("invoicing:customer_edit", args=[customer.pk]) not in page
    assert "New customer" not in page


# Nominal codes

CODES = reverse("settings_nominal_codes")
NEW_CODE = reverse("settings_nominal_code_new")


def edit_code_url(code):
    return reverse("settings_nominal_code_edit", args=[code.pk])


@pytest.fixture
def xero_connected(org):
    """An active Xero connection: its account code column is shown."""
    return Connection.objects.create(organisation=org, provider="xero", state="active")


def xero_code(code: NominalCode) -> str | None:
    found = AccountCode.objects.filter(nominal_code=code, provider="xero").first()
    return found.code if found else None


def test_without_an_accounting_connection_there_is_no_account_code_column(owner_client, org):
    NominalCodeFactory(organisation=org, code="4000", name="Sales - Labour")

    page = visible_text(owner_client.get(CODES))
    form = text(owner_client.get(NEW_CODE))

    assert "4000 Sales - Labour Edit" in page
    assert "Xero account code" not in page
    assert "Not mapped" not in page
    assert "Xero account code" not in form


def test_the_list_shows_codes_in_order_and_flags_unmapped_ones(owner_client, org, xero_connected):
    NominalCodeFactory(organisation=org, code="4020", name="Call-out fees", xero_account_code="")
    NominalCodeFactory(
        organisation=org, code="4000", name="Sales - Labour", xero_account_code="200"
    )

    page = visible_text(owner_client.get(CODES))

    assert "4000 Sales - Labour 200 Edit 4020 Call-out fees Not mapped Edit" in page
    assert page.count("Not mapped") == 1


def test_an_empty_code_list_says_so(owner_client):
    assert "No nominal codes yet." in text(owner_client.get(CODES))


def test_create_a_nominal_code(owner_client, org, owner, xero_connected):
    response = owner_client.post(
        NEW_CODE, {"code": " 4000 ", "name": "Sales - Labour", "xero_account_code": " 200 "}
    )

    assert response.status_code == 302
    assert response.url == CODES
    code = NominalCode.objects.get()
    assert (code.organisation, code.code, xero_code(code)) == (org, "4000", "200")
    assert AuditLog.objects.get(action="nominal_code.created").actor == owner
    assert "Nominal code 4000 saved." in text(owner_client.get(CODES))


def test_edit_a_nominal_code_mapping(owner_client, org, xero_connected):
    code = NominalCodeFactory(organisation=org, code="4020", xero_account_code="")

    response = owner_client.post(
        edit_code_url(code), {"code": "4020", "name": "Call-out fees", "xero_account_code": "260"}
    )

    assert response.status_code == 302
    code.refresh_from_db()
    assert (code.name, xero_code(code)) == ("Call-out fees", "260")
    entry = AuditLog.objects.get(action="nominal_code.updated")
    assert entry.details["account_codes"] == {"xero": "260"}
    assert "Not mapped" not in text(owner_client.get(CODES))


def test_clearing_the_account_code_unmaps_it(owner_client, org, xero_connected):
    code = NominalCodeFactory(organisation=org, code="4020", xero_account_code="260")
    form = text(owner_client.get(edit_code_url(code)))
    assert 'value="260"' in form

    owner_client.post(
        edit_code_url(code), {"code": "4020", "name": "Call-out fees", "xero_account_code": " "}
    )

    assert xero_code(code) is None
    assert "Not mapped" in text(owner_client.get(CODES))


def test_another_organisations_codes_are_neither_shown_nor_changed(
    owner_client, org, other_org, xero_connected
):
    theirs = NominalCodeFactory(organisation=other_org, code="4000", xero_account_code="999")
    NominalCodeFactory(organisation=org, code="4000", xero_account_code="200")

    page = visible_text(owner_client.get(CODES))
    response = owner_client.post(
        edit_code_url(theirs), {"code": "4000", "name": "Stolen", "xero_account_code": "1"}
    )

    assert "999" not in page
    assert response.status_code == 404
    assert xero_code(theirs) == "999"


def test_a_duplicate_code_in_the_same_organisation_is_refused_inline(owner_client, org):
    NominalCodeFactory(organisation=org, code="4000")

    response = owner_client.post(NEW_CODE, {"code": "4000 ", "name": "Again"})

    assert response.status_code == 400
    assert "Another nominal code already uses this code." in text(response)
    assert NominalCode.objects.filter(organisation=org).count() == 1


def test_editing_a_code_onto_another_codes_number_is_refused(owner_client, org):
    NominalCodeFactory(organisation=org, code="4000")
    other = NominalCodeFactory(organisation=org, code="4010")

    response = owner_client.post(edit_code_url(other), {"code": "4000", "name": "Clash"})

    assert response.status_code == 400
    assert "Another nominal code already uses this code." in text(response)
    other.refresh_from_db()
    assert other.code == "4010"


def test_saving_a_code_unchanged_is_not_a_duplicate_of_itself(owner_client, org):
    code = NominalCodeFactory(organisation=org, code="4000", name="Old")

    response = owner_client.post(edit_code_url(code), {"code": "4000", "name": "New"})

    assert response.status_code == 302
    code.refresh_from_db()
    assert code.name == "New"


def test_the_same_code_in_another_organisation_is_allowed(owner_client, org, other_org):
    NominalCodeFactory(organisation=other_org, code="4000")

    response = owner_client.post(NEW_CODE, {"code": "4000", "name": "Sales"})

    assert response.status_code == 302
    assert NominalCode.objects.filter(code="4000").count() == 2


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"code": "", "name": "Sales"}, "This field is required."),
        ({"code": "4000", "name": ""}, "This field is required."),
        ({"code": "x" * 21, "name": "Sales"}, "at most 20 characters"),
        ({"code": "4000", "name": "Sales", "xero_account_code": "x" * 11}, "at most 10"),
    ],
    ids=["no code", "no name", "long code", "long xero code"],
)
def test_nominal_code_validation(owner_client, org, data, error, xero_connected):
    response = owner_client.post(NEW_CODE, data)

    assert response.status_code == 400
    assert error in text(response)
    assert not NominalCode.objects.exists()


def test_staff_are_sent_back_to_settings_with_a_message(staff_client, org):
    response = staff_client.post(NEW_CODE, {"code": "4000", "name": "Sales"})

    assert response.url == reverse("settings_index")
    assert messages_of(response) == ["You do not have permission to manage finance settings"]
    assert not NominalCode.objects.exists()
