"""The sandbox's data: the core's (keyed by provider) and one module per emulated provider;
imported here for Django."""

from .common import ZERO
from .core import (
    AccessToken,
    App,
    AuthCode,
    Faults,
    Grant,
    ProviderEvent,
    RateWindow,
    RefreshToken,
    Stats,
)
from .ghl import GhlContact, GhlInvoice, GhlLocation, GhlPayment
from .requestbin import BinRequest, RequestBin
from .stripe import (
    StripeAccount,
    StripeCharge,
    StripeCheckoutSession,
    StripeIdempotencyKey,
    StripeLink,
    StripePaymentIntent,
    StripeRefund,
)
from .twilio import TwilioSandboxMessage
from .xero import (
    XeroAccount,
    XeroConnection,
    XeroContact,
    XeroIdempotencyKey,
    XeroInvoice,
    XeroPayment,
    XeroTenant,
)

__all__ = [
    "ZERO",
    "AccessToken",
    "App",
    "AuthCode",
    "BinRequest",
    "Faults",
    "GhlContact",
    "GhlInvoice",
    "GhlLocation",
    "GhlPayment",
    "Grant",
    "ProviderEvent",
    "RateWindow",
    "RefreshToken",
    "RequestBin",
    "Stats",
    "StripeAccount",
    "StripeCharge",
    "StripeCheckoutSession",
    "StripeIdempotencyKey",
    "StripeLink",
    "StripePaymentIntent",
    "StripeRefund",
    "TwilioSandboxMessage",
    "XeroAccount",
    "XeroConnection",
    "XeroContact",
    "XeroIdempotencyKey",
    "XeroInvoice",
    "XeroPayment",
    "XeroTenant",
]
