"""Isolation, proven: every URL of the product that takes an id, tried by the Owner of a
second organisation (signed up through the page, with its own customers, invoices and
connections) with the first organisation's ids. Each answers 404 (or 403/405), never shows
the first organisation's data and changes none of it.

The URLs come from the URL configuration itself, so a new URL with an id is tried the day
it is added; it fails here until ID_SOURCES says which of the first organisation's objects
its ids name."""

from collections.abc import Callable

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone

from accounts.capabilities import STAFF
from accounts.models import Invitation, Membership, Organisation, Role
from ghl.models import PaymentLinkRun
from integrations.models import Connection
from torqueflow.numbers import IdConverter
from webhooks_manager.models import Endpoint, InboundHook, Message

from .conftest import make_member
from .factories import ContractFactory, MembershipFactory, ProjectFactory, make_appointment
from .helpers import World, build_world

# Sandbox URLs stand in for the providers' own servers (their ids are the providers' ids,
# not an organisation's); they exist only with SANDBOX_ENABLED and never in production.
EXCLUDED_NAMESPACES = {"sandbox": "the providers' emulator, not the product"}

# For each URL name with an id: the first organisation's ids it is tried with.
ID_SOURCES: dict[str, Callable[[World], dict]] = {
    "settings_team_invitation_resend": lambda w: {"pk": w.invitation.pk},
    "settings_team_invitation_revoke": lambda w: {"pk": w.invitation.pk},
    "settings_team_role": lambda w: {"pk": w.teammate.pk},
    "settings_team_remove": lambda w: {"pk": w.teammate.pk},
    "settings_nominal_code_edit": lambda w: {"pk": w.code.pk},
    "sync:sync_now": lambda w: {"provider": "xero", "pk": w.unpaid.pk},
    "sync:badge": lambda w: {"provider": "xero", "pk": w.unpaid.pk},
    "sync:row": lambda w: {"provider": "xero", "pk": w.unpaid.pk},
    "ghl:panel": lambda w: {"pk": w.unpaid.pk},
    "ghl:send_link": lambda w: {"pk": w.unpaid.pk},
    "ghl:payment_link": lambda w: {"pk": w.unpaid.pk},
    "ghl:link_run": lambda w: {"pk": w.link_run.pk},
    "stripe_connect:pay_online": lambda w: {"pk": w.unpaid.pk},
    "invoicing:invoice_detail": lambda w: {"pk": w.unpaid.pk},
    "invoicing:invoice_edit": lambda w: {"pk": w.draft.pk},
    "invoicing:invoice_finalise": lambda w: {"pk": w.draft.pk},
    "invoicing:invoice_void": lambda w: {"pk": w.unpaid.pk},
    "invoicing:invoice_discard": lambda w: {"pk": w.draft.pk},
    "invoicing:payment_new": lambda w: {"pk": w.part_paid.pk},
    "invoicing:payment_delete": lambda w: {"pk": w.part_paid.pk, "payment_pk": w.payment.pk},
    "invoicing:customer_edit": lambda w: {"pk": w.customer.pk},
    "invoicing:supplier_edit": lambda w: {"pk": w.supplier.pk},
    "crm:customer_detail": lambda w: {"pk": w.customer.pk},
    "crm:contact_new": lambda w: {"pk": w.customer.pk},
    "crm:contact_edit": lambda w: {"pk": w.customer.pk, "contact_pk": w.contact.pk},
    "crm:contact_primary": lambda w: {"pk": w.customer.pk, "contact_pk": w.contact.pk},
    "crm:contact_remove": lambda w: {"pk": w.customer.pk, "contact_pk": w.contact.pk},
    "crm:lead_detail": lambda w: {"pk": w.lead.pk},
    "crm:lead_edit": lambda w: {"pk": w.lead.pk},
    "crm:lead_status": lambda w: {"pk": w.lead.pk},
    "crm:lead_convert": lambda w: {"pk": w.lead.pk},
    "crm:quote_detail": lambda w: {"pk": w.quote.pk},
    "crm:quote_edit": lambda w: {"pk": w.quote.pk},
    "crm:quote_send": lambda w: {"pk": w.quote.pk},
    "crm:quote_accept": lambda w: {"pk": w.quote.pk},
    "crm:quote_decline": lambda w: {"pk": w.quote.pk},
    "crm:quote_convert": lambda w: {"pk": w.quote.pk},
    "crm:project_detail": lambda w: {"pk": w.project.pk},
    "crm:project_edit": lambda w: {"pk": w.project.pk},
    "crm:project_invoice_add": lambda w: {"pk": w.project.pk},
    "crm:project_invoice_remove": lambda w: {"pk": w.project.pk, "invoice_pk": w.unpaid.pk},
    "crm:contract_detail": lambda w: {"pk": w.contract.pk},
    "crm:contract_edit": lambda w: {"pk": w.contract.pk},
    "crm:contract_document": lambda w: {"pk": w.contract.pk},
    "crm:contract_send": lambda w: {"pk": w.contract.pk},
    "crm:contract_sign": lambda w: {"pk": w.contract.pk},
    "crm:thread_detail": lambda w: {"customer_pk": w.customer.pk},
    "scheduling:detail": lambda w: {"pk": w.appointment.pk},
    "scheduling:edit": lambda w: {"pk": w.appointment.pk},
    "scheduling:cancel": lambda w: {"pk": w.appointment.pk},
    "scheduling:complete": lambda w: {"pk": w.appointment.pk},
    "webhooks_manager:endpoint": lambda w: {"pk": w.endpoint.pk},
    "webhooks_manager:endpoint_edit": lambda w: {"pk": w.endpoint.pk},
    "webhooks_manager:endpoint_enabled": lambda w: {"pk": w.endpoint.pk},
    "webhooks_manager:endpoint_rotate": lambda w: {"pk": w.endpoint.pk},
    "webhooks_manager:endpoint_delete": lambda w: {"pk": w.endpoint.pk},
    "webhooks_manager:endpoint_test": lambda w: {"pk": w.endpoint.pk},
    "webhooks_manager:message_resend": lambda w: {"pk": w.endpoint.pk, "message_pk": w.message.pk},
    "webhooks_manager:inbound": lambda w: {"pk": w.hook.pk},
    "webhooks_manager:inbound_rotate": lambda w: {"pk": w.hook.pk},
    "webhooks_manager:inbound_revoke": lambda w: {"pk": w.hook.pk},
}

# What a request from the other organisation may answer.
REFUSED = {403, 404, 405}


def _takes_an_id(pattern: URLPattern) -> bool:
    converters = getattr(pattern.pattern, "converters", {})
    return any(isinstance(c, IntConverter | IdConverter) for c in converters.values())


def urls_with_ids() -> list[tuple[str, str]]:
    """(URL name, route) of every pattern taking an integer id, namespaces joined."""
    found: list[tuple[str, str]] = []

    def walk(patterns, namespace: str, route: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, inner, route + str(pattern.pattern))
            elif _takes_an_id(pattern):
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                found.append((name, route + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "", "")
    return found


def _tried() -> list[tuple[str, str]]:
    return [
        (name, route)
        for name, route in urls_with_ids()
        if name.split(":")[0] not in EXCLUDED_NAMESPACES
    ]


def test_every_url_with_an_id_says_which_objects_it_is_tried_with():
    missing = [f"{name} ({route})" for name, route in _tried() if name not in ID_SOURCES]
    assert not missing, f"Add these URLs to ID_SOURCES in {__name__}: {', '.join(missing)}"
    known = {name for name, _ in _tried()}
    assert not sorted(set(ID_SOURCES) - known), "ID_SOURCES names URLs that no longer exist"


def _world_a(org: Organisation) -> World:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crm.services.contracts import contract_save

    world = build_world(org, tag="Alpha")
    world.project = ProjectFactory(organisation=org, customer=world.customer, name="Alpha job")
    world.project.invoices.add(world.unpaid)
    world.contract = ContractFactory(organisation=org, customer=world.customer, title="Alpha deal")
    contract_save(
        contract=world.contract,
        actor=None,
        changed=[],
        upload=SimpleUploadedFile("terms.pdf", b"%PDF-1.4 Alpha terms", "application/pdf"),
    )
    world.invitation = Invitation.objects.create(
        organisation=org,
        email="alpha.invitee@example.test",
        role=Role.objects.get(organisation=org, key=STAFF),
        token_hash="a" * 64,
    )
    world.teammate = MembershipFactory(organisation=org, role_key=STAFF)
    world.appointment = make_appointment(
        org,
        staff=make_member(org, STAFF),
        start=timezone.now(),
        customer=world.customer,
        title="Alpha visit",
    )
    world.link_run = PaymentLinkRun.objects.create(
        organisation=org,
        connection=Connection.objects.get(organisation=org, provider="ghl"),
        invoice_ids=[world.unpaid.pk],
        outcomes=[{"invoice": world.unpaid.pk, "number": world.unpaid.number, "sent": True}],
    )
    world.endpoint = Endpoint.objects.create(
        organisation=org,
        url="https://alpha.example.com/hooks",
        events=["lead.created"],
        secret="whsec_YWxwaGE=",
    )
    world.message = Message.objects.create(
        organisation=org,
        endpoint=world.endpoint,
        event_id="evt_alpha",
        event_type="lead.created",
        payload={"type": "lead.created"},
        status="failed",
    )
    world.hook = InboundHook.objects.create(
        organisation=org, name="Alpha form", token_hash="b" * 64, token_hint="whin_abcd"
    )
    return world


def _connect(org: Organisation) -> None:
    for provider in ("xero", "ghl"):
        Connection.objects.create(
            organisation=org, provider=provider, state="active", connected_at=timezone.now()
        )


def _organisation_data(org: Organisation) -> dict:
    """Every row of every model that belongs to `org`: what a refused request must leave."""
    data = {}
    for model in apps.get_models():
        field = next((f for f in model._meta.fields if f.name == "organisation"), None)
        if field is None or field.related_model is not Organisation:
            continue
        data[model._meta.label] = sorted(map(repr, model.objects.filter(organisation=org).values()))
    return data


@pytest.fixture
def two_organisations(db, org, settings, tmp_path):
    """A (Alpha, from the seed's factories) and B, signed up through the page."""
    settings.MEDIA_ROOT = str(tmp_path)
    _connect(org)
    world = _world_a(org)
    client = Client()
    client.post(
        "/signup/",
        {
            "business_name": "Bravo Builders",
            "first_name": "Bea",
            "email": "bea@bravo.test",
            "password": "plum tree harbour 42",
            "country": "GB",
        },
    )
    bravo = Membership.objects.get(user__email="bea@bravo.test").organisation
    build_world(bravo, tag="Bravo")
    _connect(bravo)
    return world, client


@pytest.mark.parametrize("name,route", _tried(), ids=[name for name, _ in _tried()])
def test_another_organisations_ids_are_not_found(two_organisations, name, route):
    world, bravo_owner = two_organisations
    url = reverse(name, kwargs=ID_SOURCES[name](world))
    before = _organisation_data(world.org)

    for method in ("get", "post"):
        response = getattr(bravo_owner, method)(url, HTTP_HX_REQUEST="true")
        assert response.status_code in REFUSED, f"{method.upper()} {url}: {response.status_code}"
        body = response.content.decode(errors="replace")
        assert "Alpha" not in body, f"{method.upper()} {url} shows the other organisation's data"

    assert _organisation_data(world.org) == before
