"""The invoice pages: list, create and edit with the lines formset, finalise, void, payments,
the htmx fragments, and CSRF."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from invoicing.models import Invoice, Payment
from invoicing.services.payments import payment_delete

from ..factories import (
    CustomerFactory,
    NominalCodeFactory,
    SupplierFactory,
    WorkOrderFactory,
    make_invoice,
    make_payment,
    payment_method,
)
from ..helpers import (
    detail_url,
    invoice_post,
    messages_of,
    payment_post,
    text,
    visible_text,
)

pytestmark = pytest.mark.django_db

D = Decimal
SALES_LIST = reverse("invoicing:sales_list")
SALES_NEW = reverse("invoicing:sales_new")
LINE = {"description": "Labour", "quantity": "2", "unit_price": "45.50", "tax_rate": "20"}
# A row the user added and left alone: only the defaults are filled in.
BLANK_LINE = {"description": "", "quantity": "1", "unit_price": "", "tax_rate": "20"}


def edit_url(invoice):
    return reverse("invoicing:invoice_edit", args=[invoice.pk])


def rows_in(page: str) -> list[str]:
    """The invoice numbers listed, in order."""
    return re.findall(r">((?:INV|BILL)-\d{4})</a>", page)


# The list


@pytest.fixture
def listed(org):
    """Four sales invoices in different states, and a purchase."""
    jane = CustomerFactory(organisation=org, name="Jane Smith")
    tom = CustomerFactory(organisation=org, name="Tom Baker")
    draft = make_invoice(org, customer=jane, reference="boiler")
    unpaid = make_invoice(org, customer=tom, finalise=True, reference="radiators")
    part = make_invoice(org, customer=jane, finalise=True)
    make_payment(part, "10")
    paid = make_invoice(org, customer=tom, finalise=True)
    make_payment(paid, "120")
    bill = make_invoice(org, kind=Invoice.Kind.PURCHASE, supplier=SupplierFactory(organisation=org))
    return {"draft": draft, "unpaid": unpaid, "part": part, "paid": paid, "bill": bill}


def test_the_list_shows_sales_invoices_only(owner_client, listed):
    page = text(owner_client.get(SALES_LIST))

    assert sorted(rows_in(page)) == ["INV-0001", "INV-0002", "INV-0003", "INV-0004"]
    assert "Part paid" in page
    purchases = text(owner_client.get(reverse("invoicing:purchase_list")))
    assert rows_in(purchases) == ["BILL-0001"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", ["INV-0001"]),
        ("unpaid", ["INV-0002"]),
        ("part_paid", ["INV-0003"]),
        ("paid", ["INV-0004"]),
        ("void", []),
        ("", ["INV-0001", "INV-0002", "INV-0003", "INV-0004"]),
        ("nonsense", ["INV-0001", "INV-0002", "INV-0003", "INV-0004"]),
    ],
)
def test_filter_by_status(owner_client, listed, status, expected):
    response = owner_client.get(SALES_LIST, {"status": status})

    assert response.status_code == 200
    assert sorted(rows_in(text(response))) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("jane", ["INV-0001", "INV-0003"]),  # customer name, any case
        ("INV-0002", ["INV-0002"]),  # number
        ("radiat", ["INV-0002"]),  # reference
        ("  tom  ", ["INV-0002", "INV-0004"]),  # stripped
        ("nobody", []),
        ("%", []),  # not a wildcard
    ],
)
def test_search(owner_client, listed, q, expected):
    page = text(owner_client.get(SALES_LIST, {"q": q}))

    assert sorted(rows_in(page)) == expected
    if not expected:
        assert "No invoices match." in page


def test_status_and_search_combine(owner_client, listed):
    page = text(owner_client.get(SALES_LIST, {"q": "tom", "status": "paid"}))

    assert rows_in(page) == ["INV-0004"]


@pytest.fixture
def thirty(org):
    customer = CustomerFactory(organisation=org)
    return [make_invoice(org, customer=customer) for _ in range(30)]


def test_the_list_is_paginated_newest_first(owner_client, thirty):
    first = text(owner_client.get(SALES_LIST))
    second = text(owner_client.get(SALES_LIST, {"page": "2"}))

    assert len(rows_in(first)) == 25
    assert rows_in(first)[0] == "INV-0030"
    assert rows_in(second) == [f"INV-{n:04d}" for n in range(5, 0, -1)]
    assert "Page 1 of 2 · 30 in all" in first
    assert "Next →" in first


def test_pagination_links_keep_the_filters(owner_client, thirty):
    page = text(owner_client.get(SALES_LIST, {"status": "draft", "q": "INV"}))

    assert "?status=draft&amp;q=INV&amp;page=2" in page


@pytest.mark.parametrize(
    ("value", "shown_page"),
    [("abc", 1), ("0", 1), ("-3", 1), ("9999", 2), ("1.5", 1), ("", 1), ("²", 1), ("1e999", 1)],
)
def test_odd_page_numbers_never_fail(owner_client, thirty, value, shown_page):
    response = owner_client.get(SALES_LIST, {"page": value})

    assert response.status_code == 200
    assert f"Page {shown_page} of 2" in text(response)


def test_odd_page_numbers_on_the_customer_list_never_fail(owner_client, org):
    for _ in range(51):
        CustomerFactory(organisation=org)

    for value in ("abc", "9999", "-1"):
        assert (
            owner_client.get(reverse("invoicing:customer_list"), {"page": value}).status_code == 200
        )


def test_htmx_filter_request_gets_only_the_table(owner_client, listed):
    response = owner_client.get(
        SALES_LIST,
        {"status": "paid"},
        headers={"HX-Request": "true", "HX-Target": "invoice-results"},
    )

    page = text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="invoice-results"')
    assert "<html" not in page
    assert 'class="filters"' not in page
    assert rows_in(page) == ["INV-0004"]


def test_htmx_request_for_another_target_gets_the_whole_page(owner_client, listed):
    response = owner_client.get(SALES_LIST, headers={"HX-Request": "true", "HX-Target": "main"})

    assert "<html" in text(response)


def test_accountant_sees_no_new_invoice_button(accountant_client, owner_client):
    assert "New invoice" not in text(accountant_client.get(SALES_LIST))
    assert "New invoice" in text(owner_client.get(SALES_LIST))


# Creating


def test_the_new_invoice_form_starts_with_one_line(owner_client, org):
    page = text(owner_client.get(SALES_NEW))

    assert 'name="lines-TOTAL_FORMS" value="1"' in page
    assert 'name="lines-0-description"' in page
    assert 'name="currency"' in page and 'value="GBP"' in page


def test_create_a_draft(owner_client, org, owner):
    customer = CustomerFactory(organisation=org)
    code = NominalCodeFactory(organisation=org)
    lines = [
        {**LINE, "nominal_code": code.pk},
        {"description": "Parts", "quantity": "1", "unit_price": "10.0050", "tax_rate": "0"},
    ]

    response = owner_client.post(
        SALES_NEW, invoice_post(customer, lines=lines, reference="Job 7", currency="eur")
    )

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(invoice)
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.customer == customer
    assert invoice.reference == "Job 7"
    assert invoice.currency == "EUR"
    assert [line.description for line in invoice.lines.all()] == ["Labour", "Parts"]
    assert invoice.lines.first().nominal_code == code
    assert invoice.total == D("119.21")  # 91.00 + 18.20 tax + 10.01 (10.0050 rounded half-up)
    page = owner_client.get(response.url)
    assert "Draft INV-0001 saved." in text(page)


def test_create_with_a_work_order(owner_client, org):
    order = WorkOrderFactory(organisation=org)

    owner_client.post(SALES_NEW, invoice_post(order.customer, work_order=order.pk, lines=[LINE]))

    assert Invoice.objects.get().work_order == order


def test_create_a_purchase_invoice(owner_client, org):
    supplier = SupplierFactory(organisation=org)

    response = owner_client.post(reverse("invoicing:purchase_new"), invoice_post(supplier))

    bill = Invoice.objects.get()
    assert response.url == detail_url(bill)
    assert (bill.kind, bill.number, bill.supplier) == ("purchase", "BILL-0001", supplier)


def test_removed_and_blank_lines_are_skipped(owner_client, org):
    customer = CustomerFactory(organisation=org)
    data = invoice_post(
        customer,
        lines=[LINE, {**LINE, "description": "Removed"}, BLANK_LINE],
    )
    data["lines-1-DELETE"] = "on"

    response = owner_client.post(SALES_NEW, data)

    assert response.status_code == 302
    assert [line.description for line in Invoice.objects.get().lines.all()] == ["Labour"]


def bad_post(org, **changes):
    customer = CustomerFactory(organisation=org)
    data = invoice_post(customer, lines=[LINE])
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


BAD_INPUT = {
    "missing customer": ({"party": ""}, "This field is required."),
    "unknown customer": ({"party": "999999"}, "Select a valid choice."),
    "letters in quantity": ({"lines-0-quantity": "two"}, "Enter a number."),
    "letters in price": ({"lines-0-unit_price": "£10"}, "Enter a number."),
    "zero quantity": ({"lines-0-quantity": "0"}, "greater than or equal to 0.0001"),
    "five decimal places": ({"lines-0-unit_price": "1.00001"}, "more than 4 decimal places"),
    "missing description": ({"lines-0-description": ""}, "This field is required."),
    "tax over 100": ({"lines-0-tax_rate": "150"}, "less than or equal to 100"),
    "due before issue": ({"due_date": "2025-03-09"}, "The due date cannot be before the issue"),
    "bad date": ({"issue_date": "31/02/2025"}, "Enter a valid date."),
    "currency digits": ({"currency": "123"}, "Use a three-letter currency code, such as GBP."),
    "currency too short": ({"currency": "12"}, "at least 3 characters"),
    "currency too long": ({"currency": "GBPX"}, "at most 3 characters"),
    "no lines": ({"lines-TOTAL_FORMS": "0"}, "Add at least one line."),
    "only blank lines": (
        {f"lines-0-{k}": v for k, v in BLANK_LINE.items()},
        "Add at least one line.",
    ),
    "huge TOTAL_FORMS": ({"lines-TOTAL_FORMS": "100000"}, "Please submit at most 200 forms."),
    "letters in TOTAL_FORMS": ({"lines-TOTAL_FORMS": "lots"}, "Enter a whole number."),
    "missing management form": (
        {k: None for k in ("lines-TOTAL_FORMS", "lines-INITIAL_FORMS")},
        "(Hidden field TOTAL_FORMS) This field is required.",
    ),
    "nul byte in description": ({"lines-0-description": "a\x00b"}, "Null characters"),
}


@pytest.mark.parametrize(("changes", "error"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_shown_inline_and_nothing_is_created(owner_client, org, changes, error):
    data = bad_post(org, **changes)
    owner_client.raise_request_exception = False

    response = owner_client.post(SALES_NEW, data)

    assert response.status_code == 400
    assert error in text(response)
    assert not Invoice.objects.exists()


def test_bad_input_keeps_what_was_typed(owner_client, org):
    data = bad_post(org, **{"lines-0-quantity": "two", "reference": "Keep me"})

    page = text(owner_client.post(SALES_NEW, data))

    assert 'value="Keep me"' in page
    assert 'value="two"' in page
    assert 'value="Labour"' in page


def test_a_work_order_with_a_live_invoice_is_refused_inline(owner_client, org):
    order = WorkOrderFactory(organisation=org)
    make_invoice(org, work_order=order)
    owner_client.raise_request_exception = False

    response = owner_client.post(
        SALES_NEW, invoice_post(order.customer, work_order=order.pk, lines=[LINE])
    )

    assert response.status_code == 400
    assert Invoice.objects.filter(work_order=order).count() == 1


def test_amounts_too_large_to_store_are_refused_inline(owner_client, org):
    data = bad_post(org, **{"lines-0-quantity": "99999999", "lines-0-unit_price": "99999999"})
    owner_client.raise_request_exception = False

    response = owner_client.post(SALES_NEW, data)

    assert response.status_code == 400
    assert not Invoice.objects.exists()


# Editing


def test_edit_shows_the_invoice_as_it_is(owner_client, org):
    invoice = make_invoice(org, lines=[("2.5", "19.9900", "20")], reference="Before")

    page = text(owner_client.get(edit_url(invoice)))

    assert 'value="Before"' in page
    assert 'name="lines-TOTAL_FORMS" value="1"' in page
    assert 'value="2.5"' in page
    assert 'value="19.99"' in page


def test_edit_a_draft(owner_client, org):
    invoice = make_invoice(org, lines=[(1, "10", "20")])
    data = invoice_post(invoice.customer, lines=[LINE, LINE], reference="After")

    response = owner_client.post(edit_url(invoice), data)

    assert response.status_code == 302
    assert response.url == detail_url(invoice)
    invoice.refresh_from_db()
    assert invoice.reference == "After"
    assert invoice.lines.count() == 2
    assert invoice.total == D("218.40")
    assert invoice.version == 2
    assert "INV-0001 saved." in text(owner_client.get(response.url))


def test_bad_edit_changes_nothing(owner_client, org):
    invoice = make_invoice(org, lines=[(1, "10", "20")])

    response = owner_client.post(edit_url(invoice), bad_post(org, **{"lines-0-quantity": "x"}))

    assert response.status_code == 400
    invoice.refresh_from_db()
    assert (invoice.version, invoice.total) == (1, D("12.00"))


def test_edit_of_a_finalised_invoice_warns_it_goes_to_accounting(owner_client, org):
    invoice = make_invoice(org, finalise=True)

    page = text(owner_client.get(edit_url(invoice)))

    assert "This invoice is finalised" in page


@pytest.mark.parametrize("amount", ["10", "120"])
def test_paid_invoices_cannot_be_edited(owner_client, org, amount):
    invoice = make_invoice(org, finalise=True)
    make_payment(invoice, amount)

    for response in (
        owner_client.get(edit_url(invoice)),
        owner_client.post(edit_url(invoice), invoice_post(invoice.customer)),
    ):
        assert response.status_code == 302
        assert response.url == detail_url(invoice)
    invoice.refresh_from_db()
    assert invoice.version == 2
    page = text(owner_client.get(detail_url(invoice)))
    assert "Only drafts and unpaid invoices without payments can be edited." in page
    assert ">Edit</a>" not in page


# Finalising, voiding, discarding


def test_finalise(owner_client, org):
    invoice = make_invoice(org)

    response = owner_client.post(reverse("invoicing:invoice_finalise", args=[invoice.pk]))

    assert response.url == detail_url(invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    page = text(owner_client.get(response.url))
    assert "INV-0001 finalised." in page
    assert "Record payment" in page


def test_finalise_a_zero_invoice_shows_why_not(owner_client, org):
    invoice = make_invoice(org, lines=[(1, "0", "20")])

    response = owner_client.post(
        reverse("invoicing:invoice_finalise", args=[invoice.pk]), follow=True
    )

    assert "The invoice total must be more than zero." in text(response)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT


def test_the_detail_page_offers_the_void_dialog_for_unpaid_invoices(owner_client, org):
    invoice = make_invoice(org, finalise=True)

    page = text(owner_client.get(detail_url(invoice)))

    assert '<dialog id="void-dialog"' in page
    assert f'action="{reverse("invoicing:invoice_void", args=[invoice.pk])}"' in page


def test_void_through_the_dialog(owner_client, org):
    invoice = make_invoice(org, finalise=True)

    response = owner_client.post(
        reverse("invoicing:invoice_void", args=[invoice.pk]), {"reason": "Duplicate"}
    )

    assert response.url == detail_url(invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert invoice.void_reason == "Duplicate"
    page = text(owner_client.get(response.url))
    assert "INV-0001 voided." in page
    assert ": Duplicate" in page
    assert "void-dialog" not in page


def test_the_void_page_works_without_javascript(owner_client, org):
    invoice = make_invoice(org, finalise=True)

    page = text(owner_client.get(reverse("invoicing:invoice_void", args=[invoice.pk])))

    assert "Void INV-0001?" in page
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID


def test_void_of_a_part_paid_invoice_is_refused_with_a_message(owner_client, org):
    invoice = make_invoice(org, finalise=True)
    make_payment(invoice, "10")

    response = owner_client.post(
        reverse("invoicing:invoice_void", args=[invoice.pk]), {"reason": "x"}, follow=True
    )

    assert "Delete the payments on this invoice before voiding it." in text(response)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PART_PAID


def test_void_of_a_draft_is_refused_with_a_message(owner_client, org):
    invoice = make_invoice(org)

    response = owner_client.post(
        reverse("invoicing:invoice_void", args=[invoice.pk]), {"reason": ""}, follow=True
    )

    assert "A draft cannot be voided" in text(response)


def test_discard_a_draft(owner_client, org):
    invoice = make_invoice(org)

    response = owner_client.post(reverse("invoicing:invoice_discard", args=[invoice.pk]))

    assert response.url == SALES_LIST
    assert not Invoice.objects.exists()
    assert "Draft INV-0001 discarded." in text(owner_client.get(SALES_LIST))


def test_discard_of_a_finalised_invoice_is_refused(owner_client, org):
    invoice = make_invoice(org, finalise=True)

    response = owner_client.post(
        reverse("invoicing:invoice_discard", args=[invoice.pk]), follow=True
    )

    assert "Only a draft can be discarded." in text(response)
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_discarding_a_bill_returns_to_purchases(owner_client, org):
    bill = make_invoice(org, kind=Invoice.Kind.PURCHASE)

    response = owner_client.post(reverse("invoicing:invoice_discard", args=[bill.pk]))

    assert response.url == reverse("invoicing:purchase_list")


def test_the_detail_page_shows_history_with_actors(owner_client, org, owner):
    invoice = make_invoice(org, actor=owner, finalise=True)
    make_payment(invoice, "30", source="xero", external_id="x1")  # no actor

    page = visible_text(owner_client.get(detail_url(invoice)))

    assert "Created by owner@alpha.test" in page
    assert "Finalised by owner@alpha.test" in page
    assert "Payment recorded (£30.00) by Torqueflow" in page


# Payments


def payment_url(invoice):
    return reverse("invoicing:payment_new", args=[invoice.pk])


def test_record_a_payment(owner_client, org, owner):
    invoice = make_invoice(org, finalise=True)
    form = text(owner_client.get(payment_url(invoice)))
    assert 'value="120.00"' in form  # the balance due is offered

    response = owner_client.post(payment_url(invoice), payment_post(invoice, "20.00"))

    assert response.url == detail_url(invoice)
    payment = Payment.objects.get()
    assert (payment.amount, payment.created_by) == (D("20.00"), owner)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PART_PAID
    page = text(owner_client.get(response.url))
    assert "Payment of £20.00 recorded." in page
    assert "Part paid" in page


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("", "This field is required."),
        ("abc", "Enter a number."),
        ("0", "greater than or equal to 0.01"),
        ("-10", "greater than or equal to 0.01"),
        ("1.234", "more than 2 decimal places"),
        ("NaN", "Enter a number."),
        ("120.01", "The amount is more than the balance due (120.00)."),
        ("1e9", "The amount is more than the balance due (120.00)."),
    ],
)
def test_bad_payment_amounts_are_refused_inline(owner_client, org, amount, error):
    invoice = make_invoice(org, finalise=True)

    response = owner_client.post(payment_url(invoice), payment_post(invoice, amount))

    assert response.status_code == 400
    assert error in text(response)
    assert not Payment.objects.exists()


def test_payment_needs_a_method_and_date(owner_client, org):
    invoice = make_invoice(org, finalise=True)

    response = owner_client.post(payment_url(invoice), payment_post(invoice, method="", date=""))

    assert response.status_code == 400
    assert text(response).count("This field is required.") == 2


@pytest.mark.parametrize("state", ["draft", "paid", "void"])
def test_nothing_to_pay_sends_back_with_a_message(owner_client, org, state):
    invoice = make_invoice(org, finalise=state != "draft")
    if state == "paid":
        make_payment(invoice, "120")
    elif state == "void":
        owner_client.post(reverse("invoicing:invoice_void", args=[invoice.pk]), {"reason": ""})
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.VOID
    count = Payment.objects.count()

    response = owner_client.post(payment_url(invoice), payment_post(invoice, "1.00"))

    assert response.url == detail_url(invoice)
    assert Payment.objects.count() == count
    assert "This invoice has nothing left to pay." in messages_of(response)


def delete_payment_url(payment):
    return reverse("invoicing:payment_delete", args=[payment.invoice_id, payment.pk])


def test_delete_a_payment_with_a_reason(owner_client, org):
    invoice = make_invoice(org, finalise=True)
    payment = make_payment(invoice, "120")

    response = owner_client.post(delete_payment_url(payment), {"reason": "Cheque bounced"})

    assert response.url == detail_url(invoice)
    payment.refresh_from_db()
    assert payment.deleted_reason == "Cheque bounced"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    page = text(owner_client.get(response.url))
    assert "Payment deleted." in page
    assert "Cheque bounced" in page  # the row stays, marked deleted


def test_delete_a_payment_needs_a_reason(owner_client, org):
    invoice = make_invoice(org, finalise=True)
    payment = make_payment(invoice, "120")

    response = owner_client.post(delete_payment_url(payment), {"reason": ""}, follow=True)

    assert "Give a reason for deleting the payment." in text(response)
    payment.refresh_from_db()
    assert payment.deleted_at is None


def test_delete_payment_needs_post(owner_client, org):
    invoice = make_invoice(org, finalise=True)
    payment = make_payment(invoice, "120")

    assert owner_client.get(delete_payment_url(payment)).status_code == 405
    payment.refresh_from_db()
    assert payment.deleted_at is None


def test_xero_payments_have_no_delete_button(owner_client, org):
    invoice = make_invoice(org, finalise=True)
    manual = make_payment(invoice, "20")
    xero = make_payment(
        invoice,
        "30",
        method=payment_method(org, "Xero Sync"),
        source="xero",
        external_id="x1",
    )

    page = text(owner_client.get(detail_url(invoice)))

    assert delete_payment_url(manual) in page
    assert delete_payment_url(xero) not in page


def test_deleted_payments_stay_listed_but_not_counted(owner_client, org):
    invoice = make_invoice(org, finalise=True)
    payment_delete(payment=make_payment(invoice, "20"), actor=None, reason="Wrong invoice")

    page = text(owner_client.get(detail_url(invoice)))

    assert "Deleted" in page and "Wrong invoice" in page
    assert "£0.00" in page  # paid
    assert "£120.00" in page  # balance due


# htmx: adding and removing line rows


def test_line_form_returns_the_next_row_and_bumps_the_count(owner_client):
    response = owner_client.get(
        reverse("invoicing:line_form"), {"lines-TOTAL_FORMS": "3"}, headers={"HX-Request": "true"}
    )

    page = text(response)
    assert response.status_code == 200
    assert 'name="lines-3-description"' in page
    assert 'name="lines-3-quantity"' in page
    assert 'name="lines-2-' not in page
    assert re.search(
        r'<input type="hidden" name="lines-TOTAL_FORMS" value="4"[^>]*hx-swap-oob="true"', page
    )
    assert "<html" not in page


@pytest.mark.parametrize(
    "value", [None, "", "abc", "-1", "200", "99999999999999999999", "²", "\u0661", "1_0", " 3"]
)
def test_line_form_refuses_bad_counts(owner_client, value):
    params = {} if value is None else {"lines-TOTAL_FORMS": value}

    response = owner_client.get(
        reverse("invoicing:line_form"), params, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/invoices/9999999999999999999999999/",
        "/invoices/9223372036854775808/edit/",
        "/invoices/0/",
        "/customers/99999999999999999999/edit/",
        "/sync/xero/invoices/99999999999999999999999/badge/",
    ],
)
def test_ids_past_the_database_range_are_not_found(owner_client, path):
    assert owner_client.get(path).status_code == 404


def test_line_form_offers_only_my_nominal_codes(owner_client, org, other_org):
    NominalCodeFactory(organisation=org, name="Mine")
    NominalCodeFactory(organisation=other_org, name="Theirs")

    page = text(owner_client.get(reverse("invoicing:line_form"), {"lines-TOTAL_FORMS": "1"}))

    assert "Mine" in page
    assert "Theirs" not in page


def test_line_removed_returns_a_hidden_delete_marker(owner_client):
    response = owner_client.get(
        reverse("invoicing:line_removed"), {"prefix": "lines-2"}, headers={"HX-Request": "true"}
    )

    page = text(response)
    assert response.status_code == 200
    assert '<input type="hidden" name="lines-2-DELETE" value="on">' in page
    assert "hidden" in page.split(">")[0]  # the row itself is hidden


@pytest.mark.parametrize("prefix", [None, "", "lines-", "lines-x", "other-1", "lines-1-DELETE"])
def test_line_removed_refuses_unknown_prefixes(owner_client, prefix):
    params = {} if prefix is None else {"prefix": prefix}

    assert owner_client.get(reverse("invoicing:line_removed"), params).status_code == 400


def test_a_row_added_by_htmx_is_saved(owner_client, org):
    """The row the line_form endpoint renders posts back as part of the formset."""
    customer = CustomerFactory(organisation=org)
    added = text(owner_client.get(reverse("invoicing:line_form"), {"lines-TOTAL_FORMS": "1"}))
    assert 'name="lines-1-description"' in added
    data = invoice_post(customer, lines=[LINE, {**LINE, "description": "Added"}])

    owner_client.post(SALES_NEW, data)

    assert [x.description for x in Invoice.objects.get().lines.all()] == ["Labour", "Added"]


# CSRF


def test_posts_without_a_csrf_token_are_refused(org, owner):
    invoice = make_invoice(org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse("invoicing:invoice_finalise", args=[invoice.pk])

    refused = client.post(url)

    assert refused.status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT

    client.get(detail_url(invoice))  # sets the CSRF cookie, as a browser would
    token = client.cookies["csrftoken"].value
    accepted = client.post(url, {"csrfmiddlewaretoken": token})

    assert accepted.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID


def test_htmx_posts_carry_the_token_in_a_header(org, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = text(client.get(SALES_LIST))
    token = client.cookies["csrftoken"].value

    assert "X-CSRFToken" in page
    response = client.post(
        reverse("accounts:organisation_switch"),
        {"organisation": org.pk},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 302


def search(client, name):
    client.raise_request_exception = False
    return client.get(reverse(name), {"q": "jane\x00"})


@pytest.mark.parametrize("name", ["invoicing:sales_list", "invoicing:purchase_list"])
def test_a_nul_byte_in_the_invoice_search_never_fails(owner_client, listed, name):
    assert search(owner_client, name).status_code == 200


@pytest.mark.parametrize("name", ["invoicing:customer_list", "invoicing:supplier_list"])
def test_a_nul_byte_in_the_party_search_never_fails(owner_client, listed, name):
    assert search(owner_client, name).status_code == 200
