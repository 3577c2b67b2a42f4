"""How amounts and dates read on every page: £1,234.56, 7 Dec 2026, 7 Dec 2026, 14:05."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from torqueflow import formatting
from torqueflow.formatting import day, moment, money


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (Decimal("1234.56"), "GBP", "£1,234.56"),
        (Decimal("180"), "EUR", "€180.00"),
        (Decimal("99.5"), "USD", "US$99.50"),
        (Decimal("1234567.8"), "GBP", "£1,234,567.80"),
        (Decimal("-5.00"), "GBP", "-£5.00"),
        (Decimal("0.00"), "GBP", "£0.00"),
        (Decimal("1500"), "JPY", "JP¥1,500"),
        (Decimal("12"), "CHF", "CHF\u00a012.00"),
        (Decimal("12"), "xyz", "XYZ\u00a012.00"),
        ("114", "GBP", "£114.00"),
    ],
)
def test_money_has_the_currency_symbol_and_grouping(value, currency, shown):
    assert money(value, currency) == shown


def test_money_leaves_nothing_and_non_numbers_alone():
    assert money(None, "GBP") == ""
    assert money("n/a", "GBP") == "n/a"


def test_dates_read_one_way():
    assert day(datetime.date(2026, 12, 7)) == "7 Dec 2026"
    assert day(None) == ""


def test_times_read_in_the_active_time_zone():
    at = datetime.datetime(2026, 7, 1, 13, 5, tzinfo=datetime.UTC)
    with timezone.override(ZoneInfo("Europe/London")):
        assert moment(at) == "1 Jul 2026, 14:05"
        assert day(datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC)) == "2 Jul 2026"
    with timezone.override(ZoneInfo("America/New_York")):
        assert moment(at) == "1 Jul 2026, 09:05"


def test_the_filters_are_there_in_every_template():
    rendered = Template("{{ a|money:c }} · {{ d|day }}").render(
        Context({"a": Decimal("1140"), "c": "GBP", "d": datetime.date(2026, 12, 7)})
    )
    assert rendered == "£1,140.00 · 7 Dec 2026"


@pytest.mark.django_db
def test_pages_show_times_in_the_organisations_time_zone(org, owner_client):
    from django.urls import reverse

    from tests.factories import make_invoice
    from tests.helpers import visible_text

    org.timezone = "Asia/Tokyo"
    org.save()
    invoice = make_invoice(org, finalise=True)
    invoice.voided_at = datetime.datetime(2026, 12, 7, 5, 5, tzinfo=datetime.UTC)
    invoice.status = "void"
    invoice.save()

    page = visible_text(owner_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])))

    assert "Voided 7 Dec 2026, 14:05" in page
    assert "£120.00" in page


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("ve9EPM428h8vShlRW1KT", "ve9EPM42…"),
        ("a3a4dbaf-3495-4e1b-9f2a-2e8b8f6c1d0e", "a3a4dbaf…"),
        ("AC0001", "AC0001"),
        ("123456789", "123456789"),  # one character more would be no shorter
        ("", ""),
        (None, ""),
    ],
)
def test_short_id(value, shown):
    assert formatting.short_id(value) == shown
