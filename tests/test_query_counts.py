"""Pages run the same number of queries however many rows they show (no N+1)."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import Connection, SyncRecord
from invoicing.models import Invoice, PaymentMethod

from .factories import (
    CustomerFactory,
    NominalCodeFactory,
    SupplierFactory,
    UserFactory,
    make_invoice,
    make_payment,
)
from .helpers import visible_text

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


def add_sync_records(connections, invoices):
    invoice_type = ContentType.objects.get_for_model(Invoice)
    for index, invoice in enumerate(invoices):
        for linked in connections:
            SyncRecord.objects.create(
                organisation=linked.organisation,
                connection=linked,
                object_type=invoice_type,
                object_id=invoice.pk,
                state=SyncRecord.State.FAILED if index % 2 else SyncRecord.State.PENDING,
            )


@pytest.mark.parametrize("page", ["integrations:index", "integrations:provider"])
def test_integrations_overview_counts_failed_and_waiting_in_one_query(owner_client, org, page):
    """Each syncing connection's tile counts its failed and waiting invoices: one query for
    the page, however many connections and records."""
    url = reverse(page, args=["xero"] if page == "integrations:provider" else [])
    connections = [
        Connection.objects.create(organisation=org, provider=key, state="active")
        for key in ("xero", "ghl")
    ]
    add_sync_records(connections, [make_invoice(org, finalise=True) for _ in range(2)])
    with_2 = queries_for(owner_client, url)

    add_sync_records(connections, [make_invoice(org, finalise=True) for _ in range(20)])
    with_22 = queries_for(owner_client, url)

    assert len(with_22) == len(with_2), "\n".join(with_22)
    assert sum("integrations_syncrecord" in sql for sql in with_22) == 1
    assert "11 failed · 11 waiting" in visible_text(owner_client.get(url))


def test_failed_list_queries_do_not_grow_with_rows(owner_client, org):
    """Each row names what to fix (a nominal code, a customer, the connection), read in one
    query per kind for the page."""
    from django.contrib.contenttypes.models import ContentType

    from integrations.models import Connection, SyncRecord

    connection = Connection.objects.create(organisation=org, provider="xero", state="active")
    fixes = (
        lambda: {"kind": "nominal_codes", "ids": [NominalCodeFactory(organisation=org).pk]},
        lambda: {"kind": "customer", "ids": [CustomerFactory(organisation=org).pk]},
        lambda: {"kind": "supplier", "ids": [SupplierFactory(organisation=org).pk]},
        lambda: {"kind": "connection"},
    )

    def add(count):
        for n in range(count):
            SyncRecord.objects.create(
                organisation=org,
                connection=connection,
                object_type=ContentType.objects.get_for_model(Invoice),
                object_id=make_invoice(org, finalise=True).pk,
                state="failed",
                reason_text="Sync failed for a reason",
                fix=fixes[n % len(fixes)](),
            )

    url = reverse("sync:failed", args=["xero"])
    add(8)
    with_8 = queries_for(owner_client, url)
    add(24)
    with_32 = queries_for(owner_client, url)

    assert len(with_32) == len(with_8), "\n".join(with_32)


def test_xero_tab_offering_earlier_invoices_counts_them_in_one_query(owner_client, org):
    """Settings → Integrations → Xero with its "Send N earlier invoices" offer, and with a
    back-fill under way: the same queries for 5 earlier invoices as for 30."""
    from django.utils import timezone

    from integrations.models import Connection, SyncRecord
    from integrations.services.backfill import backfill_mark, backfill_start

    url = reverse("integrations:provider", args=["xero"])

    def connect():
        Connection.objects.all().delete()
        return Connection.objects.create(
            organisation=org, provider="xero", state="active", connected_at=timezone.now()
        )

    add_sales_invoices(org, 5)
    connect()
    offer_5 = queries_for(owner_client, url)
    add_sales_invoices(org, 25)
    connection = connect()
    offer_30 = queries_for(owner_client, url)
    assert "Send 30 earlier invoices to Xero" in owner_client.get(url).content.decode()
    assert len(offer_30) == len(offer_5), "\n".join(offer_30)

    backfill = backfill_start(connection=connection, actor=None)
    backfill_mark(backfill_id=backfill.pk)
    progress_url = reverse("integrations:backfill_progress", args=["xero"])

    def answered(count):
        pks = SyncRecord.objects.order_by("pk").values("pk")[:count]
        SyncRecord.objects.filter(pk__in=pks).update(state="synced")

    answered(5)
    running_5, progress_5 = queries_for(owner_client, url), queries_for(owner_client, progress_url)
    answered(25)
    assert "25 of 30 sent" in owner_client.get(url).content.decode()
    running_25 = queries_for(owner_client, url)
    progress_25 = queries_for(owner_client, progress_url)
    assert len(running_25) == len(running_5), "\n".join(running_25)
    assert len(progress_25) == len(progress_5), "\n".join(progress_25)


def test_invoice_list_with_every_kind_of_sync_badge_does_not_grow_with_rows(owner_client, org):
    """Two active providers (each invoice sent to both), and history from an account one of
    them moved away from: the badges are read in bulk."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from integrations.models import Connection, PastSyncRecord, SyncRecord

    invoice_type = ContentType.objects.get_for_model(Invoice)
    connections = [
        Connection.objects.create(organisation=org, provider=key, state="active")
        for key in ("xero", "ghl")
    ]

    def add(count):
        for _ in range(count):
            invoice = make_invoice(org, customer=CustomerFactory(organisation=org), finalise=True)
            for linked in connections:
                SyncRecord.objects.update_or_create(
                    connection=linked,
                    object_type=invoice_type,
                    object_id=invoice.pk,
                    defaults={"organisation": org, "state": "synced", "external_id": "x"},
                )
            PastSyncRecord.objects.create(
                organisation=org,
                provider="xero",
                remote_account_name="Old organisation",
                object_type=invoice_type,
                object_id=invoice.pk,
                external_id="old",
                archived_at=timezone.now(),
            )

    url = reverse("invoicing:sales_list")
    add(3)
    with_3 = queries_for(owner_client, url)
    add(20)
    with_23 = queries_for(owner_client, url)
    page = owner_client.get(url).content.decode()
    assert page.count(">Xero: Synced</span>") == 23
    assert page.count(">GHL: Pushed</span>") == 23
    assert page.count(">Was in Old organisation</span>") == 23
    assert len(with_23) == len(with_3), "\n".join(with_23)


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


# --- CRM pages -----------------------------------------------------------------------------


def test_customer_page_queries_do_not_grow_with_what_the_customer_holds(owner_client, org):
    """Contacts, invoices and quotes (and every other registered section) in a fixed number of
    queries: 2 of each against 14 of each."""
    from crm.models import Project
    from tests.factories import make_contact, make_quote

    customer = CustomerFactory(organisation=org)
    url = reverse("crm:customer_detail", args=[customer.pk])

    def add(count):
        for n in range(count):
            make_contact(customer, name=f"Contact {n}", phone="07911 123456")
            make_invoice(org, customer=customer, finalise=True)
            project = Project.objects.create(organisation=org, name=f"P{n}", customer=customer)
            make_quote(org, customer=customer, project=project, status="sent")

    add(2)
    with_2 = queries_for(owner_client, url)
    add(12)
    with_14 = queries_for(owner_client, url)

    assert len(with_14) == len(with_2), "\n".join(with_14)


def test_lead_list_queries_do_not_grow_with_rows(owner_client, org):
    from tests.factories import make_lead

    url = reverse("crm:lead_list")
    for n in range(3):
        make_lead(org, name=f"Lead {n}", phone="07911 123456")
    with_3 = queries_for(owner_client, url)
    for n in range(22):
        make_lead(org, name=f"Lead more {n}", company="Co", phone="020 7946 0322")
    with_25 = queries_for(owner_client, url)

    assert len(with_25) == len(with_3), "\n".join(with_25)


def test_quote_list_and_detail_queries_do_not_grow_with_rows(owner_client, org):
    from tests.factories import make_contact, make_quote

    def add(count):
        quotes = []
        for _ in range(count):
            customer = CustomerFactory(organisation=org)
            lines = [(1, "10", "20", NominalCodeFactory(organisation=org)) for _ in range(count)]
            quotes.append(
                make_quote(
                    org,
                    customer=customer,
                    contact=make_contact(customer),
                    lines=lines,
                    status="accepted",
                )
            )
        return quotes

    small = add(2)[0]
    with_2 = queries_for(owner_client, reverse("crm:quote_list"))
    detail_2 = queries_for(owner_client, reverse("crm:quote_detail", args=[small.pk]))
    large = add(20)[0]
    with_22 = queries_for(owner_client, reverse("crm:quote_list"))
    detail_20 = queries_for(owner_client, reverse("crm:quote_detail", args=[large.pk]))

    assert len(with_22) == len(with_2), "\n".join(with_22)
    assert len(detail_20) == len(detail_2), "\n".join(detail_20)


# CRM: projects, contracts and messages. Counts as measured on SQLite, as an Owner, the
# sidebar's unread count included: project list 7, project detail 10, contract list 7,
# contract detail 6, message threads 7, one thread 8 (its read marking included).


def crm_rows(org, count, tag):
    from crm.models import Contact
    from crm.services.messages import message_post

    from .factories import ContractFactory, ProjectFactory

    staff = UserFactory()
    for n in range(count):
        customer = CustomerFactory(organisation=org)
        project = ProjectFactory(organisation=org, customer=customer)
        ContractFactory(organisation=org, customer=customer, project=project)
        contact = Contact.objects.create(organisation=org, customer=customer, name=f"C {tag}{n}")
        message_post(customer=customer, body=f"Hello {tag}{n}", author_user=staff)
        message_post(customer=customer, body=f"Reply {tag}{n}", author_contact=contact)


@pytest.mark.parametrize(
    ("page", "expected"),
    [("crm:project_list", 7), ("crm:contract_list", 7), ("crm:thread_list", 7)],
)
def test_crm_lists_queries_do_not_grow_with_rows(owner_client, org, page, expected):
    url = reverse(page)
    crm_rows(org, 3, "a")
    with_3 = queries_for(owner_client, url)
    crm_rows(org, 20, "b")
    with_23 = queries_for(owner_client, url)

    assert len(with_23) == len(with_3) == expected, "\n".join(with_23)
    assert sum("crm_message" in sql for sql in with_23) >= 1  # the sidebar's unread count


def test_project_detail_queries_do_not_grow_with_invoices_and_contracts(owner_client, org):
    from crm.models import Quote

    from .factories import ContractFactory, ProjectFactory

    def project_with(count):
        project = ProjectFactory(organisation=org)
        for n in range(count):
            project.invoices.add(make_invoice(org, customer=project.customer, finalise=True))
            make_invoice(org, customer=project.customer)  # offered for linking
            ContractFactory(organisation=org, customer=project.customer, project=project)
            Quote.objects.create(
                organisation=org,
                number=f"QU-{project.pk}-{n}",
                customer=project.customer,
                project=project,
                issue_date=datetime.date(2026, 12, 1),
                expiry_date=datetime.date(2026, 12, 31),
            )
        return project

    small, large = project_with(1), project_with(10)
    with_1 = queries_for(owner_client, reverse("crm:project_detail", args=[small.pk]))
    with_10 = queries_for(owner_client, reverse("crm:project_detail", args=[large.pk]))

    assert len(with_10) == len(with_1) == 11, "\n".join(with_10)


def test_message_thread_queries_do_not_grow_with_messages(owner_client, org):
    from crm.models import Contact
    from crm.services.messages import message_post

    def thread_with(count):
        customer = CustomerFactory(organisation=org)
        for n in range(count):
            contact = Contact.objects.create(organisation=org, customer=customer, name=f"C{n}")
            message_post(customer=customer, body="From them", author_contact=contact)
            message_post(customer=customer, body="From us", author_user=UserFactory())
        return customer

    small, large = thread_with(1), thread_with(10)
    with_1 = queries_for(owner_client, reverse("crm:thread_detail", args=[small.pk]))
    with_10 = queries_for(owner_client, reverse("crm:thread_detail", args=[large.pk]))

    assert len(with_10) == len(with_1) == 8, "\n".join(with_10)


def test_contract_detail_queries(owner_client, org):
    from .factories import ContractFactory

    contract = ContractFactory(organisation=org, project=None)
    assert len(queries_for(owner_client, reverse("crm:contract_detail", args=[contract.pk]))) == 6


def test_the_sidebar_unread_count_is_one_query(owner_client, org):
    crm_rows(org, 5, "a")

    sql = queries_for(owner_client, reverse("crm:project_list"))

    assert len([q for q in sql if "crm_message" in q]) == 1


def add_appointments(org, count, *, day):
    """`count` appointments on `day`, each with its own customer, contact and staff member."""
    from crm.models import Contact
    from scheduling.times import local_to_aware, zone_of

    from .conftest import make_member
    from .factories import make_appointment

    for n in range(count):
        customer = CustomerFactory(organisation=org)
        make_appointment(
            org,
            staff=make_member(org, "staff"),
            customer=customer,
            contact=Contact.objects.create(organisation=org, customer=customer, name=f"C{n}"),
            start=local_to_aware(day, datetime.time(8 + n % 10), zone=zone_of(org)),
        )


@pytest.mark.parametrize("page", ["scheduling:week", "scheduling:day"])
def test_appointment_week_and_day_queries_do_not_grow_with_appointments(owner_client, org, page):
    day = datetime.date(2026, 12, 9)
    url = reverse(page, args=[day.isoformat()] if page == "scheduling:day" else [])
    url += "" if page == "scheduling:day" else f"?week={day.isoformat()}"
    add_appointments(org, 3, day=day)
    with_3 = queries_for(owner_client, url)

    add_appointments(org, 20, day=day)
    with_23 = queries_for(owner_client, url)

    assert len(with_23) == len(with_3), "\n".join(with_23)
    print(f"{page}: {len(with_23)} queries")


# Home: as an Owner with Xero and GoHighLevel connected, 20 queries on SQLite however many
# invoices, payments, appointments, messages, log entries and sync records there are (the
# earlier invoices a back-fill would send add one per connected provider that offers it).


def home_rows(org, count, tag):
    import datetime as dt

    from accounts.selectors import organisation_today

    from .conftest import make_member
    from .factories import make_appointment

    today = organisation_today(org)
    staff = make_member(org, "staff")
    for n in range(count):
        late = make_invoice(
            org,
            customer=CustomerFactory(organisation=org),
            issue_date=today - dt.timedelta(days=40 + n),
            currency="EUR" if n % 3 == 0 else "GBP",
            finalise=True,
        )
        make_payment(late, "10.00", date=today)
        start = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(hours=n % 24)
        make_appointment(org, staff=staff, start=start, title=f"Visit {tag}{n}")
    crm_rows(org, count, tag)


def test_home_queries_do_not_grow_with_rows(owner_client, org):
    from django.utils import timezone

    # Connected first: each invoice finalised gets a waiting sync record on both.
    for key in ("xero", "ghl"):
        Connection.objects.create(
            organisation=org, provider=key, state="active", connected_at=timezone.now()
        )
    url = reverse("home")
    home_rows(org, 3, "a")
    with_3 = queries_for(owner_client, url)
    home_rows(org, 20, "b")
    with_23 = queries_for(owner_client, url)

    assert len(with_23) == len(with_3) == 20, "\n".join(with_23)
    page = visible_text(owner_client.get(url))
    assert "Overdue" in page and "23 invoices" in page
    assert "23 waiting" in page


def test_team_page_queries_do_not_grow_with_members_and_invitations(owner_client, org):
    from accounts.models import Invitation, Role

    from .factories import MembershipFactory

    staff_role = Role.objects.get(organisation=org, key="staff")

    def add(count, tag):
        for n in range(count):
            inviter = MembershipFactory(organisation=org, role_key="accountant").user
            Invitation.objects.create(
                organisation=org,
                email=f"{tag}{n}@example.test",
                role=staff_role,
                invited_by=inviter,
                token_hash=f"{tag}{n}",
            )

    add(2, "a")
    with_few = queries_for(owner_client, reverse("settings_team"))
    add(20, "b")
    with_many = queries_for(owner_client, reverse("settings_team"))

    assert len(with_many) == len(with_few), "\n".join(with_many)


def test_sandbox_outbox_queries_do_not_grow_with_emails(client, org):
    from notifications.models import Email

    from .factories import OrganisationFactory

    def add(count):
        for n in range(count):
            Email.objects.create(
                organisation=OrganisationFactory(),
                to=f"p{n}@example.test",
                subject="Hello",
                text_body="Hi",
                html_body="<p>Hi</p>",
                template="team_invitation",
            )

    add(2)
    with_few = queries_for(client, reverse("sandbox:outbox"))
    add(20)
    with_many = queries_for(client, reverse("sandbox:outbox"))

    assert len(with_many) == len(with_few), "\n".join(with_many)


def test_filtered_sorted_invoice_list_and_its_export_do_not_grow_with_rows(owner_client, org):
    Connection.objects.create(organisation=org, provider="xero", state="active")
    query = "?sort=-party&status=unpaid&sync=xero:pending&date_from=2020-01-01&q=INV"
    invoice_type = ContentType.objects.get_for_model(Invoice)
    connection = Connection.objects.get(organisation=org)

    def add(count):
        for _ in range(count):
            invoice = make_invoice(org, customer=CustomerFactory(organisation=org), finalise=True)
            SyncRecord.objects.create(
                organisation=org,
                connection=connection,
                object_type=invoice_type,
                object_id=invoice.pk,
                state="pending",
            )

    for url in (reverse("invoicing:sales_list") + query, reverse("invoicing:sales_export") + query):
        Invoice.objects.all().delete()
        add(3)
        few = export_queries_for(owner_client, url)
        add(40)
        many = export_queries_for(owner_client, url)
        assert len(many) == len(few), "\n".join(many)


def export_queries_for(client, url) -> list[str]:
    """Like queries_for, and reads a streamed answer to the end inside the count."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("name", ["invoicing:customer_list", "invoicing:customer_export"])
def test_sorted_customer_list_and_export_do_not_grow_with_rows(owner_client, org, name):
    url = reverse(name) + "?sort=-company&q=a"
    CustomerFactory.create_batch(3, organisation=org, name="Anna")
    few = export_queries_for(owner_client, url)
    CustomerFactory.create_batch(60, organisation=org, name="Anna")
    many = export_queries_for(owner_client, url)
    assert len(many) == len(few), "\n".join(many)


def test_the_verify_your_email_banner_asks_only_for_people_who_signed_up(owner_client, client):
    def verification_queries(sql: list[str]) -> int:
        return sum("accounts_emailverification" in query for query in sql)

    assert verification_queries(queries_for(owner_client, "/")) == 0

    client.post(
        "/signup/",
        {
            "business_name": "New Business",
            "first_name": "Nia",
            "email": "nia@new.test",
            "password": "plum tree harbour 42",
            "country": "GB",
        },
    )
    assert verification_queries(queries_for(client, "/")) == 1


# CRM lists sorted, filtered and exported: counts stay flat as rows grow (the exports stream in
# chunks, each row's customer and project joined in).
def crm_list_rows(org, count):
    from tests.factories import ContractFactory, ProjectFactory, make_lead, make_quote

    for n in range(count):
        customer = CustomerFactory(organisation=org, name=f"Anna {n}")
        make_lead(org, name=f"Anna lead {n}", company="Co", phone="07911 123456")
        make_quote(org, customer=customer, status="sent")
        project = ProjectFactory(organisation=org, customer=customer, name=f"Anna job {n}")
        ContractFactory(organisation=org, customer=customer, project=project)


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("crm:lead_list", "?sort=-company&q=anna&status=new"),
        ("crm:leads_export", "?sort=-company&q=anna&status=new"),
        ("crm:quote_list", "?sort=customer&status=sent"),
        ("crm:quotes_export", "?sort=customer&status=sent"),
        ("crm:project_list", "?sort=customer&q=anna"),
        ("crm:projects_export", "?sort=customer&q=anna"),
        ("crm:contract_list", "?sort=-project&status=draft"),
        ("crm:contracts_export", "?sort=-project"),
        ("crm:thread_list", "?unread=on&q=hello"),
    ],
)
def test_sorted_filtered_crm_lists_and_exports_do_not_grow_with_rows(
    owner_client, org, name, query
):
    url = reverse(name) + query
    crm_list_rows(org, 3)
    crm_rows(org, 3, "a")
    few = export_queries_for(owner_client, url)
    crm_list_rows(org, 30)
    crm_rows(org, 20, "b")
    many = export_queries_for(owner_client, url)
    assert len(many) == len(few), "\n".join(many)


def test_sandbox_stripe_pages_queries_do_not_grow_with_accounts_or_payments(client):
    from .sandbox.stripe_support import paid_account

    first = paid_account(client, payments=1)
    pages = [reverse("sandbox:stripe_index"), reverse("sandbox:stripe_dashboard", args=[first])]
    with_few = [queries_for(client, url) for url in pages]
    paid_account(client, payments=3, name="Beta Boilers")
    paid_account(client, payments=2, name="Gamma Gas")

    for url, few in zip(pages, with_few, strict=True):
        many = queries_for(client, url)
        assert len(many) == len(few), "\n".join(many)


def test_stripe_tab_and_pay_online_panel_queries_do_not_grow(owner_client, org, settings):
    """The Stripe tab reads its account from the connection (no call to Stripe, no query per
    requirement); the invoice page's Pay online panel is two queries however many sessions
    and payments the invoice has had."""
    from django.utils import timezone

    from stripe_connect.models import CheckoutSession

    settings.STRIPE_TEST_SECRET_KEY = "sk_test_query_counts"
    stripe = Connection.objects.create(
        organisation=org,
        provider="stripe",
        state="setup_incomplete",
        remote_account_id="acct_1QpQueryCounts",
        settings={"mode": "test", "currently_due": ["external_account"], "past_due": []},
    )
    tab = reverse("integrations:provider", args=["stripe"])
    few = queries_for(owner_client, tab)
    stripe.settings["currently_due"] = [f"person_{n}.verification.document" for n in range(30)]
    stripe.save()
    many = queries_for(owner_client, tab)
    assert len(many) == len(few), "\n".join(many)
    assert "an identity document" in visible_text(owner_client.get(tab))

    stripe.state = "active"
    stripe.save()
    small, large = detail_with(org, 1, "s"), detail_with(org, 10, "l")
    for invoice, count in ((small, 1), (large, 10)):
        for n in range(count):
            CheckoutSession.objects.create(
                organisation=org,
                invoice=invoice,
                connection=stripe,
                account_id="acct_1QpQueryCounts",
                session_id=f"cs_test_{invoice.pk}_{n}",
                url=f"https://checkout.stripe.com/c/pay/cs_test_{invoice.pk}_{n}",
                amount=100 + n,
                currency="gbp",
                expires_at=timezone.now() + datetime.timedelta(hours=n),
            )
    with_1 = queries_for(owner_client, reverse("invoicing:invoice_detail", args=[small.pk]))
    with_10 = queries_for(owner_client, reverse("invoicing:invoice_detail", args=[large.pk]))
    assert len(with_10) == len(with_1), "\n".join(with_10)


def test_sms_tab_and_history_queries_do_not_grow_with_threads_and_messages(owner_client, org):
    """The SMS tab's history: one query for the newest threads, one for their messages, one
    for opt-outs and one for contact names, however many numbers and replies there are."""
    from django.utils import timezone

    from tests.factories import make_contact
    from twilio_sms.models import SmsMessage, SmsOptOut

    Connection.objects.create(
        organisation=org,
        provider="twilio",
        state="active",
        remote_account_id="AC" + "0" * 32,
        credentials={"account_sid": "AC" + "0" * 32, "auth_token": "t", "sender": "+15005550006"},
        connected_at=timezone.now(),
    )

    def add_threads(start: int, count: int) -> None:
        for n in range(start, start + count):
            phone = f"+4479111{n:05d}"
            contact = make_contact(
                CustomerFactory(organisation=org), name=f"Person {n}", phone=phone
            )
            for direction, status in (("outbound", "delivered"), ("inbound", "received")):
                SmsMessage.objects.create(
                    organisation=org,
                    direction=direction,
                    phone=phone,
                    body=f"Message {n}",
                    status=status,
                    contact=contact if direction == "inbound" else None,
                )
            if n % 2:
                SmsOptOut.objects.create(organisation=org, phone=phone)

    tab = reverse("integrations:provider", args=["twilio"])
    history = reverse("twilio_sms:history")
    add_threads(0, 2)
    few_tab, few_history = queries_for(owner_client, tab), queries_for(owner_client, history)
    add_threads(2, 15)
    many_tab, many_history = queries_for(owner_client, tab), queries_for(owner_client, history)
    assert len(many_tab) == len(few_tab), "\n".join(many_tab)
    assert len(many_history) == len(few_history), "\n".join(many_history)
    assert "Person 16" in visible_text(owner_client.get(tab))


def _webhooks(org, count):
    from webhooks_manager.models import Attempt, Endpoint, InboundDelivery, InboundHook, Message

    for n in range(count):
        Endpoint.objects.create(
            organisation=org,
            url=f"https://receiver{n}.example.com/",
            events=["lead.created"],
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
        hook = InboundHook.objects.create(
            organisation=org, name=f"Form {n}", token_hash=f"{n:064d}", token_hint="whin_abcd"
        )
        InboundDelivery.objects.create(
            organisation=org, hook=hook, outcome="refused", status_code=400, reason="no name"
        )
    first = Endpoint.objects.filter(organisation=org).order_by("pk").first()
    hook = InboundHook.objects.filter(organisation=org).order_by("pk").first()
    for n in range(count):
        message = Message.objects.create(
            organisation=org,
            endpoint=first,
            event_id=f"evt_{n}",
            event_type="lead.created",
            payload={"type": "lead.created"},
            status="pending" if n % 2 else "delivered",
        )
        Attempt.objects.create(
            organisation=org, message=message, number=1, outcome="success", status_code=200
        )
    return first, hook


def test_webhooks_manager_pages_do_not_grow_with_endpoints_deliveries_and_posts(owner_client, org):
    from webhooks_manager.models import Endpoint, InboundHook

    first, hook = _webhooks(org, 3)
    pages = [
        reverse("webhooks_manager:manager"),
        reverse("webhooks_manager:endpoint", args=[first.pk]),
        reverse("webhooks_manager:inbound", args=[hook.pk]),
    ]
    few = [len(queries_for(owner_client, url)) for url in pages]
    Endpoint.objects.all().delete()
    InboundHook.objects.all().delete()
    first, hook = _webhooks(org, 20)
    pages = [
        reverse("webhooks_manager:manager"),
        reverse("webhooks_manager:endpoint", args=[first.pk]),
        reverse("webhooks_manager:inbound", args=[hook.pk]),
    ]
    many = [len(queries_for(owner_client, url)) for url in pages]

    assert many == few


def test_sandbox_request_bin_queries_do_not_grow_with_requests(client):
    from sandbox.models import BinRequest, RequestBin

    url = reverse("sandbox:requestbin", args=["demo"])
    request_bin = RequestBin.objects.create(key="demo")
    BinRequest.objects.create(bin=request_bin, method="POST", answered="200")
    few = len(queries_for(client, url))
    for _ in range(20):
        BinRequest.objects.create(bin=request_bin, method="POST", answered="200")

    assert len(queries_for(client, url)) == few
