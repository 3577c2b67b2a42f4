"""Projects: saving them, linking their customer's invoices, and their pages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.models import Project
from crm.services.projects import project_invoice_link, project_invoice_unlink, project_save
from invoicing.models import AuditLog
from tests.factories import CustomerFactory, ProjectFactory, make_invoice
from tests.helpers import messages_of, visible_text

pytestmark = pytest.mark.django_db


def test_linking_an_invoice_of_the_projects_customer_shows_it_on_the_project(org, owner):
    project = ProjectFactory(organisation=org, name="Studio heating upgrade")
    invoice = make_invoice(org, customer=project.customer, finalise=True)

    project_invoice_link(project=project, invoice=invoice, actor=owner)
    project_invoice_link(project=project, invoice=invoice, actor=owner)  # again: harmless

    assert list(project.invoices.all()) == [invoice]
    assert list(invoice.projects.all()) == [project]
    assert AuditLog.objects.filter(action="project.invoice_linked", actor=owner).count() == 2


def test_another_customers_invoice_is_refused_with_a_message(org, owner):
    project = ProjectFactory(organisation=org, customer__name="ACME Creative Agency")
    invoice = make_invoice(org, customer=CustomerFactory(organisation=org))

    with pytest.raises(ValidationError) as refused:
        project_invoice_link(project=project, invoice=invoice, actor=owner)

    assert refused.value.message_dict == {
        "invoice": ["That invoice belongs to another customer, not ACME Creative Agency."]
    }
    assert project.invoices.count() == 0


def test_a_purchase_invoice_cannot_be_linked(org, owner):
    project = ProjectFactory(organisation=org)
    bill = make_invoice(org, kind="purchase")

    with pytest.raises(ValidationError):
        project_invoice_link(project=project, invoice=bill, actor=owner)


def test_unlinking_keeps_the_invoice(org, owner):
    project = ProjectFactory(organisation=org)
    invoice = make_invoice(org, customer=project.customer)
    project.invoices.add(invoice)

    project_invoice_unlink(project=project, invoice=invoice, actor=owner)

    assert project.invoices.count() == 0
    invoice.refresh_from_db()


def test_a_project_with_invoices_cannot_move_to_another_customer(org, owner):
    project = ProjectFactory(organisation=org)
    project.invoices.add(make_invoice(org, customer=project.customer))
    project.customer = CustomerFactory(organisation=org)

    with pytest.raises(ValidationError) as refused:
        project_save(project=project, actor=owner, changed=["customer"])

    assert "customer" in refused.value.message_dict


def test_due_date_before_start_is_refused(org, owner):
    project = Project(
        organisation=org,
        customer=CustomerFactory(organisation=org),
        name="Backwards",
        start_date=datetime.date(2026, 5, 10),
        due_date=datetime.date(2026, 5, 1),
    )

    with pytest.raises(ValidationError) as refused:
        project_save(project=project, actor=owner, changed=[])

    assert refused.value.message_dict == {
        "due_date": ["The due date cannot be before the start date."]
    }


# Pages


def test_creating_a_project_from_the_form(owner_client, org):
    customer = CustomerFactory(organisation=org, name="ACME Creative Agency")

    response = owner_client.post(
        reverse("crm:project_new"),
        {
            "name": "Studio heating upgrade",
            "customer": customer.pk,
            "status": "active",
            "start_date": "2026-05-01",
            "due_date": "2026-06-01",
            "description": "",
        },
    )

    project = Project.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm:project_detail", args=[project.pk])
    assert (project.organisation, project.customer, project.status) == (org, customer, "active")
    assert messages_of(response) == ["Studio heating upgrade saved."]


def test_the_form_refuses_bad_input_beside_the_fields(owner_client, org, other_org):
    elsewhere = CustomerFactory(organisation=other_org)

    response = owner_client.post(
        reverse("crm:project_new"),
        {
            "name": "",
            "customer": elsewhere.pk,
            "status": "planned",
            "start_date": "2026-05-10",
            "due_date": "2026-05-01",
        },
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {
        "name": ["This field is required."],
        "customer": ["Select a valid choice. That choice is not one of the available choices."],
        "due_date": ["The due date cannot be before the start date."],
    }
    assert Project.objects.count() == 0


def test_the_list_searches_by_name_and_customer_and_filters_by_status(owner_client, org):
    acme = CustomerFactory(organisation=org, name="ACME Creative Agency")
    ProjectFactory(organisation=org, customer=acme, name="Studio heating", status="active")
    ProjectFactory(organisation=org, name="Boiler swap", status="planned")
    ProjectFactory(organisation=org, name="Loft radiators", status="completed")
    url = reverse("crm:project_list")

    assert "Studio heating" in visible_text(owner_client.get(url, {"q": "acme"}))
    assert "Boiler swap" not in visible_text(owner_client.get(url, {"q": "acme"}))
    assert "Boiler swap" in visible_text(owner_client.get(url, {"q": "boiler"}))
    planned = visible_text(owner_client.get(url, {"status": "planned"}))
    assert "Boiler swap" in planned
    assert "Loft radiators" not in planned
    assert "No projects match." in visible_text(owner_client.get(url, {"q": "nothing like it"}))


def test_the_list_pages(owner_client, org):
    for n in range(30):
        ProjectFactory(organisation=org, name=f"Job {n:02d}")
    response = owner_client.get(reverse("crm:project_list"), {"page": "2"})

    assert "Page 2 of 2 · 30 in all" in visible_text(response)
    assert owner_client.get(reverse("crm:project_list"), {"page": "x"}).status_code == 200


def test_detail_links_an_invoice_and_refuses_another_customers(owner_client, org):
    project = ProjectFactory(organisation=org, customer__name="ACME Creative Agency")
    own = make_invoice(org, customer=project.customer, finalise=True)
    foreign = make_invoice(org, customer=CustomerFactory(organisation=org), finalise=True)
    url = reverse("crm:project_invoice_add", args=[project.pk])

    detail = owner_client.get(reverse("crm:project_detail", args=[project.pk]))
    offered = [
        value for value, _label in detail.context["link_form"].fields["invoice"].widget.choices
    ]
    assert own.pk in offered and foreign.pk not in offered

    refused = owner_client.post(url, {"invoice": foreign.pk})
    assert refused.status_code == 400
    assert "That invoice belongs to another customer, not ACME Creative Agency." in visible_text(
        refused
    )

    linked = owner_client.post(url, {"invoice": own.pk})
    assert linked.status_code == 302
    page = visible_text(owner_client.get(linked.url))
    assert own.number in page
    assert foreign.number not in page


def test_another_organisations_projects_answer_404(owner_client, org, other_org):
    theirs = ProjectFactory(organisation=other_org)
    their_invoice = make_invoice(other_org, customer=theirs.customer)
    theirs.invoices.add(their_invoice)
    mine = ProjectFactory(organisation=org)
    pk = theirs.pk

    assert owner_client.get(reverse("crm:project_detail", args=[pk])).status_code == 404
    assert owner_client.get(reverse("crm:project_edit", args=[pk])).status_code == 404
    assert owner_client.post(reverse("crm:project_edit", args=[pk]), {}).status_code == 404
    add = reverse("crm:project_invoice_add", args=[pk])
    assert owner_client.post(add, {"invoice": their_invoice.pk}).status_code == 404
    remove = reverse("crm:project_invoice_remove", args=[pk, their_invoice.pk])
    assert owner_client.post(remove).status_code == 404
    # Their invoice cannot be linked to my project either.
    mine_add = reverse("crm:project_invoice_add", args=[mine.pk])
    assert owner_client.post(mine_add, {"invoice": their_invoice.pk}).status_code == 400
    assert theirs.invoices.count() == 1
    assert mine.invoices.count() == 0
