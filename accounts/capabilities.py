"""Named capabilities that roles hold, and the roles every organisation starts with."""

INTEGRATIONS_MANAGE = "settings.integrations.manage"
INVOICES_MANAGE = "invoices.manage"
INVOICES_VIEW = "invoices.view"
FINANCE_SETTINGS_MANAGE = "settings.finance.manage"
SECURITY_MANAGE = "settings.security.manage"
TEAM_MANAGE = "settings.team.manage"
FINANCE_SETTINGS_VIEW = "settings.finance.view"
INTEGRATIONS_ACTIVITY_VIEW = "integrations.activity.view"
CRM_VIEW = "crm.view"
CONTACTS_MANAGE = "contacts.manage"
LEADS_MANAGE = "leads.manage"
QUOTES_MANAGE = "quotes.manage"
APPOINTMENTS_MANAGE = "appointments.manage"
MESSAGES_MANAGE = "messages.manage"
PROJECTS_MANAGE = "projects.manage"
CONTRACTS_MANAGE = "contracts.manage"

CAPABILITIES: dict[str, str] = {
    INVOICES_VIEW: "See invoices, purchases, customers and suppliers",
    INVOICES_MANAGE: "Create, edit, finalise and void invoices; record payments",
    FINANCE_SETTINGS_VIEW: "See nominal codes and the accounts they map to",
    FINANCE_SETTINGS_MANAGE: "Edit nominal codes and finance settings",
    INTEGRATIONS_ACTIVITY_VIEW: "See the integrations' sync activity",
    INTEGRATIONS_MANAGE: "Connect, configure and disconnect integrations",
    SECURITY_MANAGE: "Unlock locked-out sign-ins",
    TEAM_MANAGE: "Invite people, change their roles and remove them",
    CRM_VIEW: "See contacts, leads, quotes, appointments, projects, contracts and messages",
    CONTACTS_MANAGE: "Add, edit and remove customers' contacts",
    LEADS_MANAGE: "Add, edit and convert leads",
    QUOTES_MANAGE: "Create, send and accept quotes; convert them into invoices",
    APPOINTMENTS_MANAGE: "Book, reschedule and cancel appointments",
    MESSAGES_MANAGE: "Read and write customer messages",
    PROJECTS_MANAGE: "Create and edit projects",
    CONTRACTS_MANAGE: "Create, send and mark contracts signed",
}

STAFF_CAPABILITIES = [
    INVOICES_VIEW,
    INVOICES_MANAGE,
    CRM_VIEW,
    CONTACTS_MANAGE,
    LEADS_MANAGE,
    QUOTES_MANAGE,
    APPOINTMENTS_MANAGE,
    MESSAGES_MANAGE,
]
ACCOUNTANT_CAPABILITIES = [
    INVOICES_VIEW,
    CRM_VIEW,
    FINANCE_SETTINGS_VIEW,
    INTEGRATIONS_ACTIVITY_VIEW,
]

OWNER, STAFF, ACCOUNTANT = "owner", "staff", "accountant"

DEFAULT_ROLES: dict[str, tuple[str, list[str]]] = {
    OWNER: ("Owner", list(CAPABILITIES)),
    STAFF: ("Staff", list(STAFF_CAPABILITIES)),
    ACCOUNTANT: ("Accountant", list(ACCOUNTANT_CAPABILITIES)),
}


def capability_register(key: str, label: str, *, roles: tuple[str, ...] = ()) -> None:
    """A capability that another app defines (a provider's own action): the Owner holds it,
    and so do the default `roles` given. Call from an AppConfig.ready(), before any
    organisation is created."""
    if CAPABILITIES.get(key, label) != label:
        raise ValueError(f"Capability {key} is already registered as {CAPABILITIES[key]!r}")
    CAPABILITIES[key] = label
    for role in (OWNER, *roles):
        granted = DEFAULT_ROLES[role][1]
        if key not in granted:
            granted.append(key)
