"""The GoHighLevel panel follows Push to GHL without a reload: an empty placeholder stands in
on an invoice GoHighLevel could take, and fetches the panel when the sync line settles. The
overview tile says whether invoices go by themselves."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from integrations.models import SyncRecord
from invoicing.models import Invoice
from tests.conftest import client_for, make_member
from tests.factories import make_invoice
from tests.helpers import detail_url

from .test_panel import mark_pushed, paid_in_full, plain

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
INDEX = reverse("integrations:index")
AUTO_PUSH_OFF = "Auto-push is off: invoices go when you push them"


def panel_url(invoice) -> str:
    return reverse("ghl:panel", args=[invoice.pk])


def panel_html(html: str) -> str:
    start = html.rindex("<", 0, html.index('id="ghl-panel"'))
    return html[start : html.index(">", start) + 1]


def test_an_invoice_not_pushed_yet_has_a_placeholder_that_waits_for_the_push(
    owner_client, connection, invoice
):
    html = owner_client.get(detail_url(invoice)).content.decode()

    placeholder = panel_html(html)
    assert placeholder.startswith('<div id="ghl-panel" hidden')
    assert f'hx-get="{panel_url(invoice)}"' in placeholder
    assert 'hx-trigger="sync-settled from:body"' in placeholder
    assert "Send payment link" not in plain(html)


def test_the_panel_appears_once_the_invoice_is_pushed(owner_client, connection, invoice):
    before = owner_client.get(panel_url(invoice), headers=HTMX).content.decode()
    assert 'id="ghl-panel" hidden' in before

    mark_pushed(connection, invoice)
    after = owner_client.get(panel_url(invoice), headers=HTMX)

    assert after.status_code == 200
    html = after.content.decode()
    assert 'hx-trigger="sync-settled from:body"' in panel_html(html)
    assert "Send payment link" in plain(html)
    assert "Get payment link" in plain(html)


def test_the_sync_line_settling_after_push_to_ghl_tells_the_panel(
    owner_client, connection, invoice
):
    row = reverse("sync:row", args=["ghl", invoice.pk])
    SyncRecord.objects.create(
        organisation=connection.organisation,
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        state=SyncRecord.State.PENDING,
    )
    pending = owner_client.get(f"{row}?pending=1", headers=HTMX)
    assert "sync-settled" not in pending.headers.get("HX-Trigger", "")

    SyncRecord.objects.filter(object_id=invoice.pk).delete()
    mark_pushed(connection, invoice)
    settled = owner_client.get(f"{row}?pending=1", headers=HTMX)

    assert settled.status_code == 286
    assert json.loads(settled.headers["HX-Trigger"])["sync-settled"] == {
        "provider": "ghl",
        "invoice": invoice.pk,
    }


def test_no_placeholder_where_there_is_nothing_to_collect(owner_client, connection, invoice):
    paid_in_full(invoice)

    html = owner_client.get(detail_url(invoice)).content.decode()

    assert 'id="ghl-panel"' not in html
    assert owner_client.get(panel_url(invoice), headers=HTMX).content == b""


def test_no_placeholder_on_a_bill(owner_client, connection, org):
    bill = make_invoice(org, kind=Invoice.Kind.PURCHASE, finalise=True)

    assert 'id="ghl-panel"' not in owner_client.get(detail_url(bill)).content.decode()


def test_a_reader_gets_the_panel_too(org, connection, invoice):
    mark_pushed(connection, invoice)
    reader = make_member(org, "accountant")

    response = client_for(reader).get(panel_url(invoice), headers=HTMX)

    assert response.status_code == 200
    assert "GHL invoice ID" in plain(response.content.decode())


def test_another_organisations_invoice_is_not_found(owner_client, connection, other_org):
    theirs = make_invoice(other_org, finalise=True)

    assert owner_client.get(panel_url(theirs), headers=HTMX).status_code == 404


def tile_text(response) -> str:
    page = response.content.decode()
    start = page.rindex("<div", 0, page.index('id="status-ghl"'))
    return plain(page[start : page.index("</div>", start)])


def test_the_tile_says_auto_push_is_off_until_it_is_switched_on(owner_client, connection):
    assert tile_text(owner_client.get(INDEX)).endswith(AUTO_PUSH_OFF)

    response = owner_client.post(
        reverse("integrations:toggle", args=["ghl", "auto_push"]), {"value": "on"}, headers=HTMX
    )

    assert tile_text(response).endswith("Nothing to do: syncing is on")
    assert "syncing is on" not in tile_text(
        owner_client.post(
            reverse("integrations:toggle", args=["ghl", "auto_push"]),
            {"value": "off"},
            headers=HTMX,
        )
    )
