"""The invoice services: create, update, finalise, void, discard, numbering, audit, signals."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from invoicing import signals
from invoicing.models import AuditLog, Invoice
from invoicing.services.invoices import (
    invoice_create,
    invoice_delete_draft,
    invoice_finalise,
    invoice_update,
    invoice_void,
)
from invoicing.services.payments import payment_delete

from ..factories import (
    CustomerFactory,
    NominalCodeFactory,
    WorkOrderFactory,
    invoice_data,
    make_invoice,
    make_payment,
)

D = Decimal
SALES, PURCHASE = Invoice.Kind.SALES, Invoice.Kind.PURCHASE


def audit_actions(invoice) -> list[tuple[str, object]]:
    entries = AuditLog.objects.filter(object_type="invoicing.Invoice", object_id=str(invoice.pk))
    return [(e.action, e.actor) for e in entries.order_by("pk")]


def create(org, actor=None, kind=SALES, **kwargs):
    return invoice_create(
        organisation=org, actor=actor, kind=kind, data=invoice_data(org, kind=kind, **kwargs)
    )


def update(invoice, actor=None, **kwargs):
    data = invoice_data(invoice.organisation, kind=invoice.kind, **kwargs)
    return invoice_update(invoice=invoice, actor=actor, data=data)


def validation_fields(callable_, *args, **kwargs) -> set[str]:
    with pytest.raises(ValidationError) as error:
        callable_(*args, **kwargs)
    return set(error.value.message_dict)


# Creating


def test_create_makes_a_draft_with_lines_and_totals(org, owner):
    invoice = create(
        org,
        actor=owner,
        currency="eur",
        lines=[(2, "50.00", "20"), (1, "10.00", "0")],
        reference="Job 12",
    )

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.number == "INV-0001"
    assert invoice.currency == "EUR"
    assert invoice.lines.count() == 2
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        D("110.00"),
        D("20.00"),
        D("130.00"),
    )
    assert invoice.amount_paid == D("0.00")
    assert invoice.version == 1
    assert audit_actions(invoice) == [("invoice.created", owner)]


def test_numbers_run_per_organisation_and_kind(org, other_org):
    numbers = [
        create(org).number,
        create(org).number,
        create(org, kind=PURCHASE).number,
        create(other_org).number,
        create(org).number,
        create(other_org, kind=PURCHASE).number,
        create(org, kind=PURCHASE).number,
    ]

    assert numbers == [
        "INV-0001",
        "INV-0002",
        "BILL-0001",
        "INV-0001",
        "INV-0003",
        "BILL-0001",
        "BILL-0002",
    ]


def test_a_discarded_drafts_number_is_not_handed_out_again(org):
    first = create(org)
    invoice_delete_draft(invoice=first, actor=None)

    assert create(org).number == "INV-0002"


def test_numbering_skips_a_number_already_taken(org):
    first = create(org)
    Invoice.objects.filter(pk=first.pk).update(number="INV-0002")

    assert create(org).number == "INV-0003"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"due_days": -1}, "due_date"),
        ({"currency": "12"}, "currency"),
        ({"currency": "GB"}, "currency"),
        ({"currency": "GBPX"}, "currency"),
    ],
)
def test_create_validates_dates_and_currency(org, kwargs, field):
    assert validation_fields(create, org, **kwargs) == {field}
    assert not Invoice.objects.exists()


def test_create_needs_a_customer_of_this_organisation(org, other_org):
    data = invoice_data(org)
    no_customer = data.__class__(**{**data.__dict__, "customer": None})
    their_customer = data.__class__(
        **{**data.__dict__, "customer": CustomerFactory(organisation=other_org)}
    )

    for bad in (no_customer, their_customer):
        with pytest.raises(ValidationError) as error:
            invoice_create(organisation=org, actor=None, kind=SALES, data=bad)
        assert error.value.message_dict == {"customer": ["Choose a customer."]}
    assert not Invoice.objects.exists()


def test_create_purchase_needs_a_supplier(org):
    data = invoice_data(org, kind=PURCHASE)
    data = data.__class__(**{**data.__dict__, "supplier": None})

    with pytest.raises(ValidationError) as error:
        invoice_create(organisation=org, actor=None, kind=PURCHASE, data=data)

    assert error.value.message_dict == {"supplier": ["Choose a supplier."]}


def test_purchase_invoices_have_no_customer_or_work_order(org):
    order = WorkOrderFactory(organisation=org)
    bill = make_invoice(org, kind=PURCHASE, work_order=order, customer=order.customer)

    bill.refresh_from_db()
    assert bill.number == "BILL-0001"
    assert bill.customer is None
    assert bill.work_order is None
    assert bill.supplier is not None


def test_create_refuses_another_customers_work_order(org):
    order = WorkOrderFactory(organisation=org)
    someone_else = CustomerFactory(organisation=org)

    fields = validation_fields(create, org, customer=someone_else, work_order=order)

    assert fields == {"work_order"}


def test_create_refuses_another_organisations_work_order_and_nominal_code(org, other_org):
    their_order = WorkOrderFactory(organisation=other_org)
    their_code = NominalCodeFactory(organisation=other_org)
    customer = CustomerFactory(organisation=org)

    assert validation_fields(create, org, customer=customer, work_order=their_order) == {
        "work_order"
    }
    assert validation_fields(create, org, lines=[(1, "10", "20", their_code)]) == {"lines"}
    assert not Invoice.objects.exists()


# Updating


def test_update_a_draft_replaces_lines_and_bumps_the_version(org, owner):
    invoice = make_invoice(org, lines=[(1, "10", "20"), (1, "20", "20")])

    invoice = update(invoice, actor=owner, lines=[(3, "5.00", "20")], reference="Revised")

    invoice.refresh_from_db()
    assert [(x.quantity, x.unit_price) for x in invoice.lines.all()] == [(D("3"), D("5"))]
    assert invoice.total == D("18.00")
    assert invoice.reference == "Revised"
    assert invoice.version == 2
    assert invoice.status == Invoice.Status.DRAFT
    assert audit_actions(invoice)[-1] == ("invoice.updated", owner)


def test_update_an_unpaid_invoice_without_payments(org):
    invoice = make_invoice(org, finalise=True)

    invoice = update(invoice, lines=[(1, "250", "20")])

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    assert invoice.total == D("300.00")
    assert invoice.version == 3  # created 1, finalised 2, updated 3


@pytest.mark.parametrize("state", ["part_paid", "paid", "void"])
def test_update_refuses_paid_and_void_invoices(org, state):
    invoice = make_invoice(org, finalise=True)
    if state == "part_paid":
        make_payment(invoice, "10")
    elif state == "paid":
        make_payment(invoice, "120")
    else:
        invoice = invoice_void(invoice=invoice, actor=None)
    invoice.refresh_from_db()
    version = invoice.version

    with pytest.raises(ValidationError, match="Only drafts and unpaid invoices"):
        update(invoice, lines=[(1, "1", "0")])
    invoice.refresh_from_db()
    assert invoice.version == version
    assert invoice.total == D("120.00")


def test_update_is_allowed_again_once_the_payments_are_deleted(org):
    invoice = make_invoice(org, finalise=True)
    payment_delete(payment=make_payment(invoice, "10"), actor=None, reason="Bounced")
    invoice.refresh_from_db()

    invoice = update(invoice, lines=[(1, "1", "0")])

    assert invoice.total == D("1.00")
    assert invoice.version == 3  # payments do not bump the version; the edit does


def test_update_validates_like_create(org):
    invoice = make_invoice(org)

    assert validation_fields(update, invoice, due_days=-5) == {"due_date"}
    invoice.refresh_from_db()
    assert invoice.version == 1


@pytest.mark.parametrize("lines", [[(1, "0", "20")], [(1, "-10", "20")]], ids=["zero", "negative"])
def test_update_keeps_a_finalised_invoice_total_above_zero(org, lines):
    invoice = make_invoice(org, finalise=True)

    with pytest.raises(ValidationError):
        update(invoice, lines=lines)

    invoice.refresh_from_db()
    assert invoice.total == D("120.00")


# Finalising


def test_finalise_a_draft(org, owner):
    invoice = make_invoice(org)

    invoice = invoice_finalise(invoice=invoice, actor=owner)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    assert invoice.finalised_at is not None
    assert invoice.version == 2
    assert invoice.balance_due == D("120.00")
    assert audit_actions(invoice)[-1] == ("invoice.finalised", owner)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "Add at least one line before finalising."),
        ([(1, "0", "20")], "The invoice total must be more than zero."),
        ([(1, "10", "0"), (1, "-20", "0")], "The invoice total must be more than zero."),
    ],
    ids=["no lines", "zero total", "negative total"],
)
def test_finalise_needs_lines_and_a_positive_total(org, lines, message):
    invoice = make_invoice(org, lines=lines)

    with pytest.raises(ValidationError) as error:
        invoice_finalise(invoice=invoice, actor=None)

    assert error.value.messages == [message]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.version == 1


def test_only_a_draft_can_be_finalised(org):
    invoice = make_invoice(org, finalise=True)

    with pytest.raises(ValidationError, match="Only a draft can be finalised"):
        invoice_finalise(invoice=invoice, actor=None)
    invoice.refresh_from_db()
    assert invoice.version == 2


def test_finalise_works_from_a_stale_copy(org):
    """The service re-reads the invoice under a lock, so a stale object cannot double-finalise."""
    invoice = make_invoice(org)
    stale = Invoice.objects.get(pk=invoice.pk)
    invoice_finalise(invoice=invoice, actor=None)

    with pytest.raises(ValidationError):
        invoice_finalise(invoice=stale, actor=None)


# Voiding


def test_void_an_unpaid_invoice(org, owner):
    invoice = make_invoice(org, finalise=True)

    invoice_void(invoice=invoice, actor=owner, reason="Sent to the wrong customer")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert invoice.voided_at is not None
    assert invoice.void_reason == "Sent to the wrong customer"
    assert invoice.version == 3
    assert invoice.balance_due == D("0.00")
    assert audit_actions(invoice)[-1] == ("invoice.voided", owner)


def test_void_twice_changes_nothing_the_second_time(org):
    invoice = invoice_void(invoice=make_invoice(org, finalise=True), actor=None)

    again = invoice_void(invoice=invoice, actor=None, reason="again")

    assert again.version == 3
    assert again.void_reason == ""
    assert [a for a, _ in audit_actions(invoice)].count("invoice.voided") == 1


def test_a_draft_cannot_be_voided(org):
    invoice = make_invoice(org)

    with pytest.raises(ValidationError, match="A draft cannot be voided"):
        invoice_void(invoice=invoice, actor=None)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT


@pytest.mark.parametrize("amount", ["10", "120"])
def test_an_invoice_with_live_payments_cannot_be_voided(org, amount):
    invoice = make_invoice(org, finalise=True)
    make_payment(invoice, amount)

    with pytest.raises(ValidationError, match="Delete the payments"):
        invoice_void(invoice=invoice, actor=None)
    invoice.refresh_from_db()
    assert invoice.status != Invoice.Status.VOID


def test_void_is_allowed_once_the_payments_are_deleted(org):
    invoice = make_invoice(org, finalise=True)
    payment_delete(payment=make_payment(invoice, "10"), actor=None, reason="Bounced")

    invoice = invoice_void(invoice=invoice, actor=None)

    assert invoice.status == Invoice.Status.VOID


def test_void_reason_is_cut_to_255_characters(org):
    invoice = invoice_void(invoice=make_invoice(org, finalise=True), actor=None, reason="x" * 300)

    invoice.refresh_from_db()
    assert invoice.void_reason == "x" * 255


# Discarding


def test_discard_deletes_a_draft_and_keeps_the_audit_entry(org, owner):
    invoice = make_invoice(org)
    pk = invoice.pk

    invoice_delete_draft(invoice=invoice, actor=owner)

    assert not Invoice.objects.filter(pk=pk).exists()
    entry = AuditLog.objects.get(action="invoice.discarded")
    assert (entry.object_id, entry.object_repr, entry.actor) == (str(pk), "INV-0001", owner)


@pytest.mark.parametrize("void", [False, True], ids=["unpaid", "void"])
def test_only_drafts_can_be_discarded(org, void):
    invoice = make_invoice(org, finalise=True)
    if void:
        invoice_void(invoice=invoice, actor=None)

    with pytest.raises(ValidationError, match="Only a draft can be discarded"):
        invoice_delete_draft(invoice=invoice, actor=None)
    assert Invoice.objects.filter(pk=invoice.pk).exists()


# Audit


def test_audit_entries_name_the_actor_or_nobody(org, owner):
    invoice = make_invoice(org, actor=owner)
    invoice_finalise(invoice=invoice, actor=None)

    assert audit_actions(invoice) == [("invoice.created", owner), ("invoice.finalised", None)]
    entry = AuditLog.objects.get(action="invoice.created")
    assert entry.organisation == org
    assert entry.object_repr == "INV-0001"
    assert entry.details == {"total": "120.00", "currency": "GBP"}


def test_anonymous_actor_is_recorded_as_nobody(org):
    invoice = make_invoice(org, actor=AnonymousUser())

    assert audit_actions(invoice) == [("invoice.created", None)]


# Work orders


def test_a_work_order_has_at_most_one_live_invoice(org):
    order = WorkOrderFactory(organisation=org)
    make_invoice(org, work_order=order)

    with pytest.raises((IntegrityError, ValidationError)):
        make_invoice(org, work_order=order)

    assert Invoice.objects.filter(work_order=order).count() == 1


def test_a_work_order_can_be_invoiced_again_after_a_void(org):
    order = WorkOrderFactory(organisation=org)
    first = make_invoice(org, work_order=order, finalise=True)
    invoice_void(invoice=first, actor=None)

    second = make_invoice(org, work_order=order, finalise=True)

    assert second.work_order == order
    assert Invoice.objects.filter(work_order=order).count() == 2


def test_a_work_order_can_be_invoiced_again_after_the_draft_is_discarded(org):
    order = WorkOrderFactory(organisation=org)
    invoice_delete_draft(invoice=make_invoice(org, work_order=order), actor=None)

    assert make_invoice(org, work_order=order).work_order == order


def test_moving_a_work_order_onto_a_second_live_invoice_is_refused(org):
    order = WorkOrderFactory(organisation=org)
    make_invoice(org, work_order=order)
    other = make_invoice(org, customer=order.customer)

    with pytest.raises((IntegrityError, ValidationError)):
        update(other, customer=order.customer, work_order=order)

    other.refresh_from_db()
    assert other.work_order is None


# The invoice_changed signal


@pytest.fixture
def changes():
    """Every invoice_changed sent: (change, invoice number, inside a transaction?)."""
    seen = []

    def receiver(sender, invoice, change, **kwargs):
        seen.append((change, invoice.number, transaction.get_connection().in_atomic_block))

    signals.invoice_changed.connect(receiver, weak=False, dispatch_uid="test-changes")
    yield seen
    signals.invoice_changed.disconnect(dispatch_uid="test-changes")


@pytest.mark.django_db(transaction=True)
def test_invoice_changed_is_sent_inside_the_transaction(org, changes):
    assert not transaction.get_connection().in_atomic_block  # the test itself is not atomic
    invoice = make_invoice(org)
    assert changes == []  # a draft is nobody else's business

    update(invoice, lines=[(1, "50", "20")])
    assert changes == []

    invoice = invoice_finalise(invoice=invoice, actor=None)
    update(invoice, lines=[(1, "70", "20")])
    payment = make_payment(invoice, "10")
    payment_delete(payment=payment, actor=None, reason="Bounced")
    invoice_void(invoice=invoice, actor=None)

    assert changes == [
        (signals.FINALISED, "INV-0001", True),
        (signals.UPDATED, "INV-0001", True),
        (signals.PAYMENTS_CHANGED, "INV-0001", True),
        (signals.PAYMENTS_CHANGED, "INV-0001", True),
        (signals.VOIDED, "INV-0001", True),
    ]
    assert all(change in signals.CHANGES for change, _, _ in changes)


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_rolls_the_change_back(org):
    """Sent inside the transaction: a receiver that raises undoes the finalise."""
    invoice = make_invoice(org)

    def refuse(sender, **kwargs):
        raise RuntimeError("listener failed")

    signals.invoice_changed.connect(refuse, weak=False, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RuntimeError):
            invoice_finalise(invoice=invoice, actor=None)
    finally:
        signals.invoice_changed.disconnect(dispatch_uid="test-refuse")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT
    assert not AuditLog.objects.filter(action="invoice.finalised").exists()


def test_the_signal_carries_the_saved_invoice(org, changes):
    invoice = make_invoice(org, finalise=True)

    assert changes[-1][:2] == (signals.FINALISED, invoice.number)
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.UNPAID
