"""Settings → Integrations → Xero: the page with the Auto-sync panel."""

from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection
from tests.helpers import visible_text


def test_the_xero_page_shows_the_auto_sync_panel_with_its_three_toggles(org, owner_client):
    Connection.objects.create(
        organisation=org,
        provider="xero",
        state=Connection.State.ACTIVE,
        remote_account_id="tenant-1",
        remote_account_name="Alpha (Xero)",
        connected_at=timezone.now(),
    )
    page = visible_text(owner_client.get(reverse("integrations:provider", args=["xero"])))
    assert "Settings \u203a Integrations \u203a Xero" in page
    assert "Auto-sync" in page
    for label in (
        "Automatically sync new invoices to Xero",
        "Sync sales invoices",
        "Sync purchase invoices",
    ):
        assert label in page


def test_the_xero_page_needs_the_integrations_capability(staff_client):
    response = staff_client.get(reverse("integrations:provider", args=["xero"]), follow=True)
    assert "You do not have permission to manage integrations" in visible_text(response)
