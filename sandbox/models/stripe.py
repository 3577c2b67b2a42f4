"""The emulated Stripe's data: connected accounts (v1 Accounts with controller properties),
the single-use links into its hosted pages, Checkout Sessions, PaymentIntents, Charges and
Refunds made as direct charges on a connected account, and the answers kept for
Idempotency-Keys. Ids are Stripe's (acct_…, cs_test_…, pi_…); amounts are in minor units;
`created` is unix seconds, as Stripe writes it. Every object belongs to one mode
(`livemode`) and is never seen from the other."""

from django.db import models

ID_MAX = 80


def stripe_id_field() -> models.CharField:
    return models.CharField(max_length=ID_MAX, unique=True)


class StripeAccount(models.Model):
    """A connected account of the platform. `currently_due` and `eventually_due` are what
    onboarding still has to collect; readiness is derived from them."""

    class Dashboard(models.TextChoices):
        EXPRESS = "express"
        FULL = "full"
        NONE = "none"

    account_id = stripe_id_field()
    livemode = models.BooleanField(default=False)
    country = models.CharField(max_length=2, default="GB")
    email = models.CharField(max_length=255, blank=True)
    business_name = models.CharField(max_length=255, blank=True)
    default_currency = models.CharField(max_length=3, default="gbp")
    dashboard = models.CharField(max_length=10, choices=Dashboard, default=Dashboard.EXPRESS)
    requirement_collection = models.CharField(max_length=20, default="stripe")
    fees_payer = models.CharField(max_length=30, default="account")
    losses_payments = models.CharField(max_length=20, default="stripe")
    # {"card_payments": "active" | "inactive", ...}: the capabilities requested.
    capabilities = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    details_submitted = models.BooleanField(default=False)
    currently_due = models.JSONField(default=list, blank=True)
    eventually_due = models.JSONField(default=list, blank=True)
    # The bank account entered on the onboarding form, as Stripe shows it: its last 4.
    bank_last4 = models.CharField(max_length=4, blank=True)
    created = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.business_name or self.email or self.account_id

    @property
    def charges_enabled(self) -> bool:
        return self.details_submitted and not self.currently_due

    @property
    def payouts_enabled(self) -> bool:
        return self.charges_enabled and bool(self.bank_last4)


class StripeLink(models.Model):
    """A single-use URL into a hosted page: an Account Link (onboarding, update) or a login
    link to the Express Dashboard. Only its token's hash is kept."""

    class Kind(models.TextChoices):
        ONBOARDING = "account_onboarding"
        UPDATE = "account_update"
        LOGIN = "login"

    account = models.ForeignKey(StripeAccount, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=20, choices=Kind)
    token_hash = models.CharField(max_length=64, unique=True)
    refresh_url = models.URLField(max_length=2000, blank=True)
    return_url = models.URLField(max_length=2000, blank=True)
    created = models.PositiveBigIntegerField()
    expires_at = models.PositiveBigIntegerField(null=True, blank=True)
    used_at = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} link for {self.account.account_id}"


class StripePaymentIntent(models.Model):
    class Status(models.TextChoices):
        REQUIRES_PAYMENT_METHOD = "requires_payment_method"
        SUCCEEDED = "succeeded"
        CANCELED = "canceled"

    intent_id = stripe_id_field()
    account = models.ForeignKey(
        StripeAccount, on_delete=models.CASCADE, related_name="payment_intents"
    )
    livemode = models.BooleanField(default=False)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=30, choices=Status, default=Status.REQUIRES_PAYMENT_METHOD)
    amount_received = models.PositiveBigIntegerField(default=0)
    description = models.CharField(max_length=1000, blank=True)
    receipt_email = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # {"code", "decline_code", "message", "type"} of the last declined attempt.
    last_payment_error = models.JSONField(null=True, blank=True)
    created = models.PositiveBigIntegerField(db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.intent_id


class StripeCharge(models.Model):
    charge_id = stripe_id_field()
    payment_intent = models.ForeignKey(
        StripePaymentIntent, on_delete=models.CASCADE, related_name="charges"
    )
    amount = models.PositiveBigIntegerField()
    amount_refunded = models.PositiveBigIntegerField(default=0)
    card_brand = models.CharField(max_length=20)
    card_last4 = models.CharField(max_length=4)
    created = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.charge_id

    @property
    def refunded(self) -> bool:
        return self.amount_refunded >= self.amount

    @property
    def refundable(self) -> int:
        return self.amount - self.amount_refunded


class StripeCheckoutSession(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        COMPLETE = "complete"
        EXPIRED = "expired"

    session_id = stripe_id_field()
    account = models.ForeignKey(
        StripeAccount, on_delete=models.CASCADE, related_name="checkout_sessions"
    )
    livemode = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    currency = models.CharField(max_length=3)
    amount_total = models.PositiveBigIntegerField()
    # [{"name", "unit_amount", "quantity", "currency"}]
    line_items = models.JSONField(default=list)
    success_url = models.URLField(max_length=2000, blank=True)
    cancel_url = models.URLField(max_length=2000, blank=True)
    client_reference_id = models.CharField(max_length=200, blank=True)
    customer_email = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    payment_intent_metadata = models.JSONField(default=dict, blank=True)
    payment_intent_description = models.CharField(max_length=1000, blank=True)
    payment_intent = models.OneToOneField(
        StripePaymentIntent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkout_session",
    )
    created = models.PositiveBigIntegerField()
    expires_at = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.session_id


class StripeRefund(models.Model):
    refund_id = stripe_id_field()
    charge = models.ForeignKey(StripeCharge, on_delete=models.CASCADE, related_name="refunds")
    amount = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=30, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.refund_id


class StripeIdempotencyKey(models.Model):
    """The answer a POST with an Idempotency-Key gave, per mode and account (Stripe scopes
    keys to the account acted on), replayed for the same parameters for 24 hours."""

    livemode = models.BooleanField(default=False)
    account = models.CharField(max_length=ID_MAX, blank=True)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField()
    created = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["livemode", "account", "key"], name="sandbox_stripe_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return self.key
