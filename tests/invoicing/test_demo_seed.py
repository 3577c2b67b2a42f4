"""`manage.py seed_demo`: the demo data `make run` relies on, and a second run changes nothing."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Organisation
from integrations.models import AccountCode
from invoicing.demo import DEMO_ORGANISATION
from invoicing.models import Customer, Invoice, NominalCode, WorkOrder

from ..helpers import visible_text

pytestmark = pytest.mark.django_db

PASSWORD = "torqueflow-demo"


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def every_row() -> dict[str, list[dict]]:
    """Every field of every row of every accounts, invoicing, CRM, scheduling and user table."""
    models = [
        *apps.get_app_config("accounts").get_models(),
        *apps.get_app_config("invoicing").get_models(),
        *apps.get_app_config("crm").get_models(),
        *apps.get_app_config("scheduling").get_models(),
        get_user_model(),
    ]
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}


@pytest.fixture
def demo(settings):
    # The real hasher is slow on purpose; a fast one keeps these tests quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed()
    return Organisation.objects.get(name=DEMO_ORGANISATION)


def test_a_second_run_changes_nothing(demo):
    first = every_row()

    output = seed()

    assert every_row() == first
    assert "Demo organisation ready" in output
    # and the snapshot is not trivially empty
    assert len(first["invoicing.Invoice"]) == 9
    assert len(first["auth.User"]) == 3
    assert all(row["password"].startswith("md5$") for row in first["auth.User"])


def test_the_snapshot_would_notice_a_change(demo):
    """Guards the test above: a changed field shows up in every_row()."""
    before = every_row()
    Invoice.objects.filter(status=Invoice.Status.DRAFT).update(reference="changed")

    assert every_row() != before


def test_a_second_run_after_changes_leaves_them_alone(demo):
    """Seeding finds what exists; it does not reset edited demo data."""
    customer = Customer.objects.filter(organisation=demo).order_by("pk").first()
    customer.phone = "01234 567890"
    customer.save()
    before = every_row()

    seed()

    assert every_row() == before


@pytest.mark.parametrize(
    ("email", "role"), [("owner@demo.test", "Owner"), ("staff@demo.test", "Staff")]
)
def test_demo_people_log_in_with_the_demo_password(demo, email, role):
    client = Client()

    response = client.post(reverse("accounts:login"), {"username": email, "password": PASSWORD})

    assert response.status_code == 302
    page = visible_text(client.get(response.url))
    assert DEMO_ORGANISATION in page
    assert f"· {role}" in page
    assert Membership.objects.get(user__email=email, organisation=demo).role.name == role


def test_the_demo_has_the_people_and_roles(demo):
    roles = dict(
        Membership.objects.filter(organisation=demo).values_list("user__email", "role__key")
    )

    assert roles["owner@demo.test"] == "owner"
    assert roles["staff@demo.test"] == "staff"


def test_the_demo_has_two_customers_with_the_same_name(demo):
    names = list(Customer.objects.for_org(demo).values_list("name", flat=True))

    assert any(names.count(name) == 2 for name in names)


def test_the_demo_has_a_nominal_code_without_a_xero_account(demo):
    codes = NominalCode.objects.for_org(demo)
    mapped = AccountCode.objects.filter(organisation=demo, provider="xero")
    assert codes.exclude(pk__in=mapped.values("nominal_code")).exists()
    assert codes.filter(pk__in=mapped.values("nominal_code")).exists()


def test_the_demo_has_draft_and_finalised_invoices_in_gbp_and_one_in_eur(demo):
    invoices = Invoice.objects.for_org(demo).filter(kind=Invoice.Kind.SALES)

    gbp = invoices.filter(currency="GBP")
    assert gbp.filter(status=Invoice.Status.DRAFT).exists()
    assert gbp.exclude(status=Invoice.Status.DRAFT).exists()
    assert invoices.filter(currency="EUR").count() == 1
    assert Invoice.objects.for_org(demo).filter(kind=Invoice.Kind.PURCHASE).exists()
    assert all(invoice.total > 0 for invoice in invoices)


def test_the_demo_has_a_work_order_with_its_invoice(demo):
    order = WorkOrder.objects.for_org(demo).get()

    assert order.invoices.exclude(status=Invoice.Status.VOID).count() == 1


def test_demo_invoice_numbers_are_in_sequence(demo):
    sales = sorted(
        Invoice.objects.for_org(demo).filter(kind="sales").values_list("number", flat=True)
    )
    bills = sorted(
        Invoice.objects.for_org(demo).filter(kind="purchase").values_list("number", flat=True)
    )

    assert sales == [f"INV-{n:04d}" for n in range(1, len(sales) + 1)]
    assert bills == [f"BILL-{n:04d}" for n in range(1, len(bills) + 1)]


def test_the_demo_pages_open(demo):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "owner@demo.test", "password": PASSWORD})

    for name in ("invoicing:sales_list", "invoicing:purchase_list", "settings_nominal_codes"):
        assert client.get(reverse(name)).status_code == 200
    for invoice in Invoice.objects.for_org(demo):
        assert client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).status_code == 200
