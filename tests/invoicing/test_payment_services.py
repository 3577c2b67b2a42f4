"""Payments: status and paid amount, soft delete, idempotent external payments, and the
system "Xero Sync" method that nothing may delete."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from accounts.models import Organisation
from invoicing.models import AuditLog, Invoice, Payment, PaymentMethod
from invoicing.services.invoices import invoice_void
from invoicing.services.payments import payment_delete, payment_record

from ..conftest import client_for, make_member
from ..factories import (
    OrganisationFactory,
    UserFactory,
    make_invoice,
    make_payment,
    payment_method,
)

pytestmark = pytest.mark.django_db

D = Decimal
Status = Invoice.Status


@pytest.fixture
def invoice(org):
    """A finalised invoice for exactly 100.00."""
    return make_invoice(org, lines=[(1, "100", "0")], finalise=True)


def reloaded(invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def test_full_payment_marks_the_invoice_paid(invoice, owner):
    payment = make_payment(invoice, "100.00", actor=owner, reference="BACS 123")

    invoice = reloaded(invoice)
    assert invoice.status == Status.PAID
    assert invoice.amount_paid == D("100.00")
    assert invoice.balance_due == D("0.00")
    assert payment.created_by == owner
    assert payment.source == Payment.MANUAL
    entry = AuditLog.objects.get(action="payment.recorded")
    assert entry.actor == owner
    assert entry.details["amount"] == "100.00"


def test_partial_payments_add_up(invoice):
    make_payment(invoice, "50")
    assert reloaded(invoice).status == Status.PART_PAID

    make_payment(invoice, "30")

    invoice = reloaded(invoice)
    assert invoice.status == Status.PART_PAID
    assert invoice.amount_paid == D("80.00")
    assert invoice.balance_due == D("20.00")


def test_the_last_partial_payment_makes_it_paid(invoice):
    make_payment(invoice, "50")
    make_payment(invoice, "30")
    make_payment(invoice, "20")

    assert reloaded(invoice).status == Status.PAID


def test_amounts_are_rounded_to_pennies(invoice):
    payment = make_payment(invoice, "10.005")

    assert payment.amount == D("10.01")
    assert reloaded(invoice).amount_paid == D("10.01")


def test_deleting_a_payment_keeps_the_row_and_reopens_the_balance(invoice, owner):
    first = make_payment(invoice, "50")
    second = make_payment(invoice, "50")
    assert reloaded(invoice).status == Status.PAID

    payment_delete(payment=second, actor=owner, reason="Cheque bounced")

    invoice = reloaded(invoice)
    assert invoice.status == Status.PART_PAID
    assert invoice.amount_paid == D("50.00")
    second.refresh_from_db()
    assert second.deleted_at is not None
    assert second.deleted_reason == "Cheque bounced"
    assert Payment.objects.filter(pk=second.pk).exists()
    assert list(Payment.objects.live()) == [first]
    assert AuditLog.objects.get(action="payment.deleted").actor == owner

    payment_delete(payment=first, actor=owner, reason="Duplicate")

    invoice = reloaded(invoice)
    assert invoice.status == Status.UNPAID
    assert invoice.amount_paid == D("0.00")
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_deleting_a_deleted_payment_changes_nothing(invoice):
    payment = payment_delete(payment=make_payment(invoice, "10"), actor=None, reason="first")

    again = payment_delete(payment=payment, actor=None, reason="second")

    assert again.deleted_reason == "first"
    assert AuditLog.objects.filter(action="payment.deleted").count() == 1


def test_deleted_payments_do_not_count_towards_the_paid_amount(invoice):
    payment_delete(payment=make_payment(invoice, "60"), actor=None, reason="x")

    make_payment(invoice, "100")  # the full amount is still due

    invoice = reloaded(invoice)
    assert invoice.amount_paid == D("100.00")
    assert invoice.status == Status.PAID


def test_a_manual_overpayment_is_refused(invoice):
    make_payment(invoice, "60")

    with pytest.raises(ValidationError) as error:
        make_payment(invoice, "40.01")

    assert error.value.message_dict == {
        "amount": ["The amount is more than the balance due (40.00)."]
    }
    assert reloaded(invoice).amount_paid == D("60.00")


def test_a_payment_on_a_paid_invoice_is_refused(invoice):
    make_payment(invoice, "100")

    with pytest.raises(ValidationError):
        make_payment(invoice, "0.01")


def test_an_overpayment_reported_by_xero_is_recorded(invoice, org):
    make_payment(
        invoice,
        "120",
        method=payment_method(org, "Xero Sync"),
        source="xero",
        external_id="xero-1",
    )

    invoice = reloaded(invoice)
    assert invoice.status == Status.PAID
    assert invoice.amount_paid == D("120.00")


@pytest.mark.parametrize("amount", ["0", "-5", "0.004"])
def test_amount_must_be_more_than_zero(invoice, amount):
    with pytest.raises(ValidationError) as error:
        make_payment(invoice, amount)

    assert "amount" in error.value.message_dict
    assert not Payment.objects.exists()


def test_a_payment_on_a_draft_is_refused(org):
    draft = make_invoice(org)

    with pytest.raises(ValidationError, match="finalised invoice"):
        make_payment(draft, "10")
    assert not Payment.objects.exists()


def test_a_payment_on_a_void_invoice_is_refused(invoice):
    invoice_void(invoice=invoice, actor=None)

    with pytest.raises(ValidationError, match="finalised invoice"):
        make_payment(invoice, "10")
    assert reloaded(invoice).amount_paid == D("0.00")


def test_a_method_from_another_organisation_is_refused(invoice, other_org):
    with pytest.raises(ValidationError) as error:
        make_payment(invoice, "10", method=payment_method(other_org))

    assert "method" in error.value.message_dict
    assert not Payment.objects.exists()


def test_an_external_payment_is_recorded_once(invoice, org):
    def record():
        return payment_record(
            invoice=invoice,
            actor=None,
            amount=D("40"),
            date=invoice.issue_date,
            method=payment_method(org, "Xero Sync"),
            source="xero",
            external_id="xero-payment-42",
        )

    first = record()
    second = record()

    assert second.pk == first.pk
    assert Payment.objects.count() == 1
    assert reloaded(invoice).amount_paid == D("40.00")
    assert AuditLog.objects.filter(action="payment.recorded").count() == 1


def test_the_same_external_id_from_another_source_is_another_payment(invoice, org):
    xero = make_payment(invoice, "10", source="xero", external_id="abc")
    ghl = make_payment(invoice, "10", source="ghl", external_id="abc")

    assert xero.pk != ghl.pk
    assert reloaded(invoice).amount_paid == D("20.00")


def test_manual_payments_without_external_id_are_all_recorded(invoice):
    make_payment(invoice, "10")
    make_payment(invoice, "10")

    assert Payment.objects.count() == 2


# The system "Xero Sync" payment method


def test_every_new_organisation_has_the_system_payment_methods():
    org = OrganisationFactory()

    methods = dict(PaymentMethod.objects.filter(organisation=org).values_list("name", "is_system"))

    assert methods == {"Xero Sync": True, "Bank transfer": False, "Card": False, "Cash": False}


def test_saving_an_organisation_again_makes_no_second_set(org):
    org.name = "Renamed Ltd"
    org.save()

    assert PaymentMethod.objects.filter(organisation=org).count() == 4


def xero_sync(org) -> PaymentMethod:
    return PaymentMethod.objects.get(organisation=org, name="Xero Sync")


def test_the_system_method_cannot_be_deleted_by_instance(org):
    # The refusal comes from inside Django's delete transaction, so catch it in a savepoint.
    with pytest.raises(ProtectedError, match="system payment method"), transaction.atomic():
        xero_sync(org).delete()

    assert xero_sync(org).is_system


def test_the_system_method_cannot_be_deleted_by_queryset(org):
    with pytest.raises(ProtectedError), transaction.atomic():
        PaymentMethod.objects.filter(organisation=org).delete()

    assert PaymentMethod.objects.filter(organisation=org).count() == 4


def test_a_refused_delete_leaves_the_surrounding_transaction_usable(org):
    with transaction.atomic():
        with pytest.raises(ProtectedError):
            xero_sync(org).delete()

        assert PaymentMethod.objects.filter(organisation=org).count() == 4


def test_ordinary_methods_can_be_deleted(org):
    payment_method(org, "Cash").delete()

    assert set(PaymentMethod.objects.filter(organisation=org).values_list("name", flat=True)) == {
        "Xero Sync",
        "Bank transfer",
        "Card",
    }


def test_the_admin_does_not_delete_the_system_method(org):
    admin = client_for(UserFactory(is_staff=True, is_superuser=True))
    admin.raise_request_exception = False
    method = xero_sync(org)
    url = f"/admin/invoicing/paymentmethod/{method.pk}/delete/"

    shown = admin.get(url)
    posted = admin.post(url, {"post": "yes"})

    assert shown.status_code == 403
    assert posted.status_code == 403
    assert PaymentMethod.objects.filter(pk=method.pk, is_system=True).exists()

    ordinary = PaymentMethod.objects.get(organisation=org, name="Cash")
    response = admin.post(f"/admin/invoicing/paymentmethod/{ordinary.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not PaymentMethod.objects.filter(pk=ordinary.pk).exists()


def test_deleting_a_new_organisation_takes_its_system_method_with_it():
    org = OrganisationFactory()

    org.delete()

    assert not PaymentMethod.objects.filter(organisation_id=org.pk).exists()
    assert not Organisation.objects.filter(pk=org.pk).exists()


def test_deleting_an_organisation_in_use_deletes_everything_in_it(org, owner):
    invoice = make_invoice(org, lines=[(1, "100", "0")], finalise=True)
    make_payment(invoice, "10")
    make_member(org, "staff")

    org.delete()

    assert not Organisation.objects.filter(pk=org.pk).exists()
    assert not PaymentMethod.objects.filter(organisation_id=org.pk).exists()
    assert not Invoice.objects.filter(organisation_id=org.pk).exists()


def test_payment_pages_never_offer_the_system_method(owner_client, invoice, org):
    page = owner_client.get(reverse("invoicing:payment_new", args=[invoice.pk])).content.decode()

    assert "Bank transfer" in page
    assert f'value="{xero_sync(org).pk}"' not in page


# --- many payments from another system at once -------------------------------------------------


def test_external_payments_are_recorded_at_once_with_payment_records_rules(org):
    from invoicing.services.payments import ExternalPayment, payments_record_external
    from invoicing.signals import payment_recorded

    part = make_invoice(org, lines=[(1, "100", "0")], finalise=True)
    full = make_invoice(org, lines=[(1, "80", "0")], finalise=True)
    draft = make_invoice(org, lines=[(1, "50", "0")])
    method = payment_method(org)
    make_payment(part, "10", source="xero", external_id="held-1")
    heard = []

    def listener(sender, payment, invoice, settled, **kwargs):
        heard.append((payment.external_id, invoice.number, settled))

    payment_recorded.connect(listener, dispatch_uid="test_external_heard")
    try:
        recorded = payments_record_external(
            organisation=org,
            payments=[
                ExternalPayment(part.pk, "held-1", D("10"), part.issue_date),  # held already
                ExternalPayment(part.pk, "new-1", D("30.004"), part.issue_date),
                ExternalPayment(full.pk, "new-2", D("50"), full.issue_date),
                ExternalPayment(full.pk, "new-3", D("30"), full.issue_date),
                ExternalPayment(full.pk, "new-3", D("30"), full.issue_date),  # twice in one go
                ExternalPayment(draft.pk, "new-4", D("5"), draft.issue_date),  # a draft
                ExternalPayment(part.pk, "new-5", D("0"), part.issue_date),  # nothing paid
            ],
            method=method,
            source="xero",
        )
    finally:
        payment_recorded.disconnect(dispatch_uid="test_external_heard")

    assert [p.external_id for p in recorded] == ["new-1", "new-2", "new-3"]
    assert (reloaded(part).amount_paid, reloaded(part).status) == (D("40.00"), Status.PART_PAID)
    assert (reloaded(full).amount_paid, reloaded(full).status) == (D("80.00"), Status.PAID)
    assert reloaded(draft).amount_paid == D("0.00")
    assert Payment.objects.get(external_id="new-1").amount == D("30.00")
    assert heard == [
        ("new-1", part.number, False),
        ("new-2", full.number, False),
        ("new-3", full.number, True),
    ]
    entries = AuditLog.objects.filter(action="payment.recorded", details__source="xero")
    assert sorted(entries.values_list("details__external_id", flat=True)) == [
        "held-1",
        "new-1",
        "new-2",
        "new-3",
    ]


def test_external_payments_refuse_another_organisations_method(org):
    from invoicing.services.payments import ExternalPayment, payments_record_external

    invoice = make_invoice(org, lines=[(1, "100", "0")], finalise=True)
    other = payment_method(OrganisationFactory())
    with pytest.raises(ValueError, match="another organisation"):
        payments_record_external(
            organisation=org,
            payments=[ExternalPayment(invoice.pk, "x-1", D("10"), invoice.issue_date)],
            method=other,
            source="xero",
        )
    assert not Payment.objects.filter(external_id="x-1").exists()
