"""Who may open which page: every view by the three default roles, plus anonymous visitors,
people without an organisation, and roles edited as data."""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import ACCOUNTANT, CAPABILITIES, OWNER, STAFF
from accounts.models import Invitation, Membership, Role
from crm import urls as crm_urls
from crm.models import Contact, Contract, Lead, Message, Project, Quote
from home import urls as home_urls
from integrations import urls as integrations_urls
from invoicing import urls as invoicing_urls
from invoicing import urls_settings as invoicing_settings_urls
from invoicing.models import Customer, Invoice, NominalCode, Payment
from scheduling import urls as scheduling_urls
from scheduling.models import Appointment
from twilio_sms import urls as twilio_sms_urls
from webhooks_manager import urls as webhooks_urls
from webhooks_manager.models import Endpoint, InboundHook
from webhooks_manager.models import Message as WebhookMessage

from ..conftest import client_for, make_member
from ..factories import (
    ContractFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
    make_appointment,
)
from ..helpers import World, build_world, detail_url, text

FINANCE_DENIED = "You do not have permission to manage finance settings"
INTEGRATIONS_DENIED = "You do not have permission to manage integrations"
SECURITY_DENIED = "You do not have permission to manage sign-in security"
TEAM_DENIED = "You do not have permission to manage the team"

Expect = int | str | Callable[[World], str]
"""An int is the status; a str is the URL name the response redirects to; a callable
gives the URL it redirects to."""

SETTINGS = "settings_index"
SMS_TAB = lambda w: reverse("integrations:provider", args=["twilio"])  # noqa: E731


def _detail(attr: str) -> Callable[[World], str]:
    return lambda w: detail_url(getattr(w, attr))


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    owner: Expect | None  # None: not checked here
    staff: Expect | None
    accountant: Expect | None
    args: Callable[[World], list] = lambda w: []
    data: dict = field(default_factory=dict)
    denied_message: str = ""

    def url(self, world: World) -> str:
        return reverse(self.name, args=self.args(world))

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}"


def pk(attr: str) -> Callable[[World], list]:
    return lambda w: [getattr(w, attr).pk]


def _page(name: str, attr: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[getattr(w, attr).pk])


CUSTOMER_PAGE = _page("crm:customer_detail", "customer")
LEAD_PAGE = _page("crm:lead_detail", "lead")
QUOTE_PAGE = _page("crm:quote_detail", "quote")
CONTACT = lambda w: [w.customer.pk, w.contact.pk]  # noqa: E731


def _newest_lead_page(w: World) -> str:
    return reverse(
        "crm:lead_detail", args=[Lead.objects.filter(organisation=w.org).latest("pk").pk]
    )


def _converted_customer_page(w: World) -> str:
    return reverse("crm:customer_detail", args=[Lead.objects.get(pk=w.lead.pk).customer_id])


def appointment(w: World) -> list:
    return [Appointment.objects.get(organisation=w.org).pk]


LINE = {"lines-TOTAL_FORMS": "1"}
CODE_POST = {"code": "9999", "name": "Suspense", "xero_account_code": ""}
PARTY_POST = {"name": "New party"}

ROWS = [
    # Home
    Row("home", "get", 200, 200, 200),
    Row("home", "post", 405, 405, 405),
    Row("home:checklist_dismiss", "post", "home", 403, 403),
    Row("home:checklist_dismiss", "get", 405, 403, 403),
    # Invoices and purchases
    Row("invoicing:sales_list", "get", 200, 200, 200),
    Row("invoicing:sales_list", "post", 405, 405, 405),
    Row("invoicing:purchase_list", "get", 200, 200, 200),
    Row("invoicing:sales_export", "get", 200, 200, 200),
    Row("invoicing:sales_export", "post", 405, 405, 405),
    Row("invoicing:purchase_export", "get", 200, 200, 200),
    Row("invoicing:sales_bulk", "get", 405, 405, 405),
    Row("invoicing:sales_bulk", "post", 200, 200, 200, data={"action": "export"}),
    Row("invoicing:purchase_bulk", "post", *["invoicing:purchase_list"] * 3),
    Row("invoicing:sales_new", "get", 200, 200, 403),
    Row("invoicing:sales_new", "post", 400, 400, 403),
    Row("invoicing:purchase_new", "get", 200, 200, 403),
    Row("invoicing:purchase_new", "post", 400, 400, 403),
    Row("invoicing:line_form", "get", 200, 200, 403, data=LINE),
    Row("invoicing:line_removed", "get", 200, 200, 403, data={"prefix": "lines-0"}),
    Row("invoicing:invoice_detail", "get", 200, 200, 200, args=pk("draft")),
    Row("invoicing:invoice_detail", "get", 200, 200, 200, args=pk("bill")),
    Row("invoicing:invoice_edit", "get", 200, 200, 403, args=pk("draft")),
    Row("invoicing:invoice_edit", "post", 400, 400, 403, args=pk("draft")),
    Row("invoicing:invoice_finalise", "get", 405, 405, 403, args=pk("draft")),
    Row(
        "invoicing:invoice_finalise",
        "post",
        _detail("draft"),
        _detail("draft"),
        403,
        args=pk("draft"),
    ),
    Row("invoicing:invoice_void", "get", 200, 200, 403, args=pk("unpaid")),
    Row(
        "invoicing:invoice_void",
        "post",
        _detail("unpaid"),
        _detail("unpaid"),
        403,
        args=pk("unpaid"),
        data={"reason": "Raised in error"},
    ),
    Row(
        "invoicing:invoice_discard",
        "post",
        "invoicing:sales_list",
        "invoicing:sales_list",
        403,
        args=pk("draft"),
    ),
    Row("invoicing:payment_new", "get", 200, 200, 403, args=pk("part_paid")),
    Row("invoicing:payment_new", "post", 400, 400, 403, args=pk("part_paid")),
    Row(
        "invoicing:payment_delete",
        "post",
        _detail("part_paid"),
        _detail("part_paid"),
        403,
        args=lambda w: [w.part_paid.pk, w.payment.pk],
        data={"reason": "Bounced"},
    ),
    # Customers and suppliers
    Row("invoicing:customer_list", "get", 200, 200, 200),
    Row("invoicing:customer_new", "get", 200, 200, 403),
    Row(
        "invoicing:customer_new",
        "post",
        "invoicing:customer_list",
        "invoicing:customer_list",
        403,
        data=PARTY_POST,
    ),
    Row("invoicing:customer_edit", "get", 200, 200, 403, args=pk("customer")),
    Row(
        "invoicing:customer_edit",
        "post",
        "invoicing:customer_list",
        "invoicing:customer_list",
        403,
        args=pk("customer"),
        data=PARTY_POST,
    ),
    Row("invoicing:supplier_list", "get", 200, 200, 200),
    Row("invoicing:customer_export", "get", 200, 200, 200),
    Row("invoicing:supplier_export", "get", 200, 200, 200),
    Row("invoicing:supplier_new", "get", 200, 200, 403),
    Row("invoicing:supplier_edit", "get", 200, 200, 403, args=pk("supplier")),
    Row(
        "invoicing:supplier_edit",
        "post",
        "invoicing:supplier_list",
        "invoicing:supplier_list",
        403,
        args=pk("supplier"),
        data=PARTY_POST,
    ),
    # CRM: reading needs crm.view (all three roles); each write its own capability
    Row("crm:customer_detail", "get", 200, 200, 200, args=pk("customer")),
    Row("crm:contact_new", "get", 200, 200, 403, args=pk("customer")),
    Row(
        "crm:contact_new",
        "post",
        CUSTOMER_PAGE,
        CUSTOMER_PAGE,
        403,
        args=pk("customer"),
        data={"name": "New contact"},
    ),
    Row("crm:contact_edit", "get", 200, 200, 403, args=CONTACT),
    Row(
        "crm:contact_edit",
        "post",
        CUSTOMER_PAGE,
        CUSTOMER_PAGE,
        403,
        args=CONTACT,
        data={"name": "Renamed contact"},
    ),
    Row("crm:contact_primary", "get", 405, 405, 403, args=CONTACT),
    Row("crm:contact_primary", "post", CUSTOMER_PAGE, CUSTOMER_PAGE, 403, args=CONTACT),
    Row("crm:contact_remove", "get", 200, 200, 403, args=CONTACT),
    Row("crm:contact_remove", "post", CUSTOMER_PAGE, CUSTOMER_PAGE, 403, args=CONTACT),
    Row("crm:lead_list", "get", 200, 200, 200),
    Row("crm:leads_export", "get", 200, 200, 200),
    Row("crm:leads_export", "post", 405, 405, 405),
    Row("crm:leads_bulk", "get", 405, 405, 405),
    Row("crm:leads_bulk", "post", 200, 200, 200, data={"action": "export"}),
    Row("crm:lead_list", "post", 405, 405, 405),
    Row("crm:lead_new", "get", 200, 200, 403),
    Row("crm:lead_new", "post", 400, 400, 403),
    Row(
        "crm:lead_new",
        "post",
        _newest_lead_page,
        _newest_lead_page,
        403,
        data={"name": "New lead"},
    ),
    Row("crm:lead_detail", "get", 200, 200, 200, args=pk("lead")),
    Row("crm:lead_edit", "get", 200, 200, 403, args=pk("lead")),
    Row(
        "crm:lead_edit",
        "post",
        LEAD_PAGE,
        LEAD_PAGE,
        403,
        args=pk("lead"),
        data={"name": "Renamed lead"},
    ),
    Row(
        "crm:lead_status",
        "post",
        LEAD_PAGE,
        LEAD_PAGE,
        403,
        args=pk("lead"),
        data={"status": "contacted"},
    ),
    Row(
        "crm:lead_convert",
        "post",
        _converted_customer_page,
        _converted_customer_page,
        403,
        args=pk("lead"),
    ),
    Row("crm:quote_list", "get", 200, 200, 200),
    Row("crm:quotes_export", "get", 200, 200, 200),
    Row("crm:quotes_export", "post", 405, 405, 405),
    Row("crm:quotes_bulk", "get", 405, 405, 405),
    Row("crm:quotes_bulk", "post", 200, 200, 200, data={"action": "export"}),
    Row("crm:quote_new", "get", 200, 200, 403),
    Row("crm:quote_new", "post", 400, 400, 403),
    Row("crm:quote_line_form", "get", 200, 200, 403, data=LINE),
    Row("crm:quote_line_removed", "get", 200, 200, 403, data={"prefix": "lines-0"}),
    Row("crm:quote_detail", "get", 200, 200, 200, args=pk("quote")),
    Row("crm:quote_edit", "get", 200, 200, 403, args=pk("quote")),
    Row("crm:quote_edit", "post", 400, 400, 403, args=pk("quote")),
    *(
        Row(f"crm:quote_{action}", "post", QUOTE_PAGE, QUOTE_PAGE, 403, args=pk("quote"))
        for action in ("send", "accept", "decline", "convert")
    ),
    Row("crm:quote_accept", "get", 405, 405, 403, args=pk("quote")),
    # Settings → Finance → Nominal Codes: a redirect with a message, not a 403
    # (the Accountant reads the list: settings.finance.view)
    Row("settings_nominal_codes", "get", 200, SETTINGS, 200, denied_message=FINANCE_DENIED),
    Row("settings_nominal_codes", "post", 405, SETTINGS, 405, denied_message=FINANCE_DENIED),
    Row("settings_nominal_code_new", "get", 200, SETTINGS, SETTINGS, denied_message=FINANCE_DENIED),
    Row(
        "settings_nominal_code_new",
        "post",
        "settings_nominal_codes",
        SETTINGS,
        SETTINGS,
        data=CODE_POST,
        denied_message=FINANCE_DENIED,
    ),
    Row(
        "settings_nominal_code_edit",
        "get",
        200,
        SETTINGS,
        SETTINGS,
        args=pk("code"),
        denied_message=FINANCE_DENIED,
    ),
    Row(
        "settings_nominal_code_edit",
        "post",
        "settings_nominal_codes",
        SETTINGS,
        SETTINGS,
        args=pk("code"),
        data=CODE_POST,
        denied_message=FINANCE_DENIED,
    ),
    # Settings → Integrations: a redirect with a message, not a 403
    Row("integrations:index", "get", 200, SETTINGS, SETTINGS, denied_message=INTEGRATIONS_DENIED),
    # Sync activity: read by the Owner and the Accountant (integrations.activity.view)
    Row("integrations:activity", "get", 200, SETTINGS, 200, denied_message=INTEGRATIONS_DENIED),
    # The rest of Settings → Integrations: only the refusals are checked here; what an Owner
    # sees depends on the providers and is tested in tests/integrations.
    *(
        Row(
            f"integrations:{name}",
            method,
            None,
            SETTINGS,
            SETTINGS,
            args=args,
            denied_message=INTEGRATIONS_DENIED,
        )
        for name, method, args in [
            ("provider", "get", lambda w: ["xero"]),
            ("card", "get", lambda w: ["xero"]),
            ("connect", "post", lambda w: ["xero"]),
            ("callback", "get", lambda w: ["xero"]),
            ("choose", "get", lambda w: ["xero"]),
            ("choose", "post", lambda w: ["xero"]),
            ("toggle", "post", lambda w: ["xero", "sync_invoices"]),
            ("test", "post", lambda w: ["xero"]),
            ("disconnect", "get", lambda w: ["xero"]),
            ("disconnect", "post", lambda w: ["xero"]),
            ("credentials", "get", lambda w: ["xero"]),
            ("credentials", "post", lambda w: ["xero"]),
            ("enable", "post", lambda w: ["xero"]),
            ("disable", "post", lambda w: ["xero"]),
            ("backfill", "get", lambda w: ["xero"]),
            ("backfill", "post", lambda w: ["xero"]),
            ("backfill_offer", "get", lambda w: ["xero"]),
            ("backfill_progress", "get", lambda w: ["xero"]),
            ("backfill_dismiss", "post", lambda w: ["xero"]),
            ("onboard", "post", lambda w: ["stripe"]),
            ("onboard_return", "get", lambda w: ["stripe"]),
            ("onboard_refresh", "get", lambda w: ["stripe"]),
        ]
    ),
    # The SMS tab's actions: whoever manages integrations (the Owner by default)
    Row("twilio_sms:send", "get", 405, 403, 403),
    Row("twilio_sms:send", "post", SMS_TAB, 403, 403, data={"to": "+447700900123"}),
    Row("twilio_sms:fill", "get", 200, 403, 403),
    Row("twilio_sms:history", "get", 200, 403, 403),
    Row("twilio_sms:read", "post", SMS_TAB, 403, 403),
    # Appointments: everyone with crm.view reads; Owner and Staff book and change
    Row("scheduling:week", "get", 200, 200, 200),
    Row("scheduling:week", "post", 405, 405, 405),
    Row("scheduling:day", "get", 200, 200, 200, args=lambda w: ["2026-12-08"]),
    Row("scheduling:new", "get", 200, 200, 403),
    Row("scheduling:new", "post", 400, 400, 403),
    Row("scheduling:contact_options", "get", 200, 200, 403),
    Row("scheduling:detail", "get", 200, 200, 200, args=appointment),
    Row("scheduling:edit", "get", 200, 200, 403, args=appointment),
    Row("scheduling:edit", "post", 400, 400, 403, args=appointment),
    Row("scheduling:cancel", "get", 200, 200, 403, args=appointment),
    Row(
        "scheduling:cancel",
        "post",
        lambda w: reverse("scheduling:detail", args=appointment(w)),
        lambda w: reverse("scheduling:detail", args=appointment(w)),
        403,
        args=appointment,
        data={"reason": "Customer away"},
    ),
    Row("scheduling:complete", "get", 405, 405, 403, args=appointment),
    Row(
        "scheduling:complete",
        "post",
        lambda w: reverse("scheduling:detail", args=appointment(w)),
        lambda w: reverse("scheduling:detail", args=appointment(w)),
        403,
        args=appointment,
    ),
    # Settings: any member
    Row("settings_index", "get", 200, 200, 200),
    # Security (unlocking sign-ins): the Owner
    *(
        Row("settings_security", method, owner, SETTINGS, SETTINGS, denied_message=SECURITY_DENIED)
        for method, owner in (("get", 200), ("post", 404))
    ),
    # Team: the Owner (settings.team.manage)
    Row("settings_team", "get", 200, SETTINGS, SETTINGS, denied_message=TEAM_DENIED),
    Row("settings_team", "post", 400, SETTINGS, SETTINGS, denied_message=TEAM_DENIED),
    *(
        Row(
            name, "post", "settings_team", SETTINGS, SETTINGS, args=args, denied_message=TEAM_DENIED
        )
        for name, args in (
            ("settings_team_invitation_resend", lambda w: [_invitation(w).pk]),
            ("settings_team_invitation_revoke", lambda w: [_invitation(w).pk]),
            ("settings_team_role", lambda w: [_teammate(w).pk]),
            ("settings_team_remove", lambda w: [_teammate(w).pk]),
        )
    ),
    *(
        Row(name, "get", 405, SETTINGS, SETTINGS, args=args, denied_message=TEAM_DENIED)
        for name, args in (
            ("settings_team_invitation_resend", lambda w: [_invitation(w).pk]),
            ("settings_team_remove", lambda w: [_teammate(w).pk]),
        )
    ),
]


def _invitation(w: World) -> Invitation:
    if not hasattr(w, "invitation"):
        w.invitation = Invitation.objects.create(
            organisation=w.org,
            email="invited@example.test",
            role=Role.objects.get(organisation=w.org, key=STAFF),
            token_hash="0" * 64,
        )
    return w.invitation


def _teammate(w: World) -> Membership:
    if not hasattr(w, "teammate"):
        w.teammate = MembershipFactory(organisation=w.org, role_key=STAFF)
    return w.teammate


# Projects, contracts and messages: objects made on first use for the world's customer.
def _project(w: World) -> Project:
    if not hasattr(w, "project"):
        w.project = ProjectFactory(organisation=w.org, customer=w.customer)
        w.project.invoices.add(w.unpaid)
    return w.project


def _contract(w: World) -> Contract:
    if not hasattr(w, "contract"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from crm.services.contracts import contract_save

        w.contract = ContractFactory(organisation=w.org, customer=w.customer)
        upload = SimpleUploadedFile("terms.pdf", b"%PDF-1.4 terms", "application/pdf")
        contract_save(contract=w.contract, actor=None, changed=[], upload=upload)
    return w.contract


def _url(name: str, obj: Callable[[World], object]) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[obj(w).pk])


PROJECT = _url("crm:project_detail", _project)
CONTRACT = _url("crm:contract_detail", _contract)
THREAD = _url("crm:thread_detail", lambda w: w.customer)
CRM_ROWS = [
    Row("crm:project_list", "get", 200, 200, 200),
    Row("crm:projects_export", "get", 200, 200, 200),
    Row("crm:projects_export", "post", 405, 405, 405),
    Row("crm:projects_bulk", "get", 405, 405, 405),
    Row("crm:projects_bulk", "post", 200, 200, 200, data={"action": "export"}),
    Row("crm:project_new", "get", 200, 403, 403),
    Row("crm:project_new", "post", 400, 403, 403),
    Row("crm:project_detail", "get", 200, 200, 200, args=lambda w: [_project(w).pk]),
    Row("crm:project_edit", "get", 200, 403, 403, args=lambda w: [_project(w).pk]),
    Row("crm:project_edit", "post", 400, 403, 403, args=lambda w: [_project(w).pk]),
    Row("crm:project_invoice_add", "post", 400, 403, 403, args=lambda w: [_project(w).pk]),
    Row(
        "crm:project_invoice_remove",
        "post",
        PROJECT,
        403,
        403,
        args=lambda w: [_project(w).pk, w.unpaid.pk],
    ),
    Row("crm:contract_list", "get", 200, 200, 200),
    Row("crm:contracts_export", "get", 200, 200, 200),
    Row("crm:contracts_export", "post", 405, 405, 405),
    Row("crm:contracts_bulk", "get", 405, 405, 405),
    Row("crm:contracts_bulk", "post", 200, 200, 200, data={"action": "export"}),
    Row("crm:contract_new", "get", 200, 403, 403),
    Row("crm:contract_new", "post", 400, 403, 403),
    Row("crm:contract_detail", "get", 200, 200, 200, args=lambda w: [_contract(w).pk]),
    Row("crm:contract_edit", "get", 200, 403, 403, args=lambda w: [_contract(w).pk]),
    Row("crm:contract_edit", "post", 400, 403, 403, args=lambda w: [_contract(w).pk]),
    Row("crm:contract_document", "get", 200, 200, 200, args=lambda w: [_contract(w).pk]),
    Row("crm:contract_send", "post", CONTRACT, 403, 403, args=lambda w: [_contract(w).pk]),
    Row("crm:contract_sign", "get", 200, 403, 403, args=lambda w: [_contract(w).pk]),
    Row("crm:contract_sign", "post", 400, 403, 403, args=lambda w: [_contract(w).pk]),
    Row("crm:thread_list", "get", 200, 200, 200),
    Row("crm:thread_list", "post", 405, 405, 405),
    Row("crm:thread_detail", "get", 200, 200, 200, args=pk("customer")),
    Row(
        "crm:thread_detail",
        "post",
        THREAD,
        THREAD,
        403,
        args=pk("customer"),
        data={"body": "We can come at 2pm."},
    ),
]
ROWS += CRM_ROWS


# Webhooks: the Owner (webhooks.manage)
WEBHOOKS_DENIED = "Only the Owner can manage webhooks."


def _endpoint(w: World) -> Endpoint:
    if not hasattr(w, "endpoint"):
        w.endpoint = Endpoint.objects.create(
            organisation=w.org,
            url="https://receiver.example.com/",
            events=["lead.created"],
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
        w.webhook_message = WebhookMessage.objects.create(
            organisation=w.org,
            endpoint=w.endpoint,
            event_id="evt_1",
            event_type="lead.created",
            payload={"type": "lead.created"},
            status="failed",
        )
    return w.endpoint


def _hook(w: World) -> InboundHook:
    if not hasattr(w, "hook"):
        w.hook = InboundHook.objects.create(
            organisation=w.org, name="Form", token_hash="c" * 64, token_hint="whin_abcd"
        )
    return w.hook


ENDPOINT = _url("webhooks_manager:endpoint", _endpoint)
HOOK = _url("webhooks_manager:inbound", _hook)
ENDPOINT_ID = lambda w: [_endpoint(w).pk]  # noqa: E731
HOOK_ID = lambda w: [_hook(w).pk]  # noqa: E731
WEBHOOK_ROWS = [
    Row(
        name,
        method,
        owner,
        SETTINGS,
        SETTINGS,
        args=args,
        data=data,
        denied_message=WEBHOOKS_DENIED,
    )
    for name, method, owner, args, data in [
        ("webhooks_manager:manager", "get", 200, lambda w: [], {}),
        ("webhooks_manager:endpoint_add", "get", 200, lambda w: [], {}),
        ("webhooks_manager:endpoint_add", "post", 200, lambda w: [], {}),
        ("webhooks_manager:endpoint", "get", 200, ENDPOINT_ID, {}),
        ("webhooks_manager:endpoint_edit", "get", 200, ENDPOINT_ID, {}),
        ("webhooks_manager:endpoint_edit", "post", 200, ENDPOINT_ID, {}),
        ("webhooks_manager:endpoint_enabled", "post", ENDPOINT, ENDPOINT_ID, {"enabled": "0"}),
        ("webhooks_manager:endpoint_rotate", "get", 200, ENDPOINT_ID, {}),
        ("webhooks_manager:endpoint_rotate", "post", ENDPOINT, ENDPOINT_ID, {}),
        ("webhooks_manager:endpoint_delete", "get", 200, ENDPOINT_ID, {}),
        ("webhooks_manager:endpoint_delete", "post", "webhooks_manager:manager", ENDPOINT_ID, {}),
        ("webhooks_manager:endpoint_test", "post", ENDPOINT, ENDPOINT_ID, {}),
        (
            "webhooks_manager:message_resend",
            "post",
            ENDPOINT,
            lambda w: [_endpoint(w).pk, w.webhook_message.pk],
            {},
        ),
        ("webhooks_manager:inbound_add", "get", 200, lambda w: [], {}),
        ("webhooks_manager:inbound_add", "post", 200, lambda w: [], {}),
        ("webhooks_manager:inbound", "get", 200, HOOK_ID, {}),
        ("webhooks_manager:inbound_rotate", "get", 200, HOOK_ID, {}),
        ("webhooks_manager:inbound_rotate", "post", HOOK, HOOK_ID, {}),
        ("webhooks_manager:inbound_revoke", "get", 200, HOOK_ID, {}),
        ("webhooks_manager:inbound_revoke", "post", HOOK, HOOK_ID, {}),
    ]
]
ROWS += WEBHOOK_ROWS
ROLES = [OWNER, STAFF, ACCOUNTANT]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def world(org) -> World:
    world = build_world(org)
    _project(world)
    _contract(world)
    _invitation(world)
    _teammate(world)
    _endpoint(world)
    _hook(world)
    make_appointment(org, staff=make_member(org, STAFF), start=timezone.now())
    return world


def state(world: World) -> dict:
    """What a denied request must leave alone."""
    return {
        "invoices": sorted(Invoice.objects.values_list("number", "status", "version")),
        "payments": sorted(Payment.objects.values_list("pk", "deleted_at")),
        "customers": sorted(Customer.objects.values_list("pk", "name")),
        "codes": sorted(NominalCode.objects.values_list("pk", "code", "name")),
        "contacts": sorted(Contact.objects.values_list("pk", "name", "is_primary")),
        "leads": sorted(Lead.objects.values_list("pk", "name", "status", "customer")),
        "quotes": sorted(Quote.objects.values_list("pk", "status", "total", "invoice")),
        "projects": sorted(Project.objects.values_list("pk", "name", "status")),
        "project_invoices": sorted(Project.invoices.through.objects.values_list("pk")),
        "contracts": sorted(Contract.objects.values_list("pk", "status", "title")),
        "messages": Message.objects.count(),
        "appointments": sorted(Appointment.objects.values_list("pk", "status", "start")),
        "members": sorted(Membership.objects.values_list("pk", "role")),
        "invitations": sorted(
            Invitation.objects.values_list("pk", "token_hash", "revoked_at", "expires_at")
        ),
        "endpoints": sorted(Endpoint.objects.values_list("pk", "enabled", "url")),
        "webhook_messages": sorted(WebhookMessage.objects.values_list("pk", "status")),
        "inbound_hooks": sorted(InboundHook.objects.values_list("pk", "token_hash", "revoked_at")),
    }


def request(client: Client, row: Row, world: World):
    return getattr(client, row.method)(row.url(world), row.data)


MATRIX = [
    pytest.param(row, role, id=f"{role}-{row}")
    for row in ROWS
    for role in ROLES
    if getattr(row, role) is not None
]


@pytest.mark.parametrize(("row", "role"), MATRIX)
def test_permission_matrix(row: Row, role: str, org, world):
    client = client_for(make_member(org, role))
    expected = getattr(row, role)
    before = state(world)

    response = request(client, row, world)

    if isinstance(expected, int):
        assert response.status_code == expected
    else:
        target = expected(world) if callable(expected) else reverse(expected)
        assert response.status_code == 302
        assert response.url == target
    if expected == 403 or expected == SETTINGS:
        assert state(world) == before
    if expected == SETTINGS:
        assert row.denied_message
        followed = client.get(response.url)
        assert followed.status_code == 200
        assert row.denied_message in text(followed)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_anonymous_visitors_are_sent_to_log_in(row: Row, client, world):
    before = state(world)

    response = request(client, row, world)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")
    assert state(world) == before


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_a_user_in_no_organisation_sees_the_no_organisation_page(row: Row, world):
    client = client_for(UserFactory())
    before = state(world)

    response = request(client, row, world)

    assert response.status_code == 403
    assert "No organisation yet" in text(response)
    assert state(world) == before


def test_denied_htmx_request_redirects_the_whole_page(staff_client):
    response = staff_client.get(reverse("settings_nominal_codes"), headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"] == reverse("settings_index")
    followed = staff_client.get(reverse("settings_index"))
    assert FINANCE_DENIED in text(followed)


def test_default_roles_hold_the_documented_capabilities(org):
    roles = {role.key: set(role.capabilities) for role in Role.objects.filter(organisation=org)}

    assert roles["owner"] == set(CAPABILITIES)  # the Owner holds every capability there is
    assert roles["owner"] >= {
        "invoices.view",
        "invoices.manage",
        "finance.xero.sync",
        "settings.finance.manage",
        "settings.integrations.manage",
    }
    assert roles["staff"] == {
        "invoices.view",
        "invoices.manage",
        "finance.xero.sync",
        "crm.view",
        "contacts.manage",
        "leads.manage",
        "quotes.manage",
        "appointments.manage",
        "messages.manage",
    }
    assert roles["accountant"] == {
        "invoices.view",
        "finance.xero.sync",
        "crm.view",
        "settings.finance.view",
        "integrations.activity.view",
    }
    names = dict(Role.objects.filter(organisation=org).values_list("key", "name"))
    assert names == {"owner": "Owner", "staff": "Staff", "accountant": "Accountant"}


def test_the_matrix_covers_every_page():
    """A new view needs a row in ROWS: this fails until it has one."""
    pages = (
        {f"invoicing:{p.name}" for p in invoicing_urls.urlpatterns}
        | {p.name for p in invoicing_settings_urls.urlpatterns}
        | {f"integrations:{p.name}" for p in integrations_urls.urlpatterns}
        | {f"crm:{p.name}" for p in crm_urls.urlpatterns}
        | {f"scheduling:{p.name}" for p in scheduling_urls.urlpatterns}
        | {f"home:{p.name}" for p in home_urls.urlpatterns}
        | {f"twilio_sms:{p.name}" for p in twilio_sms_urls.urlpatterns}
        | {f"webhooks_manager:{p.name}" for p in webhooks_urls.urlpatterns}
        | {"settings_index", "settings_security", "home"}
        | {
            "settings_team",
            "settings_team_invitation_resend",
            "settings_team_invitation_revoke",
            "settings_team_role",
            "settings_team_remove",
        }
    )

    assert pages - {row.name for row in ROWS} == set()


def test_role_clean_rejects_unknown_capabilities(org):
    role = Role(
        organisation=org,
        key="auditor",
        name="Auditor",
        capabilities=["invoices.view", "invoices.delete_everything"],
    )

    with pytest.raises(ValidationError) as error:
        role.full_clean()

    assert error.value.message_dict["capabilities"] == [
        "Unknown capabilities: invoices.delete_everything"
    ]


def test_role_clean_accepts_known_capabilities(org):
    Role(
        organisation=org, key="auditor", name="Auditor", capabilities=["invoices.view"]
    ).full_clean()


def _role(org, key: str) -> Role:
    return Role.objects.get(organisation=org, key=key)


def test_taking_invoices_view_away_from_staff_closes_the_invoice_pages(org, staff_client, world):
    assert staff_client.get(reverse("invoicing:sales_list")).status_code == 200
    role = _role(org, STAFF)
    role.capabilities = [c for c in role.capabilities if c != "invoices.view"]
    role.save()

    assert staff_client.get(reverse("invoicing:sales_list")).status_code == 403
    assert staff_client.get(detail_url(world.draft)).status_code == 403
    assert staff_client.get(reverse("invoicing:customer_list")).status_code == 403
    # invoices.manage pages are unaffected
    assert staff_client.get(reverse("invoicing:sales_new")).status_code == 200


def test_editing_one_organisations_role_leaves_other_organisations_alone(org, other_org):
    role = _role(org, STAFF)
    role.capabilities = []
    role.save()
    elsewhere = client_for(make_member(other_org, STAFF))

    assert elsewhere.get(reverse("invoicing:sales_list")).status_code == 200


def test_giving_accountant_finance_settings_opens_nominal_code_editing(org, accountant_client):
    url = reverse("settings_nominal_code_new")
    assert accountant_client.get(url).status_code == 302
    role = _role(org, ACCOUNTANT)
    role.capabilities = [*role.capabilities, "settings.finance.manage"]
    role.save()

    assert accountant_client.get(url).status_code == 200


def test_a_role_edited_in_the_admin_changes_access(org, staff_client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    role = _role(org, STAFF)

    response = client_for(admin).post(
        reverse("admin:accounts_role_change", args=[role.pk]),
        {
            "organisation": org.pk,
            "key": role.key,
            "name": role.name,
            "capabilities": ["invoices.manage", "finance.xero.sync"],
        },
    )

    assert response.status_code == 302
    role.refresh_from_db()
    assert set(role.capabilities) == {"invoices.manage", "finance.xero.sync"}
    assert staff_client.get(reverse("invoicing:sales_list")).status_code == 403


def test_access_follows_the_role_in_the_organisation_being_worked_in(org, other_org):
    """An Owner of org B who is only Accountant in org A has Accountant rights in org A."""
    user = make_member(other_org, OWNER)
    MembershipFactory(user=user, organisation=org, role_key=ACCOUNTANT)
    client = client_for(user)
    client.post(reverse("accounts:organisation_switch"), {"organisation": org.pk})

    assert client.get(reverse("invoicing:sales_list")).status_code == 200
    assert client.get(reverse("invoicing:sales_new")).status_code == 403
    assert client.get(reverse("settings_nominal_code_new")).status_code == 302

    client.post(reverse("accounts:organisation_switch"), {"organisation": other_org.pk})
    assert client.get(reverse("invoicing:sales_new")).status_code == 200
    assert client.get(reverse("settings_nominal_code_new")).status_code == 200
