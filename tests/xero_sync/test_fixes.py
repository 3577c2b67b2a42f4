"""Where a failed Xero sync is fixed: what the record keeps, what the pages show beside the
reason (names, and links for those who may use them), and how saving the fix queues the
failed invoices again, and only those."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from integrations import registry
from integrations.models import AccountCode, Connection, SyncActivity, SyncRecord
from integrations.services import sync as sync_service
from integrations.services.connections import connection_activate
from integrations.services.sync import sync_object_changed, sync_push_due
from invoicing.models import Invoice
from tests.factories import CustomerFactory, NominalCodeFactory, SupplierFactory, make_invoice
from tests.helpers import detail_url, visible_text
from xero_sync import mapping
from xero_sync.provider import XeroProvider

from .conftest import (
    API_URL,
    CONTACT_ID,
    TENANT_ID,
    fixture_json,
    link_contact,
    record_of,
    xero_invoice,
)

pytestmark = pytest.mark.django_db

INVOICES = f"{API_URL}/Invoices"
CONTACTS = f"{API_URL}/Contacts"


@pytest.fixture
def pushes(monkeypatch):
    """The connections whose push was sent to the broker (after the commit)."""
    sent = []
    monkeypatch.setattr(sync_service, "_send_push", lambda pk, countdown: sent.append(pk))
    return sent


def failed(connection, invoice, *, reason_code, reason_text, fix) -> SyncRecord:
    record, _ = SyncRecord.objects.update_or_create(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        defaults={
            "organisation": connection.organisation,
            "state": SyncRecord.State.FAILED,
            "reason_code": reason_code,
            "reason_text": reason_text,
            "attempts": 3,
            "fix": fix,
        },
    )
    return record


def unmapped(connection, invoice, *codes) -> SyncRecord:
    return failed(
        connection,
        invoice,
        reason_code="unmapped_nominal_code",
        reason_text="Unmapped nominal code",
        fix={"kind": "nominal_codes", "ids": [code.pk for code in codes]},
    )


def collided(connection, invoice, party) -> SyncRecord:
    kind = "supplier" if invoice.kind == Invoice.Kind.PURCHASE else "customer"
    return failed(
        connection,
        invoice,
        reason_code="contact_collision",
        reason_text="Contact collision - manual mapping required",
        fix={"kind": kind, "ids": [party.pk], "fields": ["name", "company_name"]},
    )


def not_active(connection, invoice) -> SyncRecord:
    return failed(
        connection,
        invoice,
        reason_code="connection_not_active",
        reason_text="Connection not active",
        fix={"kind": "connection"},
    )


def state_of(record) -> str:
    record.refresh_from_db()
    return record.state


# --- what a failed record keeps ------------------------------------------------------------


def test_unmapped_nominal_code_names_every_unmapped_code_once(org, nominal, connection, xero_api):
    labour = NominalCodeFactory(organisation=org, code="4010", name="Labour", xero_account_code="")
    parts = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    invoice = make_invoice(
        org,
        finalise=True,
        lines=[
            (1, "10", "20", labour),
            (1, "10", "20", nominal),
            (1, "10", "20", parts),
            (2, "10", "20", labour),
        ],
    )

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert (record.state, record.reason_text) == ("failed", "Unmapped nominal code")
    assert record.fix == {"kind": "nominal_codes", "ids": [labour.pk, parts.pk]}
    assert not xero_api.calls


def test_a_line_without_a_nominal_code_has_no_place_to_fix(org, connection, xero_api):
    invoice = xero_invoice(org, None)
    sync_push_due(connection_id=connection.pk)
    record = record_of(connection, invoice)
    assert record.reason_text == "Unmapped nominal code"
    assert record.fix == {}


def collision_answer(fresh, clash):
    return fixture_json(
        "contacts_put_one_ok_one_name_collision.json",
        ok_contact_id=CONTACT_ID,
        ok_number=mapping.contact_number(fresh),
        ok_name=mapping.contact_name(fresh),
        clash_number=mapping.contact_number(clash),
        clash_name=mapping.contact_name(clash),
    )


def test_a_contact_collision_names_the_customer_to_rename(org, nominal, connection, xero_api):
    fresh = CustomerFactory(organisation=org, name="Fresh Customer")
    clash = CustomerFactory(organisation=org, name="Buzz Lightyear")
    xero_invoice(org, nominal, customer=fresh)
    clash_invoice = xero_invoice(org, nominal, customer=clash)
    xero_api.put(CONTACTS).respond(json=collision_answer(fresh, clash))
    xero_api.get(f"{CONTACTS}/C-{clash.pk}").respond(404)
    xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, clash_invoice)
    assert record.reason_text == "Contact collision - manual mapping required"
    assert record.fix == {"kind": "customer", "ids": [clash.pk], "fields": ["name", "company_name"]}


def test_a_bill_whose_supplier_collides_names_the_supplier(org, nominal, connection, xero_api):
    fresh = SupplierFactory(organisation=org, name="Fresh Supplier")
    clash = SupplierFactory(organisation=org, name="Buzz Lightyear")
    make_invoice(
        org, kind="purchase", supplier=fresh, finalise=True, lines=[(1, "50", "20", nominal)]
    )
    bill = make_invoice(
        org, kind="purchase", supplier=clash, finalise=True, lines=[(1, "50", "20", nominal)]
    )
    xero_api.put(CONTACTS).respond(json=collision_answer(fresh, clash))
    xero_api.get(f"{CONTACTS}/S-{clash.pk}").respond(404)
    xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_bill_created.json"))

    sync_push_due(connection_id=connection.pk)

    assert record_of(connection, bill).fix == {
        "kind": "supplier",
        "ids": [clash.pk],
        "fields": ["name", "company_name"],
    }


def test_a_refused_contact_names_the_customer_to_edit(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org, name="Jo", email="not-an-email")
    invoice = xero_invoice(org, nominal, customer=customer)
    answer = collision_answer(customer, customer)
    refused = answer["Contacts"][1]
    refused["ValidationErrors"] = [{"Message": "Email address must be valid."}]
    xero_api.put(CONTACTS).respond(json={**answer, "Contacts": [refused]})

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.reason_text == "Contact refused by Xero: Email address must be valid."
    assert record.fix == {"kind": "customer", "ids": [customer.pk]}


def test_an_account_code_xero_refuses_names_the_nominal_code(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    refused = fixture_json("invoices_put_mixed_ok_error.json")["Invoices"][1]
    xero_api.put(INVOICES).respond(
        json={"Invoices": [{**refused, "InvoiceNumber": invoice.number}]}
    )

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.reason_text == "Account code '200' is not a valid code for this document."
    assert record.fix == {"kind": "nominal_codes", "ids": [nominal.pk]}


def test_a_change_while_the_connection_is_interrupted_names_the_connection(org, connection):
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.REQUIRES_REAUTH)
    invoice = make_invoice(org, finalise=True)
    record = record_of(connection, invoice)
    assert record.reason_text == "Connection not active"
    assert record.fix == {"kind": "connection"}


def test_app_revoked_in_a_push_names_the_connection(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    xero_api.put(INVOICES).respond(
        403, json=fixture_json("error_403_authentication_unsuccessful.json")
    )

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert (record.reason_code, record.reason_text) == ("app_revoked", "App revoked")
    assert record.fix == {"kind": "connection"}


def test_the_fix_is_cleared_when_the_record_goes_pending_and_synced(
    org, nominal, connection, xero_api, owner
):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    record = unmapped(connection, invoice, nominal)

    sync_service.sync_now(connection=connection, obj=invoice, actor=owner)
    record.refresh_from_db()
    assert (record.state, record.fix, record.reason_text) == ("pending", {}, "")

    SyncRecord.objects.filter(pk=record.pk).update(fix={"kind": "connection"})
    xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))
    sync_push_due(connection_id=connection.pk)
    record.refresh_from_db()
    assert (record.state, record.fix) == ("synced", {})


# --- what the pages show -------------------------------------------------------------------


def sync_panel(client, invoice) -> str:
    html = client.get(detail_url(invoice)).content.decode()
    return html[html.index('class="card sync-panel"') :]


def test_the_invoice_page_names_the_unmapped_code_and_links_to_it(
    org, nominal, connection, owner_client
):
    code = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    invoice = xero_invoice(org, code)
    unmapped(connection, invoice, code)

    response = owner_client.get(detail_url(invoice))
    page = visible_text(response)

    assert "Unmapped nominal code — 4020 Parts has no Xero account code: Set it" in page
    edit = reverse("settings_nominal_code_edit", args=[code.pk])
    assert f'href="{edit}?next=%2Finvoices%2F{invoice.pk}%2F"' in sync_panel(owner_client, invoice)


def test_without_finance_settings_the_code_is_named_without_a_link(org, connection, staff_client):
    code = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    invoice = xero_invoice(org, code)
    unmapped(connection, invoice, code)

    panel = sync_panel(staff_client, invoice)

    assert "4020 Parts has no Xero account code" in panel
    assert "Set it" not in panel
    assert reverse("settings_nominal_code_edit", args=[code.pk]) not in panel


def test_a_collision_links_to_the_customer_to_rename(org, nominal, connection, staff_client):
    customer = CustomerFactory(organisation=org, name="Jo Smith", company_name="Acme Ltd")
    invoice = xero_invoice(org, nominal, customer=customer)
    collided(connection, invoice, customer)

    page = visible_text(staff_client.get(detail_url(invoice)))

    assert "Contact collision - manual mapping required — Rename Acme Ltd" in page
    edit = reverse("invoicing:customer_edit", args=[customer.pk])
    assert f'href="{edit}?next=' in sync_panel(staff_client, invoice)


def test_an_interrupted_connection_shows_reconnect_to_owners_only(
    org, connection, owner_client, staff_client
):
    invoice = make_invoice(org, finalise=True)
    not_active(connection, invoice)
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.REQUIRES_REAUTH)
    tab = reverse("integrations:provider", args=["xero"])

    owner_panel = sync_panel(owner_client, invoice)
    assert "Connection not active — Reconnect Xero" in visible_text(
        owner_client.get(detail_url(invoice))
    )
    assert f'href="{tab}"' in owner_panel
    assert "Sync now" not in owner_panel  # nothing to sync through until it is reconnected

    staff_panel = sync_panel(staff_client, invoice)
    assert "Reconnect Xero" in staff_panel
    assert f'href="{tab}"' not in staff_panel


def test_the_failed_list_names_and_links_each_fix(org, nominal, connection, owner_client):
    code = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    customer = CustomerFactory(organisation=org, name="Acme Ltd")
    unmapped(connection, xero_invoice(org, code), code)
    collided(connection, xero_invoice(org, nominal, customer=customer), customer)

    response = owner_client.get(reverse("sync:failed", args=["xero"]))
    page = visible_text(response)
    html = response.content.decode()

    assert "Unmapped nominal code — 4020 Parts has no Xero account code: Set it" in page
    assert "Contact collision - manual mapping required — Rename Acme Ltd" in page
    assert reverse("settings_nominal_code_edit", args=[code.pk]) + "?next=" in html
    assert reverse("invoicing:customer_edit", args=[customer.pk]) + "?next=" in html


def test_another_organisations_things_are_never_named(
    org, other_org, nominal, connection, owner_client
):
    theirs = NominalCodeFactory(organisation=other_org, code="9999", name="Secret")
    invoice = xero_invoice(org, nominal)
    unmapped(connection, invoice, theirs)

    panel = sync_panel(owner_client, invoice)

    assert "Unmapped nominal code" in panel
    assert "Secret" not in panel
    assert reverse("settings_nominal_code_edit", args=[theirs.pk]) not in panel


# --- saving the fix queues the invoices again ----------------------------------------------


def nominal_code_post(code, xero_code, **extra):
    return {"code": code.code, "name": code.name, "xero_account_code": xero_code, **extra}


def test_setting_the_account_code_requeues_what_failed_naming_it(
    org, nominal, connection, owner_client, pushes, django_capture_on_commit_callbacks
):
    code = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    other = NominalCodeFactory(organisation=org, code="4030", name="Hire", xero_account_code="")
    named = unmapped(connection, xero_invoice(org, code), code)
    both = unmapped(connection, xero_invoice(org, code), other, code)
    elsewhere = unmapped(connection, xero_invoice(org, other), other)
    url = reverse("settings_nominal_code_edit", args=[code.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, nominal_code_post(code, "200"))

    assert response.status_code == 302
    for record in (named, both):
        record.refresh_from_db()
        assert (record.state, record.attempts, record.reason_text, record.fix) == (
            "pending",
            0,
            "",
            {},
        )
    assert state_of(elsewhere) == "failed"
    assert pushes == [connection.pk]
    line = SyncActivity.objects.get(action="requeue")
    assert (
        line.message == "2 invoices queued again after the fix: 4020 Parts has a Xero account code"
    )


def test_clearing_an_account_code_requeues_nothing(
    org, connection, owner_client, pushes, django_capture_on_commit_callbacks
):
    code = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    record = unmapped(connection, xero_invoice(org, code), code)
    url = reverse("settings_nominal_code_edit", args=[code.pk])

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url, nominal_code_post(code, ""))

    assert state_of(record) == "failed"
    assert pushes == []


def test_the_fix_page_returns_to_the_invoice(org, connection, owner_client):
    code = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    invoice = xero_invoice(org, code)
    unmapped(connection, invoice, code)
    url = reverse("settings_nominal_code_edit", args=[code.pk])

    form = owner_client.get(url, {"next": detail_url(invoice)}).content.decode()
    assert f'name="next" value="{detail_url(invoice)}"' in form
    response = owner_client.post(url, nominal_code_post(code, "200", next=detail_url(invoice)))
    assert response["Location"] == detail_url(invoice)

    elsewhere = owner_client.post(url, nominal_code_post(code, "200", next="https://evil.test/"))
    assert elsewhere["Location"] == reverse("settings_nominal_codes")


def test_renaming_the_customer_requeues_its_collisions_only(
    org, nominal, connection, owner_client, pushes, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(organisation=org, name="Buzz Lightyear", email="buzz@star.test")
    other = CustomerFactory(organisation=org, name="Woody")
    mine = collided(connection, xero_invoice(org, nominal, customer=customer), customer)
    theirs = collided(connection, xero_invoice(org, nominal, customer=other), other)
    url = reverse("invoicing:customer_edit", args=[customer.pk])
    fields = {"name": "Buzz Lightyear", "company_name": "", "email": "buzz@star.test"}

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url, {**fields, "email": "captain@star.test"})
    assert state_of(mine) == "failed"  # a new email does not settle a name collision
    assert pushes == []

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url, {**fields, "name": "Buzz Lightyear (Star Command)"})

    assert state_of(mine) == "pending"
    assert state_of(theirs) == "failed"
    assert pushes == [connection.pk]
    line = SyncActivity.objects.get(action="requeue")
    assert line.message == (
        "1 invoice queued again after the fix: customer Buzz Lightyear (Star Command) renamed"
    )
    assert line.record_id == mine.pk


def test_editing_a_refused_contact_requeues_it(
    org, nominal, connection, owner_client, pushes, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(organisation=org, name="Jo", email="not-an-email")
    record = failed(
        connection,
        xero_invoice(org, nominal, customer=customer),
        reason_code="contact_refused",
        reason_text="Contact refused by Xero: Email address must be valid.",
        fix={"kind": "customer", "ids": [customer.pk]},
    )
    url = reverse("invoicing:customer_edit", args=[customer.pk])

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url, {"name": "Jo", "email": "jo@example.test"})

    assert state_of(record) == "pending"


def test_renaming_a_supplier_requeues_its_bills(
    org, nominal, connection, owner_client, pushes, django_capture_on_commit_callbacks
):
    supplier = SupplierFactory(organisation=org, name="Buzz Lightyear")
    customer = CustomerFactory(organisation=org, name="Buzz Lightyear")
    bill = make_invoice(
        org, kind="purchase", supplier=supplier, finalise=True, lines=[(1, "5", "20", nominal)]
    )
    record = collided(connection, bill, supplier)
    # A customer that happens to share the supplier's id is another thing altogether.
    same_id = failed(
        connection,
        xero_invoice(org, nominal, customer=customer),
        reason_code="contact_collision",
        reason_text="Contact collision - manual mapping required",
        fix={"kind": "customer", "ids": [supplier.pk], "fields": ["name"]},
    )

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            reverse("invoicing:supplier_edit", args=[supplier.pk]), {"name": "Buzz Supplies"}
        )

    assert state_of(record) == "pending"
    assert state_of(same_id) == "failed"


def test_another_organisations_records_are_untouched(
    org, other_org, nominal, connection, owner_client, pushes, django_capture_on_commit_callbacks
):
    code = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    theirs = Connection.objects.create(
        organisation=other_org, provider="xero", state=Connection.State.ACTIVE
    )
    their_customer = CustomerFactory(organisation=other_org)
    their_invoice = make_invoice(other_org, customer=their_customer, finalise=True)
    # Their record names our code's id and our customer's id: ours to fix, not theirs.
    mine_customer = CustomerFactory(organisation=org, name="Acme")
    their_code_record = unmapped(theirs, their_invoice, code)
    SyncRecord.objects.filter(pk=their_code_record.pk).update(
        fix={"kind": "nominal_codes", "ids": [code.pk]}
    )
    their_invoice_2 = make_invoice(other_org, customer=their_customer, finalise=True)
    their_party_record = collided(theirs, their_invoice_2, mine_customer)

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            reverse("settings_nominal_code_edit", args=[code.pk]), nominal_code_post(code, "200")
        )
        owner_client.post(
            reverse("invoicing:customer_edit", args=[mine_customer.pk]), {"name": "Acme Two"}
        )

    assert state_of(their_code_record) == "failed"
    assert state_of(their_party_record) == "failed"
    assert pushes == []


def test_reconnecting_requeues_what_waited_for_the_connection(
    org, other_org, nominal, connection, owner, pushes, django_capture_on_commit_callbacks
):
    code = NominalCodeFactory(organisation=org, xero_account_code="")
    waited = not_active(connection, xero_invoice(org, nominal))
    revoked = failed(
        connection,
        xero_invoice(org, nominal),
        reason_code="app_revoked",
        reason_text="App revoked",
        fix={"kind": "connection"},
    )
    still_unmapped = unmapped(connection, xero_invoice(org, code), code)
    theirs = Connection.objects.create(
        organisation=other_org, provider="xero", state=Connection.State.REQUIRES_REAUTH
    )
    their_record = not_active(theirs, make_invoice(other_org, finalise=True))
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.REQUIRES_REAUTH)

    with django_capture_on_commit_callbacks(execute=True):
        connection_activate(
            organisation=org,
            provider=XeroProvider(),
            actor=owner,
            token={"access_token": "a", "refresh_token": "r", "expires_in": 1800},
            account=registry.RemoteAccount(id=TENANT_ID, name="Alpha Heating Ltd"),
        )

    assert state_of(waited) == "pending" and state_of(revoked) == "pending"
    assert state_of(still_unmapped) == "failed"
    assert state_of(their_record) == "failed"
    assert pushes == [connection.pk]
    line = SyncActivity.objects.get(action="requeue")
    assert line.message == "2 invoices queued again after the fix: Xero reconnected"


def test_a_requeued_invoice_is_pushed_and_synced(
    org, connection, owner_client, xero_api, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    code = NominalCodeFactory(organisation=org, code="4020", name="Parts", xero_account_code="")
    invoice = xero_invoice(org, code, customer=customer)
    sync_push_due(connection_id=connection.pk)
    assert record_of(connection, invoice).fix == {"kind": "nominal_codes", "ids": [code.pk]}
    xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    owner_client.post(
        reverse("settings_nominal_code_edit", args=[code.pk]), nominal_code_post(code, "200")
    )
    sync_push_due(connection_id=connection.pk)

    assert AccountCode.objects.get(nominal_code=code).code == "200"
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


def test_sync_object_changed_is_unaffected_by_fixes(org, connection):
    """A change marks pending as before; the fix of the earlier failure is gone."""
    code = NominalCodeFactory(organisation=org, xero_account_code="")
    invoice = xero_invoice(org, code)
    record = unmapped(connection, invoice, code)
    sync_object_changed(obj=invoice, organisation_id=org.pk, change="updated")
    record.refresh_from_db()
    assert (record.state, record.fix) == ("pending", {})
