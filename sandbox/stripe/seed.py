"""What a reset forgets. The emulated Stripe seeds nothing: Torqueflow creates its connected
accounts through the API, as it does on Stripe."""

from sandbox.models import (
    StripeAccount,
    StripeCheckoutSession,
    StripeIdempotencyKey,
    StripeLink,
    StripePaymentIntent,
)


def forget_data() -> None:
    """Payments, sessions, links and idempotency keys; connected accounts stay, so a
    connected Torqueflow stays connected."""
    StripeCheckoutSession.objects.all().delete()
    StripePaymentIntent.objects.all().delete()
    StripeLink.objects.all().delete()
    StripeIdempotencyKey.objects.all().delete()


def forget_accounts() -> None:
    StripeAccount.objects.all().delete()
