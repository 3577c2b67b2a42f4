"""The invoice, purchase, customer and supplier lists: sorting, filter chips, search that
finds amounts, CSV export of what is filtered, and the actions on ticked invoices."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from integrations.models import Connection, SyncRecord
from invoicing.models import Invoice
from tests.conftest import client_for, make_member
from tests.factories import CustomerFactory, make_invoice, make_payment
from xero_sync.provider import SYNC_CAPABILITY as XERO_SYNC

from ..helpers import messages_of, text

pytestmark = pytest.mark.django_db

SALES_LIST = reverse("invoicing:sales_list")
SALES_EXPORT = reverse("invoicing:sales_export")
SALES_BULK = reverse("invoicing:sales_bulk")
TODAY = datetime.date.today()


def rows_in(response) -> list[str]:
    return re.findall(r">((?:INV|BILL)-\d{4})</a>", text(response))


def csv_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def three(org):
    """INV-0001 Zed, £1,140.00, overdue; INV-0002 Amy, £120.00 paid; INV-0003 Bo, £60.00
    unpaid, due in 30 days."""
    zed = make_invoice(
        org,
        customer=CustomerFactory(organisation=org, name="Zed Ltd"),
        lines=((1, "950.00", "20"),),
        finalise=True,
    )
    amy = make_invoice(
        org,
        customer=CustomerFactory(organisation=org, name="Amy Co"),
        issue_date=TODAY - datetime.timedelta(days=3),
        finalise=True,
    )
    make_payment(amy, "120.00")
    bo = make_invoice(
        org,
        customer=CustomerFactory(organisation=org, name="Bo Plumbing"),
        lines=((1, "50.00", "20"),),
        issue_date=TODAY,
        finalise=True,
    )
    return zed, amy, bo


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("number", ["INV-0001", "INV-0002", "INV-0003"]),
        ("-number", ["INV-0003", "INV-0002", "INV-0001"]),
        ("party", ["INV-0002", "INV-0003", "INV-0001"]),
        ("-party", ["INV-0001", "INV-0003", "INV-0002"]),
        ("issued", ["INV-0001", "INV-0002", "INV-0003"]),
        ("-due", ["INV-0003", "INV-0002", "INV-0001"]),
        ("total", ["INV-0003", "INV-0002", "INV-0001"]),
        ("-total", ["INV-0001", "INV-0002", "INV-0003"]),
        ("paid", ["INV-0001", "INV-0003", "INV-0002"]),
        ("status", ["INV-0002", "INV-0001", "INV-0003"]),
    ],
)
def test_the_list_sorts_by_each_column(owner_client, three, sort, expected):
    assert rows_in(owner_client.get(SALES_LIST, {"sort": sort})) == expected


@pytest.mark.parametrize("sort", ["", "bogus", "-", "customer__email", "-pk;drop"])
def test_a_sort_we_do_not_offer_is_ignored(owner_client, three, sort):
    response = owner_client.get(SALES_LIST, {"sort": sort})
    assert response.status_code == 200
    assert rows_in(response) == ["INV-0003", "INV-0002", "INV-0001"]  # newest first


def test_the_sorted_header_says_so_and_links_to_the_other_direction(owner_client, three):
    page = text(owner_client.get(SALES_LIST, {"sort": "total", "status": "unpaid"}))
    assert re.search(
        r'<th class="num" aria-sort="ascending"><a class="sort-link" href="\?'
        r'status=unpaid&amp;sort=-total">Total',
        page,
    )
    assert page.count("aria-sort=") == 1


def test_ties_keep_a_stable_order(owner_client, org):
    for _ in range(3):
        make_invoice(org, finalise=True)  # same date, same total
    assert rows_in(owner_client.get(SALES_LIST, {"sort": "total"})) == [
        "INV-0001",
        "INV-0002",
        "INV-0003",
    ]
    assert rows_in(owner_client.get(SALES_LIST, {"sort": "-total"})) == [
        "INV-0003",
        "INV-0002",
        "INV-0001",
    ]


def test_overdue_chip_and_rows_marked(owner_client, three):
    response = owner_client.get(SALES_LIST, {"overdue": "on"})
    assert rows_in(response) == ["INV-0001"]
    page = text(response)
    assert '<tr class="overdue">' in page
    assert 'aria-current="true" title="Remove this filter">Overdue' in page
    full = text(owner_client.get(SALES_LIST))
    assert full.count('<tr class="overdue">') == 1


def test_status_and_date_range_filters(owner_client, three):
    assert rows_in(owner_client.get(SALES_LIST, {"status": "paid"})) == ["INV-0002"]
    since = (TODAY - datetime.timedelta(days=5)).isoformat()
    assert rows_in(owner_client.get(SALES_LIST, {"date_from": since})) == [
        "INV-0003",
        "INV-0002",
    ]
    assert rows_in(owner_client.get(SALES_LIST, {"date_to": since})) == ["INV-0001"]


def test_bad_filter_values_are_ignored_not_an_error(owner_client, three):
    response = owner_client.get(
        SALES_LIST, {"date_from": "yesterday", "status": "nope", "sync": "nobody:x"}
    )
    assert response.status_code == 200
    assert len(rows_in(response)) == 3


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("1140", ["INV-0001"]),
        ("1,140.00", ["INV-0001"]),
        ("£1,140", ["INV-0001"]),
        ("120", ["INV-0002"]),  # the total, and the amount paid
        ("60.00", ["INV-0003"]),
        ("0003", ["INV-0003"]),
        ("plumb", ["INV-0003"]),
    ],
)
def test_search_finds_amounts_numbers_and_names(owner_client, three, q, expected):
    assert rows_in(owner_client.get(SALES_LIST, {"q": q})) == expected


def test_sync_state_chips_filter_by_each_connected_provider(owner_client, org, three):
    zed, amy, _bo = three
    xero = Connection.objects.create(organisation=org, provider="xero", state="active")
    invoice_type = ContentType.objects.get_for_model(Invoice)
    for invoice, state in ((zed, "failed"), (amy, "synced")):
        SyncRecord.objects.create(
            organisation=org,
            connection=xero,
            object_type=invoice_type,
            object_id=invoice.pk,
            state=state,
        )

    page = text(owner_client.get(SALES_LIST))
    assert ">Xero: Sync failed</a>" in page and ">Xero: Pending</a>" in page
    assert rows_in(owner_client.get(SALES_LIST, {"sync": "xero:failed"})) == ["INV-0001"]
    assert rows_in(owner_client.get(SALES_LIST, {"sync": "xero:synced"})) == ["INV-0002"]
    assert rows_in(owner_client.get(SALES_LIST, {"sync": "xero:pending"})) == []


def test_export_is_every_filtered_invoice_with_plain_amounts(owner_client, org, three):
    for _ in range(30):  # more than a page
        make_invoice(org, finalise=True, issue_date=TODAY)

    response = owner_client.get(SALES_EXPORT, {"date_from": TODAY.isoformat(), "sort": "number"})

    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="invoices.csv"'
    rows = csv_of(response)
    assert rows[0] == [
        "Number",
        "Contact",
        "Reference",
        "Issue date",
        "Due date",
        "Status",
        "Overdue",
        "Currency",
        "Subtotal",
        "Tax",
        "Total",
        "Paid",
        "Balance due",
    ]
    assert len(rows) == 32
    bo = rows[1]
    assert bo[:2] == ["INV-0003", "Bo Plumbing"]
    assert bo[3] == TODAY.isoformat()
    assert bo[5:] == ["Unpaid", "no", "GBP", "50.00", "10.00", "60.00", "0.00", "60.00"]


def test_export_marks_overdue_and_guards_against_formulas(owner_client, org):
    make_invoice(
        org, customer=CustomerFactory(organisation=org, name="=HYPERLINK(1)"), finalise=True
    )
    rows = csv_of(owner_client.get(SALES_EXPORT))
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][6] == "yes"


def test_export_holds_only_this_organisations_invoices(owner_client, org, other_org, three):
    make_invoice(other_org, finalise=True)
    rows = csv_of(owner_client.get(SALES_EXPORT))
    assert [row[0] for row in rows[1:]] == ["INV-0003", "INV-0002", "INV-0001"]
    assert Invoice.objects.count() == 4


def test_purchase_export_lists_bills(owner_client, org):
    make_invoice(org, kind="purchase")
    make_invoice(org, finalise=True)
    response = owner_client.get(reverse("invoicing:purchase_export"))
    rows = csv_of(response)
    assert response["Content-Disposition"] == 'attachment; filename="purchases.csv"'
    assert [row[0] for row in rows[1:]] == ["BILL-0001"]


def test_bulk_export_is_the_ticked_invoices_of_this_organisation(
    owner_client, org, other_org, three
):
    zed, _amy, bo = three
    theirs = make_invoice(other_org, finalise=True)
    response = owner_client.post(
        SALES_BULK,
        {"action": "export", "invoice": [zed.pk, bo.pk, theirs.pk, "x"]},
    )
    rows = csv_of(response)
    assert response["Content-Disposition"] == 'attachment; filename="invoices-selected.csv"'
    assert [row[0] for row in rows[1:]] == ["INV-0003", "INV-0001"]


def test_bulk_sync_now_marks_each_ticked_invoice_pending(
    owner_client, org, other_org, three, django_capture_on_commit_callbacks
):
    zed, _amy, bo = three
    draft = make_invoice(org)
    xero = Connection.objects.create(organisation=org, provider="xero", state="active")
    Connection.objects.create(organisation=other_org, provider="xero", state="active")
    theirs = make_invoice(other_org, finalise=True)
    list_url = f"{SALES_LIST}?status=unpaid"

    page = text(owner_client.get(SALES_LIST))
    assert 'name="action" value="sync" data-needs-selection>Sync now</button>' in page

    with django_capture_on_commit_callbacks(execute=False):
        response = owner_client.post(
            SALES_BULK,
            {
                "action": "sync",
                "invoice": [zed.pk, bo.pk, draft.pk, theirs.pk],
                "next": list_url,
            },
        )

    assert response.status_code == 302
    assert response.url == list_url
    records = SyncRecord.objects.filter(connection=xero)
    assert {(r.object_id, r.state) for r in records} == {
        (zed.pk, "pending"),
        (bo.pk, "pending"),
    }
    assert not SyncRecord.objects.filter(object_id=theirs.pk).exists()
    assert messages_of(owner_client.get(list_url)) == ["2 syncs queued."]


def test_bulk_sync_is_not_offered_or_allowed_without_the_capability(org, three):
    Connection.objects.create(organisation=org, provider="xero", state="active")
    viewer = make_member(org, "staff")
    role = viewer.memberships.get().role
    role.capabilities = [c for c in role.capabilities if c != XERO_SYNC.key]
    role.save()
    client = client_for(viewer)

    page = text(client.get(SALES_LIST))
    assert 'value="sync"' not in page
    assert 'value="export"' in page
    response = client.post(SALES_BULK, {"action": "sync", "invoice": [three[0].pk]})
    assert response.status_code == 403
    assert not SyncRecord.objects.exists()


def test_bulk_without_a_connection_or_a_known_action_says_so(owner_client, three):
    response = owner_client.post(SALES_BULK, {"action": "sync", "invoice": [three[0].pk]})
    assert response.status_code == 302
    assert messages_of(owner_client.get(response.url)) == ["That action is not available."]


def test_push_to_ghl_is_offered_on_sales_only(owner_client, org):
    Connection.objects.create(organisation=org, provider="ghl", state="active")
    assert ">Push to GHL</button>" in text(owner_client.get(SALES_LIST))
    assert ">Push to GHL</button>" not in text(owner_client.get(reverse("invoicing:purchase_list")))


def test_money_and_dates_in_the_list(owner_client, three):
    page = text(owner_client.get(SALES_LIST))
    assert '<td class="col-total num" data-label="Total">£1,140.00</td>' in page
    assert "GBP" not in page
    assert f"{TODAY.day} {TODAY:%b %Y}" in page


# Customers and suppliers


@pytest.fixture
def customers(org):
    CustomerFactory(organisation=org, name="Carla", company_name="Zeta", postcode="B1")
    CustomerFactory(organisation=org, name="Abe", company_name="Yoke", postcode="C2")
    CustomerFactory(organisation=org, name="Bea", company_name="Xylo", postcode="A3")


def names_in(response) -> list[str]:
    return re.findall(r'<td data-label="Name">(?:<a [^>]+>)?([^<]+)<', text(response))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["Abe", "Bea", "Carla"]),
        ("-name", ["Carla", "Bea", "Abe"]),
        ("company", ["Bea", "Abe", "Carla"]),
        ("postcode", ["Bea", "Carla", "Abe"]),
        ("nonsense", ["Abe", "Bea", "Carla"]),
    ],
)
def test_customers_sort_by_column(owner_client, customers, sort, expected):
    response = owner_client.get(reverse("invoicing:customer_list"), {"sort": sort})
    assert names_in(response) == expected


def test_customer_export_is_the_search_result(owner_client, org, other_org, customers):
    CustomerFactory(organisation=other_org, name="Abel")
    response = owner_client.get(reverse("invoicing:customer_export"), {"q": "ab"})
    rows = csv_of(response)
    assert rows[0] == ["Name", "Company", "Email", "Phone", "Postcode"]
    assert [row[0] for row in rows[1:]] == ["Abe"]


def test_a_search_as_you_type_answer_replaces_the_address_with_a_clean_one(owner_client, three):
    response = owner_client.get(
        SALES_LIST,
        {"q": ["j", "plumb"], "date_from": "", "sort": "total"},
        headers={"HX-Request": "true", "HX-Target": "invoice-results"},
    )
    assert response["HX-Replace-Url"] == f"{SALES_LIST}?q=plumb&sort=total"
    assert rows_in(response) == ["INV-0003"]
    assert text(response).lstrip().startswith('<div id="invoice-results"')
