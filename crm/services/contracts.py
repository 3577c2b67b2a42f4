"""Writes to contracts: saving one (terms typed in and/or an uploaded PDF), sending it and
marking it signed."""

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from crm.models import Contract
from invoicing.services.audit import audit_record

PDF_MAGIC = b"%PDF-"
NOT_A_PDF = "This file is not a PDF. Upload the contract as a PDF."
TOO_LARGE = "The PDF is larger than {limit} MB. Upload a smaller file."
TERMS_OR_DOCUMENT = "Type the terms or upload the contract as a PDF."
SIGNED_IS_FINAL = "This contract is signed and can no longer be changed."


def contract_lock(*, contract_id: int) -> Contract:
    return Contract.objects.select_for_update(of=("self",)).get(pk=contract_id)


def pdf_check(*, upload: UploadedFile) -> None:
    """Refuse anything that is not a PDF (judged by its first bytes, not its name) or is
    larger than the limit."""
    limit = settings.CONTRACT_PDF_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(TOO_LARGE.format(limit=limit // (1024 * 1024)))
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head != PDF_MAGIC:
        raise ValidationError(NOT_A_PDF)


def contract_validate(*, contract: Contract, new_document: bool = False) -> None:
    errors: dict[str, str] = {}
    if not contract.terms.strip() and not (contract.document or new_document):
        errors["terms"] = TERMS_OR_DOCUMENT
    if contract.customer.organisation_id != contract.organisation_id:
        errors["customer"] = "Choose one of your customers."
    if contract.project is not None and contract.project.customer_id != contract.customer_id:
        errors["project"] = "Choose a project of this customer."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contract_save(
    *,
    contract: Contract,
    actor: AbstractBaseUser | None,
    changed: list[str],
    upload: UploadedFile | None = None,
) -> Contract:
    """Create or update a contract; `upload`, when given, replaces its PDF."""
    created = contract.pk is None
    if not created and contract_lock(contract_id=contract.pk).status == Contract.Status.SIGNED:
        raise ValidationError(SIGNED_IS_FINAL)
    if upload is not None:
        try:
            pdf_check(upload=upload)
        except ValidationError as error:
            raise ValidationError({"document": error.messages}) from error
    contract_validate(contract=contract, new_document=upload is not None)
    if upload is not None:
        contract.document_name = upload.name[:255]
        contract.document.save(upload.name, upload, save=False)
    contract.save()
    audit_record(
        organisation=contract.organisation,
        actor=actor,
        action=f"contract.{'created' if created else 'updated'}",
        obj=contract,
        details={"changed": changed},
    )
    return contract


@transaction.atomic
def contract_mark_sent(*, contract: Contract, actor: AbstractBaseUser | None) -> Contract:
    locked = contract_lock(contract_id=contract.pk)
    if locked.status != Contract.Status.DRAFT:
        raise ValidationError("Only a draft contract can be marked sent.")
    locked.status = Contract.Status.SENT
    locked.sent_at = timezone.now()
    locked.save(update_fields=["status", "sent_at"])
    audit_record(organisation=locked.organisation, actor=actor, action="contract.sent", obj=locked)
    return locked


@transaction.atomic
def contract_mark_signed(
    *,
    contract: Contract,
    signed_by_name: str,
    signed_at: datetime.datetime,
    actor: AbstractBaseUser | None,
) -> Contract:
    """Record who signed the contract and when; both are required and the time cannot be
    in the future."""
    name = signed_by_name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["signed_by_name"] = "Enter the name of the person who signed."
    if signed_at is None:
        errors["signed_at"] = "Enter when the contract was signed."
    elif signed_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["signed_at"] = "The signing time cannot be in the future."
    if errors:
        raise ValidationError(errors)
    locked = contract_lock(contract_id=contract.pk)
    if locked.status == Contract.Status.SIGNED:
        raise ValidationError("This contract is already signed.")
    locked.status = Contract.Status.SIGNED
    locked.signed_by_name = name[:200]
    locked.signed_at = signed_at
    locked.save(update_fields=["status", "signed_by_name", "signed_at"])
    audit_record(
        organisation=locked.organisation,
        actor=actor,
        action="contract.signed",
        obj=locked,
        details={"signed_by": locked.signed_by_name},
    )
    return locked
