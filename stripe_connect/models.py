from django.db import models

from accounts.models import TenantModel


class CheckoutSession(TenantModel):
    """A Stripe Checkout Session made for an invoice's balance: its url is the invoice's
    payment link while it is open and the balance is what it was made for."""

    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="stripe_sessions"
    )
    connection = models.ForeignKey(
        "integrations.Connection", on_delete=models.CASCADE, related_name="stripe_sessions"
    )
    account_id = models.CharField(max_length=100)
    session_id = models.CharField(max_length=255)
    url = models.URLField(max_length=2000)
    # In the currency's minor unit, as Stripe holds it.
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["session_id"], name="stripe_session_once"),
        ]
        indexes = [models.Index(fields=["invoice", "-expires_at"])]

    def __str__(self) -> str:
        return f"{self.session_id} for invoice {self.invoice_id}"
