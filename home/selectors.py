"""The figures on the organisation's home page.

Each figure is read in one query (grouped by currency where it is money), so the page runs
the same number of queries however many invoices, payments, appointments and log entries
the organisation holds; only the number of connected providers adds one (the earlier
invoices not yet sent to it).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils.http import urlencode

from accounts.capabilities import CRM_VIEW, INTEGRATIONS_MANAGE, INVOICES_VIEW
from accounts.models import Invitation, Membership, Organisation
from accounts.selectors import organisation_today
from integrations import registry
from integrations.selectors import Card, integration_cards
from integrations.services.backfill import backfill_count, backfill_offered
from invoicing.models import AuditLog, Customer, Invoice, Payment
from invoicing.money import ZERO
from invoicing.selectors import owed_invoices
from invoicing.templatetags.invoicing_tags import audit_label
from scheduling.models import Appointment
from scheduling.selectors import appointments_between
from scheduling.times import day_bounds
from torqueflow.formatting import money as money_text

from .models import ChecklistDismissal

CHART_WEEKS = 12
ACTIVITY_SHOWN = 10
DATE_TIME = "%-d %b %Y, %H:%M"


@dataclass(frozen=True)
class Money:
    currency: str
    amount: Decimal

    @property
    def text(self) -> str:
        return money_text(self.amount, self.currency)


@dataclass(frozen=True)
class MoneyFigure:
    """A count and its amounts, one per currency (the organisation's own first), and the
    list behind it."""

    count: int
    amounts: tuple[Money, ...]
    url: str


def _sales_list(**params: str) -> str:
    return f"{reverse('invoicing:sales_list')}?{urlencode(params)}"


def _by_currency(rows: Iterable[dict], organisation: Organisation, key: str) -> tuple[Money, ...]:
    amounts = [Money(currency=row[key], amount=row["amount"] or ZERO) for row in rows]
    own = organisation.default_currency
    return tuple(sorted(amounts, key=lambda money: (money.currency != own, money.currency)))


def _invoice_figure(invoices, organisation: Organisation, url: str) -> MoneyFigure:
    rows = list(
        invoices.order_by()
        .values("currency")
        .annotate(amount=Sum(F("total") - F("amount_paid")), count=Count("pk"))
    )
    return MoneyFigure(
        count=sum(row["count"] for row in rows),
        amounts=_by_currency(rows, organisation, "currency"),
        url=url,
    )


def money_owed(*, organisation: Organisation) -> MoneyFigure:
    """What customers owe: the balance of unpaid and part-paid sales invoices."""
    return _invoice_figure(
        owed_invoices(organisation=organisation), organisation, _sales_list(owed="1")
    )


def overdue(*, organisation: Organisation, today: datetime.date) -> MoneyFigure:
    """Owed sales invoices due before today (the organisation's today)."""
    return _invoice_figure(
        owed_invoices(organisation=organisation).filter(due_date__lt=today),
        organisation,
        _sales_list(overdue="on"),
    )


def paid_this_month(*, organisation: Organisation, today: datetime.date) -> MoneyFigure:
    """Payments received on sales invoices, dated from the 1st of this month."""
    first = today.replace(day=1)
    rows = list(
        Payment.objects.for_org(organisation)
        .live()
        .filter(invoice__kind=Invoice.Kind.SALES, date__gte=first, date__lte=today)
        .order_by()
        .values("invoice__currency")
        .annotate(amount=Sum("amount"), count=Count("pk"))
    )
    return MoneyFigure(
        count=sum(row["count"] for row in rows),
        amounts=_by_currency(rows, organisation, "invoice__currency"),
        url=_sales_list(paid_since=first.isoformat()),
    )


# --- The chart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    start: datetime.date
    invoiced: Decimal
    paid: Decimal

    @property
    def label(self) -> str:
        return f"{self.start:%-d %b}"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Chart:
    """Invoiced (sales invoices by issue date, finalised, not void) and paid (payments by
    date) per week, Monday to Sunday, in the organisation's own currency."""

    currency: str
    weeks: tuple[Week, ...]
    width: int = 480
    height: int = 140
    bar_width: int = 14

    @property
    def highest(self) -> Decimal:
        return max([w.invoiced for w in self.weeks] + [w.paid for w in self.weeks] + [ZERO])

    @property
    def empty(self) -> bool:
        return self.highest == 0

    def _bar(self, index: int, offset: int, value: Decimal) -> Bar:
        slot = self.width / len(self.weeks)
        height = float(value / self.highest) * (self.height - 4) if self.highest else 0.0
        x = index * slot + (slot - 2 * self.bar_width) / 2 + offset * self.bar_width
        return Bar(x=round(x, 1), y=round(self.height - height, 1), height=round(height, 1))

    @property
    def bars(self) -> list[tuple[Week, Bar, Bar, str, str]]:
        return [
            (
                week,
                self._bar(index, 0, week.invoiced),
                self._bar(index, 1, week.paid),
                money_text(week.invoiced, self.currency),
                money_text(week.paid, self.currency),
            )
            for index, week in enumerate(self.weeks)
        ]


def weekly_totals(
    *, organisation: Organisation, today: datetime.date, weeks: int = CHART_WEEKS
) -> Chart:
    currency = organisation.default_currency
    first = today - datetime.timedelta(days=today.weekday(), weeks=weeks - 1)
    invoiced = (
        Invoice.objects.for_org(organisation)
        .filter(kind=Invoice.Kind.SALES, currency=currency, issue_date__range=(first, today))
        .exclude(status__in=(Invoice.Status.DRAFT, Invoice.Status.VOID))
        .order_by()
        .values_list("issue_date")
        .annotate(amount=Sum("total"))
    )
    paid = (
        Payment.objects.for_org(organisation)
        .live()
        .filter(
            invoice__kind=Invoice.Kind.SALES,
            invoice__currency=currency,
            date__range=(first, today),
        )
        .order_by()
        .values_list("date")
        .annotate(amount=Sum("amount"))
    )
    sums = {"invoiced": [ZERO] * weeks, "paid": [ZERO] * weeks}
    for name, rows in (("invoiced", invoiced), ("paid", paid)):
        for day, amount in rows:
            sums[name][(day - first).days // 7] += amount
    return Chart(
        currency=currency,
        weeks=tuple(
            Week(
                start=first + datetime.timedelta(weeks=i),
                invoiced=sums["invoiced"][i],
                paid=sums["paid"][i],
            )
            for i in range(weeks)
        ),
    )


# --- Sync health -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderHealth:
    name: str
    key: str
    status: str  # the connection's state in words, as the Integrations page says it
    tone: str
    waiting: int
    failed: int
    failed_url: str
    page_url: str
    earlier: int  # finalised before the connection was made and not sent since
    earlier_url: str


def sync_health(*, cards: Iterable[Card], manages: bool = True) -> list[ProviderHealth]:
    """Each linked provider: invoices waiting and failed, and (for whoever manages
    integrations, who can send them) the earlier invoices a back-fill would send."""
    health = []
    for card in cards:
        if card.error or not card.linked:
            continue
        key = card.provider.key
        page_url = reverse("integrations:provider", args=[key]) if manages else ""
        earlier = 0
        if manages and backfill_offered(connection=card.connection):
            earlier = backfill_count(connection=card.connection)
        backlog = card.backlog
        health.append(
            ProviderHealth(
                name=card.provider.name,
                key=key,
                status=card.status.label if card.status else "",
                tone=card.tile_tone,
                waiting=backlog.waiting if backlog else 0,
                failed=backlog.failed if backlog else 0,
                failed_url=reverse("sync:failed", args=[key]),
                page_url=page_url,
                earlier=earlier,
                earlier_url=f"{page_url}#backfill-{key}",
            )
        )
    return health


# --- Appointments, activity --------------------------------------------------------------


@dataclass
class AppointmentDay:
    date: datetime.date
    label: str
    url: str
    appointments: list[Appointment] = field(default_factory=list)


def upcoming_appointments(
    *, organisation: Organisation, today: datetime.date
) -> list[AppointmentDay]:
    """Today's and tomorrow's appointments, not cancelled, by start time; each carries
    `local_time`, its start on the organisation's clock."""
    zone = ZoneInfo(organisation.timezone)
    tomorrow = today + datetime.timedelta(days=1)
    days = {
        day: AppointmentDay(
            date=day, label=label, url=reverse("scheduling:day", args=[day.isoformat()])
        )
        for day, label in ((today, "Today"), (tomorrow, "Tomorrow"))
    }
    start, _ = day_bounds(today, zone=zone)
    _, end = day_bounds(tomorrow, zone=zone)
    rows = appointments_between(organisation=organisation, start=start, end=end).exclude(
        status=Appointment.Status.CANCELLED
    )
    for appointment in rows:
        local_start = appointment.start.astimezone(zone)
        appointment.local_time = f"{local_start:%H:%M}"
        day = days.get(local_start.date())
        if day is not None:  # one that began yesterday and runs on is not listed
            day.appointments.append(appointment)
    return list(days.values())


@dataclass(frozen=True)
class ActivityLine:
    text: str
    who: str
    at: str
    url: str


# What each logged object is called, and the page that shows it.
_OBJECT_PAGES = {
    "invoicing.Invoice": ("invoice", "invoicing:invoice_detail"),
    "crm.Quote": ("quote", "crm:quote_detail"),
    "crm.Lead": ("lead", "crm:lead_detail"),
    "crm.Project": ("project", "crm:project_detail"),
    "crm.Contract": ("contract", "crm:contract_detail"),
    "scheduling.Appointment": ("appointment", "scheduling:detail"),
    "invoicing.Customer": ("customer", "crm:customer_detail"),
}
# Actions logged on another object than the one they name: "message.posted" is logged on the
# customer, and reads "Message posted: customer …".
_LOGGED_ON_ANOTHER = {"message", "contact"}


def _activity_line(entry: AuditLog, zone: ZoneInfo) -> ActivityLine:
    noun, url_name = _OBJECT_PAGES.get(
        entry.object_type, (entry.object_type.rsplit(".", 1)[-1].lower(), "")
    )
    subject = f"{noun} {entry.object_repr}".strip()
    url = ""
    if url_name and entry.object_id.isdigit():
        url = reverse(url_name, args=[int(entry.object_id)])
    label = audit_label(entry.action)
    named = entry.action.split(".", 1)[0]
    if named in _LOGGED_ON_ANOTHER and named != noun:
        label = f"{named.capitalize()} {label.lower()}"
    who = "Torqueflow"
    if entry.actor is not None:
        who = entry.actor.get_full_name() or entry.actor.email
    return ActivityLine(
        text=f"{label}: {subject}" if subject else label,
        who=who,
        at=entry.at.astimezone(zone).strftime(DATE_TIME),
        url=url,
    )


def recent_activity(
    *, organisation: Organisation, limit: int = ACTIVITY_SHOWN
) -> list[ActivityLine]:
    """The newest entries of the organisation's log, in words."""
    zone = ZoneInfo(organisation.timezone)
    entries = AuditLog.objects.for_org(organisation).select_related("actor").order_by("-at", "-pk")
    return [_activity_line(entry, zone) for entry in entries[:limit]]


# --- First-run checklist -----------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistStep:
    label: str
    done: bool
    url: str


def _team_invited(organisation: Organisation) -> bool:
    """Someone besides the first member joined, or an invitation went out."""
    return (
        Membership.objects.filter(organisation=organisation).count() > 1
        or Invitation.objects.filter(organisation=organisation, revoked_at__isnull=True).exists()
    )


def first_run_checklist(
    *, organisation: Organisation, cards: Iterable[Card]
) -> list[ChecklistStep] | None:
    """The four first steps, each ticked from what the organisation has done; None once
    all are done or the checklist was dismissed."""
    if ChecklistDismissal.objects.filter(organisation=organisation).exists():
        return None
    accounting = any(
        card.active and not card.error and card.provider.account_codes is not None for card in cards
    )
    steps = [
        ChecklistStep("Connect your accounting", accounting, reverse("integrations:index")),
        ChecklistStep(
            "Add your first customer",
            Customer.objects.for_org(organisation).exists(),
            reverse("invoicing:customer_new"),
        ),
        ChecklistStep(
            "Send your first invoice",
            Invoice.objects.for_org(organisation)
            .filter(kind=Invoice.Kind.SALES)
            .exclude(status__in=(Invoice.Status.DRAFT, Invoice.Status.VOID))
            .exists(),
            reverse("invoicing:sales_new"),
        ),
        ChecklistStep("Invite your team", _team_invited(organisation), reverse("settings_team")),
    ]
    return None if all(step.done for step in steps) else steps


# --- The page ----------------------------------------------------------------------------


@dataclass
class Home:
    today: datetime.date
    zero: str = ""  # no money yet, in the organisation's currency
    owed: MoneyFigure | None = None
    overdue: MoneyFigure | None = None
    paid: MoneyFigure | None = None
    chart: Chart | None = None
    activity: list[ActivityLine] | None = None
    sync: list[ProviderHealth] | None = None
    appointments: list[AppointmentDay] | None = None
    checklist: list[ChecklistStep] | None = None


def home_figures(*, membership: Membership) -> Home:
    """What the member's role lets them see: money and activity with invoices, appointments
    with the CRM, sync health and the checklist with managing integrations."""
    organisation = membership.organisation
    today = organisation_today(organisation)
    home = Home(today=today, zero=money_text(ZERO, organisation.default_currency))
    if membership.can(INVOICES_VIEW):
        home.owed = money_owed(organisation=organisation)
        home.overdue = overdue(organisation=organisation, today=today)
        home.paid = paid_this_month(organisation=organisation, today=today)
        home.chart = weekly_totals(organisation=organisation, today=today)
        home.activity = recent_activity(organisation=organisation)
    if membership.can(CRM_VIEW):
        home.appointments = upcoming_appointments(organisation=organisation, today=today)
    # Sync health: all of it for whoever manages integrations; the providers whose invoices
    # a member may sync (and whose failed list they may open) for the others.
    manages = membership.can(INTEGRATIONS_MANAGE)
    syncs = {p.key for p in registry.all_providers() if membership.can(p.sync_capability)}
    if manages or syncs:
        cards = integration_cards(organisation=organisation)
        shown = [card for card in cards if manages or card.provider.key in syncs]
        home.sync = sync_health(cards=shown, manages=manages)
        if manages:
            home.checklist = first_run_checklist(organisation=organisation, cards=cards)
        elif not home.sync:
            home.sync = None  # nothing linked that this member syncs: no section
    return home
