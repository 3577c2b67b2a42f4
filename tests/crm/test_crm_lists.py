"""The CRM lists (leads, quotes, projects, contracts, messages) sort, filter by chips, search
with a clean address and export what is filtered or ticked, as the invoice list does."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.services.leads import lead_status_set
from crm.services.messages import message_post, thread_mark_read
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    ProjectFactory,
    make_lead,
    make_quote,
)

LEADS = reverse("crm:lead_list")
QUOTES = reverse("crm:quote_list")


def csv_of(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def names(client, url, **query) -> list[str]:
    page = client.get(url, query).context["page"]
    return [str(row) for row in page.object_list]


def test_leads_sort_by_each_column_both_ways_and_ignore_a_bad_key(owner_client, org):
    make_lead(org, name="Cara", company="Zed Ltd")
    make_lead(org, name="Abe", company="Mid Ltd")
    make_lead(org, name="Ben", company="Alpha Ltd")

    assert names(owner_client, LEADS, sort="name") == [
        "Abe (Mid Ltd)",
        "Ben (Alpha Ltd)",
        "Cara (Zed Ltd)",
    ]
    assert names(owner_client, LEADS, sort="-company")[0] == "Cara (Zed Ltd)"
    # A key we do not offer (a field name, an injection) keeps the newest-first order.
    newest_first = names(owner_client, LEADS)
    assert names(owner_client, LEADS, sort="created_by__password") == newest_first
    assert names(owner_client, LEADS, sort="-name;drop") == newest_first

    page = owner_client.get(LEADS, {"sort": "name"}).content.decode()
    assert 'aria-sort="ascending"' in page
    assert "?sort=-name" in page  # the header's next click sorts descending


def test_lead_status_chip_filters_and_a_second_click_clears_it(owner_client, org):
    make_lead(org, name="Open one")
    lost = make_lead(org, name="Gone one")
    lead_status_set(lead=lost, actor=None, status="lost")

    assert names(owner_client, LEADS, status="lost") == ["Gone one"]
    assert sorted(names(owner_client, LEADS, status="nonsense")) == ["Gone one", "Open one"]
    chips = owner_client.get(LEADS, {"status": "lost"}).context["chips"]
    lost_chip = next(chip for chip in chips if chip.label == "Lost")
    assert lost_chip.active and lost_chip.url == "?"


def test_quote_chips_expiring_soon_and_accepted_not_invoiced(owner_client, org):
    today = timezone.localdate()
    soon = make_quote(org, status="sent", issue_date=today - timedelta(days=27), valid_days=30)
    make_quote(org, status="sent", valid_days=30)  # expires in a month
    accepted = make_quote(org, status="accepted")
    make_quote(org, status="draft", issue_date=today - timedelta(days=27), valid_days=30)

    assert names(owner_client, QUOTES, flag="expiring") == [soon.number]
    assert names(owner_client, QUOTES, flag="uninvoiced") == [accepted.number]
    labels = [chip.label for chip in owner_client.get(QUOTES).context["chips"]]
    assert "Expiring soon" in labels and "Accepted, not invoiced" in labels


def test_quotes_search_finds_amounts_and_sorts_by_total(owner_client, org):
    small = make_quote(org, lines=((1, "100.00", "20"),))
    big = make_quote(org, lines=((1, "950.00", "20"),))

    assert names(owner_client, QUOTES, q="1,140.00") == [big.number]
    assert names(owner_client, QUOTES, sort="total") == [small.number, big.number]
    assert names(owner_client, QUOTES, sort="-total") == [big.number, small.number]


def test_search_answer_replaces_the_address_with_a_clean_query(owner_client, org):
    make_lead(org, name="Priya Shah")
    response = owner_client.get(
        LEADS + "?q=p&q=pri&status=&sort=name",
        headers={"HX-Request": "true", "HX-Target": "leads-results"},
    )
    assert response["HX-Replace-Url"] == LEADS + "?q=pri&sort=name"
    assert "<html" not in response.content.decode()  # only the results, not the page


def test_lead_export_has_every_filtered_row_across_pages(owner_client, org):
    for n in range(30):
        make_lead(org, name=f"Keep {n:02}", company="=cmd|' /C calc'!A0")
    make_lead(org, name="Other")

    rows = csv_of(owner_client.get(reverse("crm:leads_export"), {"q": "keep", "sort": "name"}))

    assert rows[0] == ["Name", "Company", "Email", "Phone", "Source", "Status", "Added"]
    assert [row[0] for row in rows[1:]] == [f"Keep {n:02}" for n in range(30)]
    assert rows[1][1].startswith("'=")  # a spreadsheet will not run it
    assert rows[1][6] == timezone.localdate().isoformat()


def test_quote_export_has_plain_amounts_with_currency_and_iso_dates(owner_client, org):
    quote = make_quote(org, lines=((2, "475.00", "20"),))
    rows = csv_of(owner_client.get(reverse("crm:quotes_export")))
    assert rows[0][:2] == ["Number", "Customer"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Number"] == quote.number
    assert row["Currency"] == "GBP"
    assert (row["Subtotal"], row["Tax"], row["Total"]) == ("950.00", "190.00", "1140.00")
    assert row["Issue date"] == quote.issue_date.isoformat()


def test_project_and_contract_exports(owner_client, org):
    customer = CustomerFactory(organisation=org, name="Northgate Dental")
    project = ProjectFactory(organisation=org, customer=customer, name="Boiler swap")
    ContractFactory(organisation=org, customer=customer, project=project, title="Service terms")

    projects = csv_of(owner_client.get(reverse("crm:projects_export")))
    contracts = csv_of(owner_client.get(reverse("crm:contracts_export")))

    assert projects[1][:2] == ["Boiler swap", "Northgate Dental"]
    assert contracts[1][:3] == ["Service terms", "Northgate Dental", "Boiler swap"]


def test_bulk_export_has_the_ticked_rows_only_and_ignores_another_organisations(
    owner_client, org, other_org
):
    first, second, _third = (make_lead(org, name=n) for n in ("One", "Two", "Three"))
    theirs = make_lead(other_org, name="Not yours")
    response = owner_client.post(
        reverse("crm:leads_bulk"),
        {"action": "export", "leads": [first.pk, second.pk, theirs.pk, "x"]},
    )
    assert response["Content-Disposition"] == 'attachment; filename="leads-selected.csv"'
    assert sorted(row[0] for row in csv_of(response)[1:]) == ["One", "Two"]


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("crm:leads_export", lambda o: make_lead(o, name="Secret lead")),
        ("crm:projects_export", lambda o: ProjectFactory(organisation=o, name="Secret lead")),
    ],
)
def test_exports_hold_only_the_organisations_rows(owner_client, other_org, url_name, make):
    make(other_org)
    assert "Secret lead" not in str(csv_of(owner_client.get(reverse(url_name))))


def test_messages_unread_chip_and_clean_search(owner_client, org, owner):
    read = CustomerFactory(organisation=org, name="Read Ltd")
    unread = CustomerFactory(organisation=org, name="Unread Ltd")
    from crm.models import Contact

    for customer in (read, unread):
        contact = Contact.objects.create(organisation=org, customer=customer, name="C")
        message_post(customer=customer, body="Hello", author_contact=contact)
    thread_mark_read(customer=read)
    url = reverse("crm:thread_list")

    assert names(owner_client, url, unread="on") == ["Unread Ltd"]
    assert sorted(names(owner_client, url)) == ["Read Ltd", "Unread Ltd"]
    response = owner_client.get(
        url + "?q=h&q=hello&unread=on",
        headers={"HX-Request": "true", "HX-Target": "thread-results"},
    )
    assert response["HX-Replace-Url"] == url + "?q=hello&unread=on"


def test_mark_ticked_leads_lost_ignores_other_organisations_and_keeps_converted_won(
    owner_client, org, other_org
):
    from crm.models import Lead
    from crm.services.leads import lead_convert

    first, second = make_lead(org, name="One"), make_lead(org, name="Two")
    converted = make_lead(org, name="Three")
    lead_convert(lead=converted, actor=None)
    theirs = make_lead(other_org, name="Not yours")

    response = owner_client.post(
        reverse("crm:leads_bulk"),
        {
            "action": "lost",
            "leads": [first.pk, second.pk, converted.pk, theirs.pk],
            "next": LEADS + "?sort=name",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == LEADS + "?sort=name"
    page = response.content.decode()
    assert "2 leads marked Lost." in page
    assert "1 converted lead stays Won." in page
    statuses = dict(Lead.objects.values_list("name", "status"))
    assert statuses == {"One": "lost", "Two": "lost", "Three": "won", "Not yours": "new"}


def test_only_people_who_manage_leads_can_mark_them(accountant_client, org):
    lead = make_lead(org, name="One")
    response = accountant_client.post(
        reverse("crm:leads_bulk"), {"action": "contacted", "leads": [lead.pk]}
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == "new"
    assert "Mark contacted" not in accountant_client.get(LEADS).content.decode()
