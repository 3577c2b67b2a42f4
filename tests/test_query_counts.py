"""Pages run the same number of queries however many rows they show (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing.models import Invoice, PaymentMethod

from .factories import (
    CustomerFactory,
    NominalCodeFactory,
    SupplierFactory,
    UserFactory,
    make_invoice,
    make_payment,
)

pytestmark = pytest.mark.django_db


def queries_for(client, url) -> list[str]:
    client.get(url)  # warm up: session, sequences, anything read once per process
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def add_sales_invoices(org, count):
    for _ in range(count):
        # a different customer each time, so a per-row customer query would show
        make_invoice(org, customer=CustomerFactory(organisation=org), finalise=True)


def test_invoice_list_queries_do_not_grow_with_rows(owner_client, org):
    url = reverse("invoicing:sales_list")
    add_sales_invoices(org, 5)
    with_5 = queries_for(owner_client, url)

    add_sales_invoices(org, 25)
    with_30 = queries_for(owner_client, url)

    assert Invoice.objects.count() == 30
    assert len(with_30) == len(with_5), "\n".join(with_30)


def test_purchase_list_queries_do_not_grow_with_rows(owner_client, org):
    url = reverse("invoicing:purchase_list")

    def add(count):
        for _ in range(count):
            make_invoice(org, kind="purchase", supplier=SupplierFactory(organisation=org))

    add(5)
    with_5 = queries_for(owner_client, url)
    add(25)
    with_30 = queries_for(owner_client, url)

    assert len(with_30) == len(with_5), "\n".join(with_30)


def detail_with(org, count, tag):
    """A finalised invoice with `count` lines (each its own nominal code) and `count`
    payments (each its own method and recorder)."""
    lines = [(1, "100", "20", NominalCodeFactory(organisation=org)) for _ in range(count)]
    invoice = make_invoice(org, lines=lines, finalise=True)
    for n in range(count):
        method = PaymentMethod.objects.create(organisation=org, name=f"Method {tag}{n}")
        make_payment(invoice, "1.00", method=method, actor=UserFactory())
    return invoice


def test_invoice_detail_queries_do_not_grow_with_lines_and_payments(owner_client, org):
    small = detail_with(org, 1, "a")
    large = detail_with(org, 10, "b")
    assert large.lines.count() == 10
    assert large.payments.count() == 10

    with_1 = queries_for(owner_client, reverse("invoicing:invoice_detail", args=[small.pk]))
    with_10 = queries_for(owner_client, reverse("invoicing:invoice_detail", args=[large.pk]))

    assert len(with_10) == len(with_1), "\n".join(with_10)


def test_customer_list_queries_do_not_grow_with_rows(owner_client, org):
    url = reverse("invoicing:customer_list")
    for _ in range(5):
        CustomerFactory(organisation=org)
    with_5 = queries_for(owner_client, url)
    for _ in range(25):
        CustomerFactory(organisation=org)
    with_30 = queries_for(owner_client, url)

    assert len(with_30) == len(with_5)


def test_invoice_list_with_xero_badges_queries_do_not_grow_with_rows(owner_client, org):
    """Each row's green Xero badge says on hover that payments recorded here are not sent
    (the toggle is off): read from the connection already loaded, not once per row."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from integrations.models import Connection, SyncRecord

    xero = Connection.objects.create(
        organisation=org, provider="xero", state=Connection.State.ACTIVE, remote_account_id="t"
    )

    def add_synced(count):
        add_sales_invoices(org, count)
        for invoice in Invoice.objects.filter(organisation=org):
            SyncRecord.objects.get_or_create(
                organisation=org,
                connection=xero,
                object_type=ContentType.objects.get_for_model(Invoice),
                object_id=invoice.pk,
                defaults={
                    "state": SyncRecord.State.SYNCED,
                    "external_id": f"x-{invoice.pk}",
                    "last_synced_at": timezone.now(),
                },
            )

    url = reverse("invoicing:sales_list")
    add_synced(5)
    with_5 = queries_for(owner_client, url)
    add_synced(25)
    response = owner_client.get(url)
    with_30 = queries_for(owner_client, url)

    assert "Payments recorded in Torqueflow are not sent to Xero." in response.content.decode()
    assert len(with_30) == len(with_5), "\n".join(with_30)
