"""The home page's figures, read from invoices, payments, appointments and the log."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Invitation, Role
from home import selectors
from integrations.models import Connection
from invoicing.models import Invoice
from invoicing.services.invoices import invoice_void
from torqueflow.formatting import money as money_text

from ..conftest import make_member
from ..factories import make_appointment, make_invoice, make_payment

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)  # a Monday


def amounts(figure) -> dict[str, Decimal]:
    return {money.currency: money.amount for money in figure.amounts}


def invoice(org, total="100.00", *, issued=TODAY, due_days=30, finalise=True, **kwargs):
    """A sales invoice for `total` with no tax."""
    return make_invoice(
        org,
        lines=((1, total, "0"),),
        issue_date=issued,
        due_days=due_days,
        finalise=finalise,
        **kwargs,
    )


def test_money_owed_is_the_balance_of_unpaid_and_part_paid_invoices_per_currency(org, other_org):
    invoice(org, "100.00")
    part_paid = invoice(org, "250.00")
    make_payment(part_paid, "50.00", date=TODAY)
    invoice(org, "80.00", currency="EUR")
    invoice(org, "999.00", finalise=False)  # a draft is not owed
    invoice_void(invoice=invoice(org, "500.00"), actor=None)
    make_payment(invoice(org, "40.00"), "40.00", date=TODAY)  # paid in full
    make_invoice(org, kind=Invoice.Kind.PURCHASE, lines=((1, "70", "0"),), finalise=True)
    invoice(other_org, "1000.00")

    owed = selectors.money_owed(organisation=org)

    assert amounts(owed) == {"GBP": Decimal("300.00"), "EUR": Decimal("80.00")}
    assert [money.currency for money in owed.amounts] == ["GBP", "EUR"]  # its own first
    assert owed.count == 3
    assert owed.url == "/invoices/?owed=1"


def test_overdue_counts_owed_invoices_due_before_the_organisations_today(org):
    due_yesterday = invoice(org, "120.00", issued=TODAY - datetime.timedelta(days=31))
    make_payment(due_yesterday, "20.00", date=TODAY)
    invoice(org, "60.00", issued=TODAY - datetime.timedelta(days=30))  # due today: not yet
    invoice(org, "75.00", issued=TODAY - datetime.timedelta(days=40), currency="EUR")
    invoice_void(
        invoice=invoice(org, "500.00", issued=TODAY - datetime.timedelta(days=90)), actor=None
    )
    invoice(org, "900.00", issued=TODAY - datetime.timedelta(days=90), finalise=False)

    overdue = selectors.overdue(organisation=org, today=TODAY)

    assert amounts(overdue) == {"GBP": Decimal("100.00"), "EUR": Decimal("75.00")}
    assert overdue.count == 2
    assert overdue.url == "/invoices/?overdue=on"


def test_overdue_turns_at_midnight_where_the_organisation_is(org):
    """An invoice due on 7 Dec is overdue from midnight on 8 Dec in Auckland, while it is
    still 7 Dec in London."""
    org.timezone = "Pacific/Auckland"
    org.save()
    invoice(org, "100.00", issued=TODAY - datetime.timedelta(days=30))  # due 7 Dec
    owner = make_member(org, "owner")
    membership = owner.memberships.get()

    # 11:30 UTC on 7 Dec is 00:30 on 8 Dec in Auckland.
    with time_machine.travel(
        datetime.datetime(2026, 12, 7, 11, 30, tzinfo=datetime.UTC), tick=False
    ):
        home = selectors.home_figures(membership=membership)
    assert home.today == datetime.date(2026, 12, 8)
    assert home.overdue.count == 1

    with time_machine.travel(
        datetime.datetime(2026, 12, 7, 10, 30, tzinfo=datetime.UTC), tick=False
    ):
        home = selectors.home_figures(membership=membership)
    assert home.today == TODAY
    assert home.overdue.count == 0


def test_paid_this_month_counts_payments_dated_this_month_on_sales_invoices(org):
    first = invoice(org, "500.00", issued=datetime.date(2026, 10, 1))
    make_payment(first, "100.00", date=datetime.date(2026, 11, 30))  # last month
    make_payment(first, "150.00", date=datetime.date(2026, 12, 1))
    make_payment(first, "25.50", date=TODAY)
    make_payment(invoice(org, "90.00", currency="EUR"), "90.00", date=TODAY)
    deleted = make_payment(invoice(org, "70.00"), "70.00", date=TODAY)
    deleted.deleted_at = timezone.now()
    deleted.save()
    bill = make_invoice(org, kind=Invoice.Kind.PURCHASE, lines=((1, "70", "0"),), finalise=True)
    make_payment(bill, "70.00", date=TODAY)  # money paid out, not received

    paid = selectors.paid_this_month(organisation=org, today=TODAY)

    assert amounts(paid) == {"GBP": Decimal("175.50"), "EUR": Decimal("90.00")}
    assert paid.count == 3
    assert paid.url == "/invoices/?paid_since=2026-12-01"


def test_the_chart_sums_twelve_weeks_from_monday_in_the_organisations_currency(org):
    make_payment(invoice(org, "100.00", issued=TODAY), "40.00", date=TODAY)
    invoice(org, "30.00", issued=TODAY - datetime.timedelta(days=1))  # Sunday: last week
    invoice(org, "500.00", issued=TODAY - datetime.timedelta(weeks=11))  # the first week
    invoice(org, "999.00", issued=TODAY - datetime.timedelta(weeks=12))  # before the chart
    invoice(org, "70.00", issued=TODAY, currency="EUR")
    invoice(org, "80.00", issued=TODAY, finalise=False)
    invoice_void(invoice=invoice(org, "60.00", issued=TODAY), actor=None)

    chart = selectors.weekly_totals(organisation=org, today=TODAY)

    assert len(chart.weeks) == 12
    assert chart.weeks[0].start == datetime.date(2026, 9, 21)
    assert chart.weeks[-1].start == TODAY
    assert (chart.weeks[-1].invoiced, chart.weeks[-1].paid) == (Decimal("100.00"), Decimal("40.00"))
    assert chart.weeks[-2].invoiced == Decimal("30.00")
    assert chart.weeks[0].invoiced == Decimal("500.00")
    assert sum(week.invoiced for week in chart.weeks) == Decimal("630.00")
    tallest = max(bar.height for _week, bar, _paid, _a, _b in chart.bars)
    assert tallest == chart.height - 4  # the highest week fills the chart


def test_todays_and_tomorrows_appointments_by_the_organisations_clock(org):
    staff = make_member(org, "staff")
    zone = datetime.timezone(datetime.timedelta(0))  # London in December: UTC
    at = lambda day, hour: datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone)  # noqa: E731
    make_appointment(org, staff=staff, start=at(TODAY, 9), title="Boiler service")
    make_appointment(
        org, staff=staff, start=at(TODAY + datetime.timedelta(days=1), 14), title="Quote visit"
    )
    make_appointment(
        org, staff=staff, start=at(TODAY + datetime.timedelta(days=2), 9), title="Later"
    )
    make_appointment(
        org, staff=staff, start=at(TODAY - datetime.timedelta(days=1), 9), title="Earlier"
    )

    today, tomorrow = selectors.upcoming_appointments(organisation=org, today=TODAY)

    assert [a.title for a in today.appointments] == ["Boiler service"]
    assert today.appointments[0].local_time == "09:00"
    assert [a.title for a in tomorrow.appointments] == ["Quote visit"]
    assert tomorrow.url == "/appointments/day/2026-12-08/"


def test_recent_activity_reads_as_words_newest_first(org):
    owner = make_member(org, "owner", first_name="Sam", last_name="Owner")
    draft = invoice(org, "10.00", finalise=False)
    for _ in range(11):
        make_invoice(org, lines=((1, "1", "0"),), actor=owner)

    lines = selectors.recent_activity(organisation=org)

    assert len(lines) == 10
    assert lines[0].who == "Sam Owner"
    assert lines[0].text.startswith("Created: invoice ")
    assert all(line.url.startswith("/invoices/") for line in lines)
    assert str(draft.pk) not in [line.url.strip("/").rsplit("/", 1)[-1] for line in lines]


def test_sync_health_counts_and_offers_the_earlier_invoices(org):
    from integrations.selectors import integration_cards

    invoice(org, "100.00")  # finalised before Xero was connected
    Connection.objects.create(
        organisation=org, provider="xero", state="active", connected_at=timezone.now()
    )

    (xero,) = selectors.sync_health(cards=integration_cards(organisation=org))

    assert (xero.name, xero.waiting, xero.failed, xero.earlier) == ("Xero", 0, 0, 1)
    assert xero.earlier_url == "/settings/integrations/xero/#backfill-xero"
    assert xero.failed_url == "/sync/xero/failed/"


def test_checklist_ticks_each_step_from_what_the_organisation_has_done(org):
    from integrations.selectors import integration_cards

    from ..factories import CustomerFactory

    def steps():
        result = selectors.first_run_checklist(
            organisation=org, cards=integration_cards(organisation=org)
        )
        return None if result is None else [(step.label, step.done) for step in result]

    owner = make_member(org, "owner")
    assert steps() == [
        ("Connect your accounting", False),
        ("Add your first customer", False),
        ("Send your first invoice", False),
        ("Invite your team", False),
    ]

    Connection.objects.create(
        organisation=org, provider="xero", state="active", connected_at=timezone.now()
    )
    CustomerFactory(organisation=org)
    invoice(org, "10.00", finalise=False)
    assert [done for _, done in steps()] == [True, True, False, False]

    invoice(org, "10.00")
    assert [done for _, done in steps()] == [True, True, True, False]

    Invitation.objects.create(
        organisation=org,
        email="new@example.test",
        role=Role.objects.get(organisation=org, key="staff"),
        token_hash="x" * 64,
        invited_by=owner,
    )
    assert steps() is None  # all done: hidden


def test_a_revoked_invitation_does_not_tick_invite_your_team_but_a_second_member_does(org):
    make_member(org, "owner")
    Invitation.objects.create(
        organisation=org,
        email="new@example.test",
        role=Role.objects.get(organisation=org, key="staff"),
        token_hash="y" * 64,
        revoked_at=timezone.now(),
    )
    assert not selectors._team_invited(org)

    make_member(org, "staff")
    assert selectors._team_invited(org)


def test_money_reads_with_its_symbol_and_grouping():
    assert money_text(Decimal("1234.5"), "GBP") == "£1,234.50"
    assert money_text(Decimal("-20"), "EUR") == "-€20.00"
    assert money_text(Decimal("1000000"), "CHF") == "CHF\xa01,000,000.00"


def test_a_message_reads_as_a_message_on_the_customers_page(org):
    from crm.services.messages import message_post

    from ..factories import CustomerFactory

    customer = CustomerFactory(organisation=org, name="Jane Smith")
    message_post(customer=customer, body="Hello", author_user=make_member(org, "staff"))

    (line,) = selectors.recent_activity(organisation=org)

    assert line.text.startswith("Message posted: customer Jane Smith")
    assert line.url == f"/customers/{customer.pk}/"
