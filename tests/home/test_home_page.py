"""The home page as members see it, the invoice list it links to, and the error pages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import organisation_today
from home.models import ChecklistDismissal
from integrations.models import Connection

from ..factories import make_invoice, make_payment
from ..helpers import visible_text

pytestmark = pytest.mark.django_db


def overdue_invoice(org, total="100.00", **kwargs):
    issued = organisation_today(org) - datetime.timedelta(days=45)
    return make_invoice(org, lines=((1, total, "0"),), issue_date=issued, finalise=True, **kwargs)


def current_invoice(org, total="100.00", **kwargs):
    return make_invoice(
        org, lines=((1, total, "0"),), issue_date=organisation_today(org), finalise=True, **kwargs
    )


def test_owner_sees_the_figures_each_linked_to_its_list(owner_client, org, other_org):
    overdue_invoice(org, "1234.56")
    make_payment(current_invoice(org, "300.00"), "100.00", date=organisation_today(org))
    overdue_invoice(org, "50.00", currency="EUR")
    overdue_invoice(other_org, "9999.00")

    response = owner_client.get(reverse("home"))
    page = visible_text(response)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Money owed £1,434.56 €50.00 3 invoices" in page
    assert "Overdue £1,234.56 €50.00 2 invoices" in page
    assert "Paid this month £100.00 1 payment" in page
    assert "9,999" not in page
    assert 'href="/invoices/?overdue=on"' in html
    assert 'href="/invoices/?owed=1"' in html
    assert "Invoiced and paid, last 12 weeks" in page
    assert "Get started" in page  # nothing connected yet


def test_the_overdue_link_lists_the_overdue_invoices_only(owner_client, org):
    late = overdue_invoice(org)
    on_time = current_invoice(org)
    paid = overdue_invoice(org)
    make_payment(paid, "100.00")

    response = owner_client.get(reverse("invoicing:sales_list") + "?overdue=on")
    page = visible_text(response)

    assert late.number in page
    assert on_time.number not in page and paid.number not in page
    # The list's own Overdue chip is on, and a click takes it off.
    assert 'href="?" aria-current="true" title="Remove this filter">Overdue' in (
        response.content.decode()
    )


def test_the_owed_and_paid_links_list_what_the_figures_count(owner_client, org):
    part_paid = current_invoice(org)
    make_payment(part_paid, "10.00", date=organisation_today(org))
    paid_long_ago = current_invoice(org)
    make_payment(
        paid_long_ago, "100.00", date=organisation_today(org) - datetime.timedelta(days=60)
    )
    first = organisation_today(org).replace(day=1)

    owed = visible_text(owner_client.get("/invoices/?owed=1"))
    paid = visible_text(owner_client.get(f"/invoices/?paid_since={first:%Y-%m-%d}"))

    assert part_paid.number in owed and paid_long_ago.number not in owed
    assert part_paid.number in paid and paid_long_ago.number not in paid


def test_a_bad_filter_value_is_ignored_not_an_error(owner_client, org):
    assert owner_client.get("/invoices/?paid_since=yesterday&overdue=maybe").status_code == 200


def test_sync_health_links_failed_and_earlier_invoices(owner_client, org):
    current_invoice(org)
    Connection.objects.create(
        organisation=org, provider="xero", state="active", connected_at=timezone.now()
    )

    response = owner_client.get(reverse("home"))

    assert "1 earlier invoice is not in Xero" in visible_text(response)
    assert 'href="/settings/integrations/xero/#backfill-xero"' in response.content.decode()


def test_staff_see_no_sync_health_nor_checklist_and_the_accountant_no_appointments(
    staff_client, accountant_client
):
    staff_page = visible_text(staff_client.get(reverse("home")))
    accountant_page = visible_text(accountant_client.get(reverse("home")))

    assert "Money owed" in staff_page and "Appointments" in staff_page
    assert "Sync health" not in staff_page and "Get started" not in staff_page
    assert "Money owed" in accountant_page
    assert "Unread messages" in accountant_page  # the accountant reads the CRM


def test_dismissing_the_checklist_hides_it_for_the_organisation(owner_client, org, staff_client):
    response = owner_client.post(reverse("home:checklist_dismiss"))

    assert response.status_code == 302 and response.url == reverse("home")
    assert ChecklistDismissal.objects.filter(organisation=org).count() == 1
    assert "Get started" not in visible_text(owner_client.get(reverse("home")))
    assert staff_client.post(reverse("home:checklist_dismiss")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_an_unknown_url_shows_the_not_found_page_in_the_layout(owner_client, client):
    response = owner_client.get("/no-such-page/")
    page = visible_text(response)

    assert response.status_code == 404
    assert "Page not found" in page
    assert "Go to the home page" in page
    assert 'class="sidebar"' in response.content.decode()  # the member keeps the navigation

    anonymous = client.get("/no-such-page/")
    assert anonymous.status_code == 404
    assert "Log in" in visible_text(anonymous)
    assert 'class="sidebar"' not in anonymous.content.decode()


def test_a_refused_page_says_why_in_the_layout(accountant_client):
    response = accountant_client.get(reverse("invoicing:sales_new"))
    page = visible_text(response)

    assert response.status_code == 403
    assert "You can't open this page" in page
    assert "You are signed in to Alpha Heating Ltd as Accountant" in page
    assert 'class="sidebar"' in response.content.decode()


@pytest.mark.urls("tests.home.failing_urls")
def test_a_server_error_shows_the_error_page_without_the_database(settings, client):
    settings.DEBUG = False
    client.raise_request_exception = False

    response = client.get("/fails/")

    assert response.status_code == 500
    page = visible_text(response)
    assert "Something went wrong" in page
    assert "Go to the home page" in page


def test_members_see_the_sync_health_of_what_they_may_sync(
    owner_client, staff_client, accountant_client, org
):
    current_invoice(org)  # earlier than both connections
    for key in ("xero", "ghl"):
        Connection.objects.create(
            organisation=org, provider=key, state="active", connected_at=timezone.now()
        )

    owner = owner_client.get(reverse("home")).content.decode()
    staff = staff_client.get(reverse("home")).content.decode()
    accountant = accountant_client.get(reverse("home")).content.decode()

    assert 'id="sync-health-xero"' in owner and 'id="sync-health-ghl"' in owner
    assert "earlier invoice" in owner
    # Staff press Sync now for both, the Accountant for Xero; neither sends earlier ones.
    assert 'id="sync-health-ghl"' in staff and 'id="sync-health-xero"' in staff
    assert 'id="sync-health-xero"' in accountant and 'id="sync-health-ghl"' not in accountant
    assert "earlier invoice" not in staff + accountant
    assert "/settings/integrations/" not in staff + accountant


def test_searching_the_overdue_list_keeps_it_overdue(owner_client, org):
    late = overdue_invoice(org, reference="Boiler")
    on_time = current_invoice(org, reference="Boiler")

    response = owner_client.get("/invoices/?overdue=on&q=Boiler")
    page = visible_text(response)

    assert late.number in page and on_time.number not in page
    assert '<input type="hidden" name="overdue" value="on">' in response.content.decode()
