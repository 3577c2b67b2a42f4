"""Named capabilities that roles hold, and the roles every organisation starts with."""

INTEGRATIONS_MANAGE = "settings.integrations.manage"
XERO_SYNC = "finance.xero.sync"
INVOICES_MANAGE = "invoices.manage"
INVOICES_VIEW = "invoices.view"
FINANCE_SETTINGS_MANAGE = "settings.finance.manage"
SECURITY_MANAGE = "settings.security.manage"

CAPABILITIES: dict[str, str] = {
    INVOICES_VIEW: "See invoices, purchases, customers and suppliers",
    INVOICES_MANAGE: "Create, edit, finalise and void invoices; record payments",
    XERO_SYNC: "Press Sync now on an invoice",
    FINANCE_SETTINGS_MANAGE: "Edit nominal codes and finance settings",
    INTEGRATIONS_MANAGE: "Connect, configure and disconnect integrations",
    SECURITY_MANAGE: "Unlock locked-out sign-ins",
}

OWNER, STAFF, ACCOUNTANT = "owner", "staff", "accountant"

DEFAULT_ROLES: dict[str, tuple[str, list[str]]] = {
    OWNER: ("Owner", list(CAPABILITIES)),
    STAFF: ("Staff", [INVOICES_VIEW, INVOICES_MANAGE, XERO_SYNC]),
    ACCOUNTANT: ("Accountant", [INVOICES_VIEW, XERO_SYNC]),
}
