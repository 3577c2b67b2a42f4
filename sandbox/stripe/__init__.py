"""The emulated Stripe: Connect accounts, Account Links, login links, Checkout Sessions as
direct charges, PaymentIntents, refunds and signed webhooks, for the official SDK."""
