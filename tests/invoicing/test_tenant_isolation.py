"""Another organisation's data does not exist for you: 404s, lists and form choices."""

import pytest
from django.urls import reverse

from invoicing.models import Customer, Invoice, NominalCode, Payment, Supplier

from ..factories import WorkOrderFactory, payment_method
from ..helpers import build_world, invoice_post, payment_post, text


@pytest.fixture
def mine(org):
    return build_world(org, tag="Alpha")


@pytest.fixture
def theirs(other_org):
    return build_world(other_org, tag="Bravo")


def snapshot():
    return {
        "invoices": sorted(
            Invoice.objects.values_list("pk", "status", "version", "customer_id", "reference")
        ),
        "payments": sorted(Payment.objects.values_list("pk", "deleted_at")),
        "customers": sorted(Customer.objects.values_list("pk", "name", "organisation_id")),
        "suppliers": sorted(Supplier.objects.values_list("pk", "name", "organisation_id")),
        "codes": sorted(NominalCode.objects.values_list("pk", "code", "organisation_id")),
    }


# (URL name, method, args from the other organisation's world, POST data)
OTHER_ORG_OBJECTS = [
    ("invoicing:invoice_detail", "get", lambda w: [w.unpaid.pk], {}),
    ("invoicing:invoice_detail", "get", lambda w: [w.bill.pk], {}),
    ("invoicing:invoice_edit", "get", lambda w: [w.draft.pk], {}),
    ("invoicing:invoice_edit", "post", lambda w: [w.draft.pk], "invoice"),
    ("invoicing:invoice_finalise", "post", lambda w: [w.draft.pk], {}),
    ("invoicing:invoice_void", "get", lambda w: [w.unpaid.pk], {}),
    ("invoicing:invoice_void", "post", lambda w: [w.unpaid.pk], {"reason": "x"}),
    ("invoicing:invoice_discard", "post", lambda w: [w.draft.pk], {}),
    ("invoicing:payment_new", "get", lambda w: [w.part_paid.pk], {}),
    ("invoicing:payment_new", "post", lambda w: [w.part_paid.pk], "payment"),
    ("invoicing:payment_delete", "post", lambda w: [w.part_paid.pk, w.payment.pk], {"reason": "x"}),
    ("invoicing:customer_edit", "get", lambda w: [w.customer.pk], {}),
    ("invoicing:customer_edit", "post", lambda w: [w.customer.pk], {"name": "Stolen"}),
    ("invoicing:supplier_edit", "get", lambda w: [w.supplier.pk], {}),
    ("invoicing:supplier_edit", "post", lambda w: [w.supplier.pk], {"name": "Stolen"}),
    ("settings_nominal_code_edit", "get", lambda w: [w.code.pk], {}),
    (
        "settings_nominal_code_edit",
        "post",
        lambda w: [w.code.pk],
        {"code": "1", "name": "Stolen", "xero_account_code": ""},
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "args", "data"),
    OTHER_ORG_OBJECTS,
    ids=[f"{m.upper()} {n}" for n, m, _, _ in OTHER_ORG_OBJECTS],
)
def test_another_organisations_object_is_not_found(
    owner_client, mine, theirs, name, method, args, data
):
    if data == "invoice":
        data = invoice_post(mine.customer)
    elif data == "payment":
        data = payment_post(mine.part_paid)
    before = snapshot()

    response = getattr(owner_client, method)(reverse(name, args=args(theirs)), data)

    assert response.status_code == 404
    assert snapshot() == before


def test_my_invoice_with_their_payment_id_is_not_found(owner_client, mine, theirs):
    url = reverse("invoicing:payment_delete", args=[mine.part_paid.pk, theirs.payment.pk])

    response = owner_client.post(url, {"reason": "x"})

    assert response.status_code == 404
    assert Payment.objects.get(pk=theirs.payment.pk).deleted_at is None


def test_my_invoice_with_my_other_invoices_payment_id_is_not_found(owner_client, org, mine):
    """A payment is reached only through its own invoice."""
    url = reverse("invoicing:payment_delete", args=[mine.unpaid.pk, mine.payment.pk])

    response = owner_client.post(url, {"reason": "x"})

    assert response.status_code == 404
    assert Payment.objects.get(pk=mine.payment.pk).deleted_at is None


@pytest.mark.parametrize(
    ("list_name", "mine_text", "their_text"),
    [
        ("invoicing:sales_list", "Customer Alpha", "Customer Bravo"),
        ("invoicing:purchase_list", "Supplier Alpha", "Supplier Bravo"),
        ("invoicing:customer_list", "Customer Alpha", "Customer Bravo"),
        ("invoicing:supplier_list", "Supplier Alpha", "Supplier Bravo"),
        ("settings_nominal_codes", "Nominal Alpha", "Nominal Bravo"),
    ],
)
def test_lists_show_only_my_organisations_rows(
    owner_client, mine, theirs, list_name, mine_text, their_text
):
    page = text(owner_client.get(reverse(list_name)))

    assert mine_text in page
    assert their_text not in page


def test_invoice_list_search_does_not_reach_other_organisations(owner_client, mine, theirs):
    page = text(owner_client.get(reverse("invoicing:sales_list"), {"q": "Bravo"}))

    assert "Customer Bravo" not in page
    assert "No invoices match." in page


def test_invoice_numbers_from_other_organisations_are_not_listed(owner_client, mine, theirs):
    """Both organisations have INV-0001; only mine links from my list."""
    page = text(owner_client.get(reverse("invoicing:sales_list")))

    assert reverse("invoicing:invoice_detail", args=[mine.draft.pk]) in page
    assert reverse("invoicing:invoice_detail", args=[theirs.draft.pk]) not in page


# Choice fields refuse the other organisation's objects


def assert_refused(response, field_error_text="Select a valid choice."):
    assert response.status_code == 400
    assert field_error_text in text(response)


def test_create_refuses_their_customer(owner_client, mine, theirs):
    before = Invoice.objects.count()

    response = owner_client.post(reverse("invoicing:sales_new"), invoice_post(theirs.customer))

    assert_refused(response)
    assert Invoice.objects.count() == before


def test_create_purchase_refuses_their_supplier(owner_client, mine, theirs):
    before = Invoice.objects.count()

    response = owner_client.post(reverse("invoicing:purchase_new"), invoice_post(theirs.supplier))

    assert_refused(response)
    assert Invoice.objects.count() == before


def test_create_refuses_their_work_order(owner_client, org, other_org, mine):
    their_order = WorkOrderFactory(organisation=other_org)
    before = Invoice.objects.count()

    response = owner_client.post(
        reverse("invoicing:sales_new"), invoice_post(mine.customer, work_order=their_order.pk)
    )

    assert_refused(response)
    assert Invoice.objects.count() == before


def test_create_refuses_their_nominal_code(owner_client, mine, theirs):
    before = Invoice.objects.count()
    line = {
        "description": "Labour",
        "quantity": "1",
        "unit_price": "100",
        "tax_rate": "20",
        "nominal_code": theirs.code.pk,
    }

    response = owner_client.post(
        reverse("invoicing:sales_new"), invoice_post(mine.customer, lines=[line])
    )

    assert_refused(response)
    assert Invoice.objects.count() == before


def test_edit_refuses_their_customer(owner_client, mine, theirs):
    response = owner_client.post(
        reverse("invoicing:invoice_edit", args=[mine.draft.pk]), invoice_post(theirs.customer)
    )

    assert_refused(response)
    mine.draft.refresh_from_db()
    assert mine.draft.customer == mine.customer
    assert mine.draft.version == 1


def test_payment_refuses_their_payment_method(owner_client, mine, other_org):
    before = Payment.objects.count()
    data = payment_post(mine.part_paid, method=payment_method(other_org).pk)

    response = owner_client.post(reverse("invoicing:payment_new", args=[mine.part_paid.pk]), data)

    assert_refused(response)
    assert Payment.objects.count() == before


def test_payment_refuses_the_system_xero_sync_method(owner_client, org, mine):
    """Xero Sync payments come from Xero; nobody records one by hand."""
    before = Payment.objects.count()
    data = payment_post(mine.part_paid, method=payment_method(org, "Xero Sync").pk)

    response = owner_client.post(reverse("invoicing:payment_new", args=[mine.part_paid.pk]), data)

    assert_refused(response)
    assert Payment.objects.count() == before


def test_form_choices_offer_only_my_organisations_objects(owner_client, org, other_org, mine):
    WorkOrderFactory(organisation=org, title="Alpha job")
    WorkOrderFactory(organisation=other_org, title="Bravo job")
    build_world(other_org, tag="Bravo")

    page = text(owner_client.get(reverse("invoicing:sales_new")))
    payment_page = text(
        owner_client.get(reverse("invoicing:payment_new", args=[mine.part_paid.pk]))
    )

    assert "Customer Alpha" in page
    assert "Alpha job" in page
    assert "Nominal Alpha" in page
    assert "Bravo" not in page
    their_method = payment_method(other_org)
    assert f'value="{payment_method(org).pk}"' in payment_page
    assert f'value="{their_method.pk}"' not in payment_page
