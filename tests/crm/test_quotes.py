"""Quotes: priced like invoices, sent, answered, expired, and converted into one invoice."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.models import Project, Quote
from crm.services.quotes import (
    QuoteInput,
    quote_convert,
    quote_create,
    quote_expire_if_due,
    quote_mark_accepted,
    quote_mark_declined,
    quote_mark_sent,
    quotes_expire_due,
)
from crm.tasks import expire_quotes_task
from invoicing.models import Invoice, WorkOrder

from ..factories import CustomerFactory, line_inputs, make_contact, make_invoice, make_quote
from ..helpers import invoice_post, messages_of, text, visible_text

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def quote_data(customer, lines=((1, "100.00", "20"),), **fields) -> QuoteInput:
    values = {
        "customer": customer,
        "issue_date": TODAY,
        "expiry_date": TODAY + datetime.timedelta(days=30),
        "currency": "GBP",
        "lines": line_inputs(lines),
        **fields,
    }
    return QuoteInput(**values)


def test_quote_totals_round_each_line_like_an_invoice(org):
    lines = ((3, "33.333", "20"), (1, "0.125", "20"), (2, "10", "0"))
    customer = CustomerFactory(organisation=org)

    quote = make_quote(org, customer=customer, lines=lines)
    invoice = make_invoice(org, customer=customer, lines=lines)

    assert (quote.subtotal, quote.tax_total, quote.total) == (
        invoice.subtotal,
        invoice.tax_total,
        invoice.total,
    )
    assert (quote.subtotal, quote.tax_total, quote.total) == (
        Decimal("120.13"),
        Decimal("20.03"),
        Decimal("140.16"),
    )
    assert [(line.line_amount, line.tax_amount) for line in quote.lines.all()] == [
        (Decimal("100.00"), Decimal("20.00")),
        (Decimal("0.13"), Decimal("0.03")),
        (Decimal("20.00"), Decimal("0.00")),
    ]


def test_quote_numbers_count_per_organisation(org, other_org):
    numbers = [make_quote(org).number for _ in range(2)] + [make_quote(other_org).number]

    assert numbers == ["QU-0001", "QU-0002", "QU-0001"]


def test_a_quote_refuses_another_customers_contact_and_a_late_issue(org):
    customer = CustomerFactory(organisation=org)
    stranger = make_contact(CustomerFactory(organisation=org), name="Someone Else")
    project = Project.objects.create(
        organisation=org, name="Elsewhere", customer=CustomerFactory(organisation=org)
    )

    with pytest.raises(ValidationError) as error:
        quote_create(
            organisation=org,
            actor=None,
            data=quote_data(
                customer,
                contact=stranger,
                project=project,
                expiry_date=TODAY - datetime.timedelta(days=1),
                lines=((1, "999999999999", "20"),),
            ),
        )

    assert error.value.message_dict == {
        "contact": ["The contact must be one of the customer's."],
        "project": ["The project must be the customer's."],
        "expiry_date": ["The expiry date cannot be before the issue date."],
        "lines": ["The amounts are too large for one quote."],
    }


def test_draft_to_sent_to_accepted_stamps_each_step(org):
    quote = make_quote(org)

    quote = quote_mark_sent(quote=quote, actor=None)
    assert quote.status == "sent" and quote.sent_at is not None
    quote = quote_mark_accepted(quote=quote, actor=None)
    assert quote.status == "accepted" and quote.accepted_at is not None
    # accepting again changes nothing
    assert quote_mark_accepted(quote=quote, actor=None).accepted_at == quote.accepted_at


def test_an_answered_quote_cannot_change_its_answer_or_be_edited(org):
    quote = make_quote(org, status="declined")

    with pytest.raises(ValidationError) as error:
        quote_mark_accepted(quote=quote, actor=None)
    assert error.value.messages == ["A quote that is declined cannot be marked accepted."]
    assert Quote.objects.get().declined_at is not None
    assert not quote.is_editable


def test_a_quote_without_lines_worth_anything_is_not_sent(org):
    quote = make_quote(org, lines=((1, "0", "20"),))

    with pytest.raises(ValidationError):
        quote_mark_sent(quote=quote, actor=None)


def test_a_sent_quote_past_its_expiry_date_expires(org):
    stale = make_quote(org, issue_date=TODAY - datetime.timedelta(days=40), status="sent")
    fresh = make_quote(org, issue_date=TODAY - datetime.timedelta(days=30), status="sent")
    draft = make_quote(org, issue_date=TODAY - datetime.timedelta(days=40))

    assert expire_quotes_task() == 1

    assert Quote.objects.get(pk=stale.pk).status == "expired"
    assert Quote.objects.get(pk=fresh.pk).status == "sent"  # expires at the end of its day
    assert Quote.objects.get(pk=draft.pk).status == "draft"
    assert quotes_expire_due() == 0


def test_opening_a_quote_past_its_date_shows_it_expired(staff_client, org):
    quote = make_quote(org, issue_date=TODAY - datetime.timedelta(days=40), status="sent")

    page = visible_text(staff_client.get(reverse("crm:quote_detail", args=[quote.pk])))

    assert f"{quote.number} Expired" in page
    assert "Mark accepted" not in page
    assert quote_expire_if_due(quote=Quote.objects.get()).status == "expired"


def test_an_expired_quote_cannot_be_accepted(org):
    quote = make_quote(org, issue_date=TODAY - datetime.timedelta(days=40), status="sent")

    with pytest.raises(ValidationError) as error:
        quote_mark_accepted(quote=quote, actor=None)

    assert error.value.messages == ["A quote that is expired cannot be marked accepted."]
    assert Quote.objects.get().status == "expired"


def test_an_accepted_quote_converts_into_one_draft_invoice(org, staff):
    customer = CustomerFactory(organisation=org)
    project = Project.objects.create(organisation=org, name="Studio", customer=customer)
    quote = make_quote(
        org,
        customer=customer,
        project=project,
        lines=((2, "245.00", "20"), (5, "55", "20")),
        status="accepted",
    )

    invoice, created = quote_convert(quote=quote, actor=staff)
    again, created_again = quote_convert(quote=quote, actor=staff)

    assert (created, created_again, again) == (True, False, invoice)
    assert (invoice.kind, invoice.status, invoice.customer, invoice.reference) == (
        "sales",
        "draft",
        customer,
        quote.number,
    )
    assert invoice.total == quote.total == Decimal("918.00")
    assert [(line.description, line.quantity) for line in invoice.lines.all()] == [
        ("Line 1", Decimal("2")),
        ("Line 2", Decimal("5")),
    ]
    work_order = WorkOrder.objects.get()
    assert (work_order.title, work_order.customer) == (f"Quote {quote.number}", customer)
    quote.refresh_from_db()
    assert (quote.invoice, quote.work_order, invoice.work_order) == (
        invoice,
        work_order,
        work_order,
    )
    assert list(project.invoices.all()) == [invoice]
    assert Invoice.objects.count() == 1


def test_only_an_accepted_quote_converts(org):
    quote = make_quote(org, status="sent")

    with pytest.raises(ValidationError):
        quote_convert(quote=quote, actor=None)
    assert not Invoice.objects.exists()


def test_quote_list_searches_number_customer_and_total(staff_client, org):
    acme = CustomerFactory(organisation=org, name="ACME Creative Agency")
    first = make_quote(org, customer=acme, lines=((1, "950", "20"),))
    second = make_quote(org, lines=((1, "10", "20"),), status="sent")
    url = reverse("crm:quote_list")

    def numbers(**query) -> list[str]:
        return [q.number for q in staff_client.get(url, query).context["page"].object_list]

    assert numbers(q="acme") == [first.number]
    assert numbers(q="1,140.00") == [first.number]
    assert numbers(q=second.number) == [second.number]
    assert numbers(status="sent") == [second.number]
    assert numbers(q="NaN") == []


def quote_post(customer, **fields) -> dict:
    return invoice_post(
        customer, **{"customer": customer.pk, "expiry_date": "2025-04-09", "notes": "", **fields}
    )


def test_the_quote_form_saves_a_draft_with_its_lines(staff_client, org):
    customer = CustomerFactory(organisation=org)

    response = staff_client.post(reverse("crm:quote_new"), quote_post(customer))

    quote = Quote.objects.get()
    assert response.url == reverse("crm:quote_detail", args=[quote.pk])
    assert (quote.status, quote.total, quote.lines.count()) == ("draft", Decimal("120.00"), 1)


def test_the_quote_form_shows_errors_beside_the_fields(staff_client, org):
    customer = CustomerFactory(organisation=org)
    data = quote_post(customer, expiry_date="2025-03-01", currency="GB1")

    response = staff_client.post(reverse("crm:quote_new"), data)

    assert response.status_code == 400
    page = text(response)
    assert "Use a three-letter currency code, such as GBP." in page
    assert not Quote.objects.exists()
    data["currency"] = "GBP"
    response = staff_client.post(reverse("crm:quote_new"), data)
    assert "The expiry date cannot be before the issue date." in text(response)


def test_the_quote_line_rows_come_from_the_quote_pages(staff_client):
    added = staff_client.get(reverse("crm:quote_line_form"), {"lines-TOTAL_FORMS": "1"})

    assert 'name="lines-1-description"' in text(added)
    assert reverse("crm:quote_line_removed") in text(added)
    assert staff_client.get(reverse("crm:quote_line_form")).status_code == 400


def test_accept_then_convert_from_the_pages_lands_on_the_draft_invoice(staff_client, org):
    quote = make_quote(org, status="sent")

    staff_client.post(reverse("crm:quote_accept", args=[quote.pk]))
    response = staff_client.post(reverse("crm:quote_convert", args=[quote.pk]))

    invoice = Invoice.objects.get()
    assert response.url == reverse("invoicing:invoice_detail", args=[invoice.pk])
    assert messages_of(response)[-1] == f"QU-0001 converted: draft {invoice.number} created."
    again = staff_client.post(reverse("crm:quote_convert", args=[quote.pk]))
    assert again.url == response.url
    assert messages_of(again)[-1] == (
        f"QU-0001 was already converted: this is its invoice {invoice.number}."
    )


def test_declining_from_the_page(staff_client, org):
    quote = make_quote(org, status="sent")

    response = staff_client.post(reverse("crm:quote_decline", args=[quote.pk]))

    assert messages_of(response) == ["QU-0001 marked declined."]
    assert Quote.objects.get().status == "declined"
    assert quote_mark_declined(quote=quote, actor=None).status == "declined"


def test_converting_needs_the_right_to_raise_invoices_too(staff_client, org):
    from accounts.models import Role

    role = Role.objects.get(organisation=org, key="staff")
    role.capabilities = [c for c in role.capabilities if c != "invoices.manage"]
    role.save()
    quote = make_quote(org, status="accepted")

    page = text(staff_client.get(reverse("crm:quote_detail", args=[quote.pk])))
    response = staff_client.post(reverse("crm:quote_convert", args=[quote.pk]))

    assert "Convert to invoice" not in page
    assert response.status_code == 403
    assert not Invoice.objects.exists()


def test_the_quote_page_shows_its_history(staff_client, org, staff):
    quote = make_quote(org, status="accepted", actor=staff)

    page = visible_text(staff_client.get(reverse("crm:quote_detail", args=[quote.pk])))

    assert "Created by staff@alpha.test" in page
    assert "Accepted by staff@alpha.test" in page
