"""Writes to projects: saving one, and linking a customer's invoices to it."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.models import Project
from invoicing.models import Invoice
from invoicing.services.audit import audit_record

OTHER_CUSTOMER = "That invoice belongs to another customer, not {customer}."
NOT_SALES = "Only sales invoices can be linked to a project."


def project_lock(*, project_id: int) -> Project:
    return Project.objects.select_for_update(of=("self",)).get(pk=project_id)


def project_validate(*, project: Project) -> None:
    if project.start_date and project.due_date and project.due_date < project.start_date:
        raise ValidationError({"due_date": "The due date cannot be before the start date."})
    if project.customer.organisation_id != project.organisation_id:
        raise ValidationError({"customer": "Choose one of your customers."})


@transaction.atomic
def project_save(
    *, project: Project, actor: AbstractBaseUser | None, changed: list[str]
) -> Project:
    """Create or update a project the form filled in (`changed`: the fields it changed)."""
    project_validate(project=project)
    created = project.pk is None
    if not created:
        current = project_lock(project_id=project.pk)
        moved = current.customer_id != project.customer_id
        if moved and (current.invoices.exists() or current.contracts.exists()):
            raise ValidationError(
                {
                    "customer": "This project has invoices or contracts of its customer: "
                    "unlink them before moving it to another customer."
                }
            )
    project.save()
    audit_record(
        organisation=project.organisation,
        actor=actor,
        action=f"project.{'created' if created else 'updated'}",
        obj=project,
        details={"changed": changed},
    )
    return project


@transaction.atomic
def project_invoice_link(
    *, project: Project, invoice: Invoice, actor: AbstractBaseUser | None
) -> None:
    """Link one of the project's customer's sales invoices to it (again is harmless)."""
    if invoice.organisation_id != project.organisation_id or not invoice.is_sales:
        raise ValidationError({"invoice": NOT_SALES})
    locked = project_lock(project_id=project.pk)
    if invoice.customer_id != locked.customer_id:
        raise ValidationError({"invoice": OTHER_CUSTOMER.format(customer=locked.customer.name)})
    locked.invoices.add(invoice)
    audit_record(
        organisation=project.organisation,
        actor=actor,
        action="project.invoice_linked",
        obj=project,
        details={"invoice": invoice.number},
    )


@transaction.atomic
def project_invoice_unlink(
    *, project: Project, invoice: Invoice, actor: AbstractBaseUser | None
) -> None:
    locked = project_lock(project_id=project.pk)
    locked.invoices.remove(invoice)
    audit_record(
        organisation=project.organisation,
        actor=actor,
        action="project.invoice_unlinked",
        obj=project,
        details={"invoice": invoice.number},
    )
