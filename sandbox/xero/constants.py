"""Fixed facts of the emulated Xero: credentials, lifetimes, scopes, the demo organisations and
their chart of accounts and tax rates."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

KEY = "xero"  # its URL segment under /sandbox/ and its rows' `provider`

# The sandbox's own app registration. settings.XERO_CLIENT_ID/SECRET are accepted as well.
CLIENT_ID = "TORQUEFLOWSANDBOXCLIENT000000001"
CLIENT_SECRET = "sandbox-xero-client-secret-not-for-production"
APP_NAME = "Torqueflow (sandbox)"

ACCESS_TOKEN_SECONDS = 30 * 60
AUTH_CODE_SECONDS = 5 * 60
REFRESH_TOKEN_DAYS = 60
# A superseded refresh token may be retried this long if its answer never arrived.
REFRESH_GRACE_SECONDS = 30 * 60
ID_TOKEN_SECONDS = 5 * 60
IDEMPOTENCY_KEY_MAX = 128
IDEMPOTENCY_TTL_HOURS = 24

_NS = uuid.UUID("6f1c3c3e-8a43-4c7e-9d0e-2b1f7a5e0c11")


def stable_uuid(name: str) -> uuid.UUID:
    """The same id after every reset, so a demo connection survives "Reset sandbox"."""
    return uuid.uuid5(_NS, name)


@dataclass(frozen=True)
class DemoUser:
    id: uuid.UUID
    email: str
    given_name: str
    family_name: str


DEMO_USER = DemoUser(stable_uuid("user"), "demo.user@xero-sandbox.test", "Demo", "User")

TENANT_SEEDS = (
    ("plumbing", "Demo Plumbing & Heating Ltd (Xero)", "!dPH01"),
    ("holdings", "Demo Holdings (Xero)", "!dHL02"),
)
BASE_CURRENCY = "GBP"
# Currencies the demo organisations are subscribed to, with a fixed demo rate.
CURRENCIES = {"GBP": Decimal("1.000000"), "EUR": Decimal("1.160000"), "USD": Decimal("1.270000")}

# Scopes for apps created on or after 2 March 2026: granular only.
RETIRED_SCOPES = frozenset(
    {"accounting.transactions", "accounting.transactions.read", "accounting.reports.read"}
)
KNOWN_SCOPES = frozenset(
    {
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.invoices",
        "accounting.invoices.read",
        "accounting.payments",
        "accounting.payments.read",
        "accounting.banktransactions",
        "accounting.banktransactions.read",
        "accounting.manualjournals",
        "accounting.manualjournals.read",
        "accounting.contacts",
        "accounting.contacts.read",
        "accounting.settings",
        "accounting.settings.read",
        "accounting.attachments",
        "accounting.attachments.read",
        "accounting.budgets.read",
        "accounting.journals.read",
    }
)
# Accounting API resource -> the scope that allows writes ("<scope>.read" allows reads too).
RESOURCE_SCOPES = {
    "organisation": "accounting.settings",
    "accounts": "accounting.settings",
    "taxrates": "accounting.settings",
    "currencies": "accounting.settings",
    "contacts": "accounting.contacts",
    "invoices": "accounting.invoices",
    "payments": "accounting.payments",
}


@dataclass(frozen=True)
class TaxRate:
    tax_type: str
    name: str
    rate: Decimal  # percent
    side: str  # "sales", "purchases" or "both"
    report_tax_type: str


TAX_RATES = {
    t.tax_type: t
    for t in (
        TaxRate("OUTPUT2", "20% (VAT on Income)", Decimal("20"), "sales", "OUTPUT"),
        TaxRate("INPUT2", "20% (VAT on Expenses)", Decimal("20"), "purchases", "INPUT"),
        TaxRate("RROUTPUT", "5% (VAT on Income)", Decimal("5"), "sales", "OUTPUT"),
        TaxRate("RRINPUT", "5% (VAT on Expenses)", Decimal("5"), "purchases", "INPUT"),
        TaxRate("ZERORATEDOUTPUT", "Zero Rated Income", Decimal("0"), "sales", "OUTPUT"),
        TaxRate("ZERORATEDINPUT", "Zero Rated Expenses", Decimal("0"), "purchases", "INPUT"),
        TaxRate("EXEMPTOUTPUT", "Exempt Income", Decimal("0"), "sales", "EXEMPTOUTPUT"),
        TaxRate("EXEMPTINPUT", "Exempt Expenses", Decimal("0"), "purchases", "EXEMPTINPUT"),
        TaxRate("NONE", "No VAT", Decimal("0"), "both", "NONE"),
    )
}
# The purchases twin of a sales tax type and back, for an account used on the other side.
TAX_TWINS = {"OUTPUT2": "INPUT2", "INPUT2": "OUTPUT2", "RROUTPUT": "RRINPUT", "RRINPUT": "RROUTPUT"}


@dataclass(frozen=True)
class AccountSeed:
    code: str
    name: str
    type: str
    tax_type: str
    klass: str
    enable_payments: bool = False
    system: bool = False


CHART = (
    AccountSeed("090", "Business Bank Account", "BANK", "NONE", "ASSET", enable_payments=True),
    AccountSeed("091", "Business Savings Account", "BANK", "NONE", "ASSET", enable_payments=True),
    AccountSeed("200", "Sales", "REVENUE", "OUTPUT2", "REVENUE"),
    AccountSeed("260", "Other Revenue", "REVENUE", "OUTPUT2", "REVENUE"),
    AccountSeed("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2", "EXPENSE"),
    AccountSeed("400", "Advertising", "OVERHEADS", "INPUT2", "EXPENSE"),
    AccountSeed("429", "General Expenses", "OVERHEADS", "INPUT2", "EXPENSE"),
    AccountSeed("449", "Motor Vehicle Expenses", "OVERHEADS", "INPUT2", "EXPENSE"),
    AccountSeed("610", "Accounts Receivable", "CURRENT", "NONE", "ASSET", system=True),
    AccountSeed("800", "Accounts Payable", "CURRLIAB", "NONE", "LIABILITY", system=True),
    AccountSeed("820", "VAT", "CURRLIAB", "NONE", "LIABILITY", system=True),
)
