from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.deletion import ProtectedError

from accounts.models import TenantModel, TenantQuerySet


class Party(TenantModel):
    name = models.CharField(max_length=200)
    company_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.company_name})" if self.company_name else self.name


class Customer(Party):
    class Meta(Party.Meta):
        pass


class Supplier(Party):
    class Meta(Party.Meta):
        pass


class NominalCode(TenantModel):
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=150)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="nominal_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WorkOrder(TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=200)
    customer = models.ForeignKey(Customer, on_delete=models.RESTRICT, related_name="work_orders")
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Invoice(TenantModel):
    """A sales invoice (to a customer) or a purchase invoice, a bill (from a supplier)."""

    class Kind(models.TextChoices):
        SALES = "sales", "Sales invoice"
        PURCHASE = "purchase", "Purchase invoice"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        UNPAID = "unpaid", "Unpaid"
        PART_PAID = "part_paid", "Part paid"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    kind = models.CharField(max_length=10, choices=Kind)
    number = models.CharField(max_length=40)
    customer = models.ForeignKey(
        Customer, on_delete=models.RESTRICT, null=True, blank=True, related_name="invoices"
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.RESTRICT, null=True, blank=True, related_name="invoices"
    )
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    reference = models.CharField(max_length=255, blank=True)
    issue_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3, default="GBP")
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    tax_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    # Bumped by every change that an accounting system should see again.
    version = models.PositiveIntegerField(default=1)
    finalised_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="invoice_number_unique_per_org"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="sales", supplier__isnull=True)
                    | Q(kind="purchase", customer__isnull=True, work_order__isnull=True)
                ),
                name="invoice_party_matches_kind",
            ),
            # A work order is linked to at most one live (non-void) invoice.
            models.UniqueConstraint(
                fields=["work_order"],
                condition=Q(work_order__isnull=False) & ~Q(status="void"),
                name="one_live_invoice_per_work_order",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "kind", "status"]),
            models.Index(fields=["organisation", "kind", "-issue_date"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def party(self) -> Customer | Supplier | None:
        return self.customer if self.kind == self.Kind.SALES else self.supplier

    @property
    def is_sales(self) -> bool:
        return self.kind == self.Kind.SALES

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT or (
            self.status == self.Status.UNPAID and self.amount_paid == 0
        )

    @property
    def balance_due(self) -> Decimal:
        if self.status in (self.Status.DRAFT, self.Status.VOID):
            return Decimal("0.00")
        return self.total - self.amount_paid

    @property
    def is_finalised(self) -> bool:
        return self.status not in (self.Status.DRAFT,)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    nominal_code = models.ForeignKey(
        NominalCode, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    tax_rate = models.DecimalField(
        "Tax rate (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    line_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description


class PaymentMethodQuerySet(TenantQuerySet):
    def delete(self):
        refuse_system_method_delete(self.filter(is_system=True).first())
        return super().delete()


def refuse_system_method_delete(method: "PaymentMethod | None") -> None:
    if method is not None and method.is_system:
        raise ProtectedError(
            f'"{method.name}" is a system payment method and cannot be deleted.', {method}
        )


class PaymentMethod(TenantModel):
    DEFAULT_MANUAL = ("Bank transfer", "Card", "Cash")

    name = models.CharField(max_length=100)
    # System methods are those providers record payments under (made by the integrations
    # hub); they cannot be deleted.
    is_system = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PaymentMethodQuerySet.as_manager()

    class Meta:
        ordering = ["-is_system", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="payment_method_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def delete(self, *args, **kwargs):
        # Refused before anything is deleted, so a surrounding transaction stays usable.
        refuse_system_method_delete(self)
        return super().delete(*args, **kwargs)


class LivePaymentQuerySet(TenantQuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class Payment(TenantModel):
    # `source`: recorded here by hand, or the key of the provider that recorded it (each
    # provider registers its source: invoicing.extensions.register_payment_source).
    MANUAL = "manual"

    invoice = models.ForeignKey(Invoice, on_delete=models.RESTRICT, related_name="payments")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    date = models.DateField()
    method = models.ForeignKey(PaymentMethod, on_delete=models.RESTRICT, related_name="payments")
    reference = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=20, default=MANUAL)
    external_id = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_reason = models.CharField(max_length=255, blank=True)

    objects = LivePaymentQuerySet.as_manager()

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            # A payment from another system is recorded once, however often it is reported.
            models.UniqueConstraint(
                fields=["organisation", "source", "external_id"],
                condition=~Q(external_id=""),
                name="payment_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.date}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class AuditLog(TenantModel):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organisation", "object_type", "object_id"])]

    def __str__(self) -> str:
        who = self.actor or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_repr}"


class InvoiceSequence(TenantModel):
    """The next invoice number per organisation and kind, taken under a row lock."""

    kind = models.CharField(max_length=10, choices=Invoice.Kind)
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="invoice_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} next {self.next_value}"
