"""Money: pennies, half-up, line by line — the way Xero totals an invoice."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from invoicing.models import InvoiceLine
from invoicing.money import line_amounts, plain, to_pennies, totals

from ..factories import make_invoice
from ..helpers import detail_url, text, visible_text

D = Decimal


@pytest.mark.parametrize(
    ("quantity", "unit_price", "net"),
    [
        ("3", "0.335", "1.01"),  # 1.005 rounds half-up, not to the even 1.00
        ("1", "0.125", "0.13"),
        ("1", "0.0049", "0.00"),
        ("1", "0.0050", "0.01"),
        ("2.5", "19.99", "49.98"),  # 49.975
        ("0.3333", "3", "1.00"),  # 0.9999
        ("10", "0.1235", "1.24"),  # 1.235, a 4-dp unit price
        ("1", "-0.005", "-0.01"),  # a credit line rounds away from zero too
    ],
)
def test_line_net_is_rounded_half_up_to_pennies(quantity, unit_price, net):
    amounts = line_amounts(quantity=D(quantity), unit_price=D(unit_price), tax_rate=D("0"))

    assert amounts.net == D(net)
    assert amounts.tax == D("0.00")


@pytest.mark.parametrize(
    ("net_price", "rate", "tax"),
    [
        ("0.25", "10", "0.03"),  # 0.025 → 0.03
        ("0.03", "20", "0.01"),  # 0.006 → 0.01
        ("0.02", "20", "0.00"),  # 0.004 → 0.00
        ("100.00", "20", "20.00"),
        ("33.33", "17.5", "5.83"),  # 5.83275
        ("10.00", "0", "0.00"),
    ],
)
def test_line_tax_is_rounded_half_up_on_the_rounded_net(net_price, rate, tax):
    assert line_amounts(quantity=D("1"), unit_price=D(net_price), tax_rate=D(rate)).tax == D(tax)


def test_tax_is_taken_on_the_rounded_net_not_the_raw_product():
    amounts = line_amounts(quantity=D("1"), unit_price=D("0.045"), tax_rate=D("10"))

    assert amounts.net == D("0.05")
    assert amounts.tax == D("0.01")  # 0.05 x 10% = 0.005 → 0.01; raw 0.0045 would give 0.00


def test_totals_sum_the_rounded_lines():
    lines = [line_amounts(quantity=D("1"), unit_price=D("0.03"), tax_rate=D("20"))] * 3

    result = totals(lines)

    assert result.subtotal == D("0.09")
    assert result.tax == D("0.03")  # 3 x 0.01; tax on the sum would be 0.018 → 0.02
    assert result.total == D("0.12")


def test_totals_of_nothing_are_zero():
    result = totals([])

    assert (result.subtotal, result.tax, result.total) == (D("0.00"), D("0.00"), D("0.00"))


def test_to_pennies_is_half_up():
    assert to_pennies(D("2.675")) == D("2.68")
    assert to_pennies(D("-2.675")) == D("-2.68")
    assert to_pennies(D("2.665")) == D("2.67")


def _invoice_level(lines, rate):
    """What a naive invoice-level calculation would give, to show per-line is different."""
    net = sum(D(q) * D(p) for q, p in lines)
    tax = (net * D(rate) / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    return net.quantize(D("0.01"), rounding=ROUND_HALF_UP), tax


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "rate", "subtotal", "tax"),
    [
        # three lines of 0.03 at 20%: 0.01 tax each → 0.03; on the sum 0.09 → 0.018 → 0.02
        ([("1", "0.03")] * 3, "20", "0.09", "0.03"),
        # three lines of 0.005 net: 0.01 each → 0.03; on the sum 0.015 → 0.02
        ([("1", "0.005")] * 3, "0", "0.03", "0.00"),
        # two lines of 3 x 0.335: 1.01 each → 2.02; on the sum 2.01
        ([("3", "0.335")] * 2, "20", "2.02", "0.40"),
        # two lines of 0.25 at 10%: 0.03 tax each → 0.06; on the sum 0.05
        ([("1", "0.25")] * 2, "10", "0.50", "0.06"),
    ],
)
def test_invoice_totals_are_rounded_per_line_then_summed(org, lines, rate, subtotal, tax):
    invoice = make_invoice(org, lines=[(q, p, rate) for q, p in lines])

    naive_subtotal, naive_tax = _invoice_level(lines, rate)
    assert (naive_subtotal, naive_tax) != (D(subtotal), D(tax)), "pick a case that differs"
    assert invoice.subtotal == D(subtotal)
    assert invoice.tax_total == D(tax)
    assert invoice.total == D(subtotal) + D(tax)
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.tax_total) == (D(subtotal), D(tax))
    stored = list(InvoiceLine.objects.filter(invoice=invoice))
    assert sum(line.line_amount for line in stored) == D(subtotal)
    assert sum(line.tax_amount for line in stored) == D(tax)


@pytest.mark.django_db
def test_four_decimal_unit_price_is_kept_and_shown(org, owner_client):
    invoice = make_invoice(org, lines=[("10", "0.1235", "20")])

    line = invoice.lines.get()
    assert line.unit_price == D("0.1235")
    assert line.line_amount == D("1.24")
    assert line.tax_amount == D("0.25")  # 1.24 x 20% = 0.248
    assert invoice.total == D("1.49")
    page = text(owner_client.get(detail_url(invoice)))
    assert "0.1235" in page
    assert "£1.49" in page


@pytest.mark.django_db
def test_mixed_tax_rates_are_taxed_line_by_line(org):
    invoice = make_invoice(org, lines=[("1", "99.99", "20"), ("2", "4.175", "5"), ("1", "50", "0")])

    assert [(x.line_amount, x.tax_amount) for x in invoice.lines.all()] == [
        (D("99.99"), D("20.00")),  # 19.998
        (D("8.35"), D("0.42")),  # 8.35 x 5% = 0.4175
        (D("50.00"), D("0.00")),
    ]
    assert invoice.subtotal == D("158.34")
    assert invoice.tax_total == D("20.42")
    assert invoice.total == D("178.76")


@pytest.mark.parametrize(
    ("value", "shown"),
    [("10.0000", "10"), ("3.5000", "3.5"), ("0.1235", "0.1235"), ("100", "100"), ("1E+2", "100")],
)
def test_plain_shows_decimals_without_trailing_zeros_or_exponent(value, shown):
    assert plain(D(value)) == shown


@pytest.mark.django_db
def test_the_detail_page_shows_quantities_and_prices_plainly(org, owner_client):
    invoice = make_invoice(org, lines=[("10", "80", "20"), ("2.5", "5.125", "17.5")])

    page = visible_text(owner_client.get(detail_url(invoice)))

    assert "Line 1 10 80.00" in page  # not 1E+1, not 80.0000
    assert "Line 2 2.5 5.125" in page
    assert "17.5" in page


@pytest.mark.django_db
def test_the_edit_form_shows_quantities_and_prices_plainly(org, owner_client):
    invoice = make_invoice(org, lines=[("10", "80", "20")])

    page = text(owner_client.get(reverse("invoicing:invoice_edit", args=[invoice.pk])))

    assert 'name="lines-0-quantity" value="10"' in page
    assert 'name="lines-0-unit_price" value="80"' in page
