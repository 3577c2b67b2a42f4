"""Contracts: typed terms or an uploaded PDF, the PDF served only to the organisation, and
marking one signed."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.models import Contract
from crm.services.contracts import (
    contract_mark_sent,
    contract_mark_signed,
    contract_save,
    pdf_check,
)
from tests.factories import ContractFactory, CustomerFactory, ProjectFactory
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOT_A_PDF = "This file is not a PDF. Upload the contract as a PDF."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def pdf(name="Terms of work.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_pdf_passes_the_check():
    pdf_check(upload=pdf())


def test_a_file_named_pdf_that_is_not_one_is_refused():
    with pytest.raises(ValidationError) as refused:
        pdf_check(upload=pdf("contract.pdf", b"<html>not a pdf</html>"))

    assert refused.value.messages == [NOT_A_PDF]


def test_a_pdf_over_10_mb_is_refused(settings):
    settings.CONTRACT_PDF_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        pdf_check(upload=pdf(content=PDF + b"0" * 1024))

    assert refused.value.messages == ["The PDF is larger than 0 MB. Upload a smaller file."]


def test_the_real_limit_is_10_mb(settings):
    assert settings.CONTRACT_PDF_MAX_BYTES == 10 * 1024 * 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")

    with pytest.raises(ValidationError) as refused:
        pdf_check(upload=big)

    assert refused.value.messages == ["The PDF is larger than 10 MB. Upload a smaller file."]


def test_a_contract_needs_terms_or_a_document(org, owner):
    contract = Contract(organisation=org, customer=CustomerFactory(organisation=org), title="Empty")

    with pytest.raises(ValidationError) as refused:
        contract_save(contract=contract, actor=owner, changed=[])

    assert refused.value.message_dict == {
        "terms": ["Type the terms or upload the contract as a PDF."]
    }


def test_a_contract_with_only_a_pdf_keeps_its_file_name(org, owner, media):
    contract = Contract(organisation=org, customer=CustomerFactory(organisation=org), title="PDF")

    contract_save(contract=contract, actor=owner, changed=[], upload=pdf())

    contract.refresh_from_db()
    assert contract.document_name == "Terms of work.pdf"
    assert contract.document.name.startswith(f"contracts/{org.pk}/")
    assert (media / contract.document.name).read_bytes() == PDF


def test_marking_signed_needs_who_and_when(org, owner):
    contract = ContractFactory(organisation=org)

    with pytest.raises(ValidationError) as refused:
        contract_mark_signed(contract=contract, signed_by_name=" ", signed_at=None, actor=owner)

    assert refused.value.message_dict == {
        "signed_by_name": ["Enter the name of the person who signed."],
        "signed_at": ["Enter when the contract was signed."],
    }
    contract.refresh_from_db()
    assert contract.status == "draft"


def test_a_signing_time_in_the_future_is_refused(org, owner):
    contract = ContractFactory(organisation=org)
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        contract_mark_signed(
            contract=contract, signed_by_name="Ana Costa", signed_at=tomorrow, actor=owner
        )

    assert refused.value.message_dict == {
        "signed_at": ["The signing time cannot be in the future."]
    }


def test_a_sent_contract_is_signed_once_and_then_final(org, owner):
    contract = ContractFactory(organisation=org)
    contract_mark_sent(contract=contract, actor=owner)
    when = timezone.now() - datetime.timedelta(days=7)

    signed = contract_mark_signed(
        contract=contract, signed_by_name="Ana Costa", signed_at=when, actor=owner
    )

    assert (signed.status, signed.signed_by_name, signed.signed_at) == ("signed", "Ana Costa", when)
    assert signed.sent_at is not None
    with pytest.raises(ValidationError, match="already signed"):
        contract_mark_signed(contract=signed, signed_by_name="Someone", signed_at=when, actor=owner)
    signed.terms = "Changed afterwards"
    with pytest.raises(ValidationError, match="can no longer be changed"):
        contract_save(contract=signed, actor=owner, changed=["terms"])
    with pytest.raises(ValidationError):
        contract_mark_sent(contract=signed, actor=owner)


# Pages


def test_uploading_a_pdf_from_the_form_and_opening_it(owner_client, accountant_client, org):
    customer = CustomerFactory(organisation=org)

    response = owner_client.post(
        reverse("crm:contract_new"),
        {"title": "Terms of work", "customer": customer.pk, "terms": "", "document": pdf()},
    )

    contract = Contract.objects.get()
    assert response.status_code == 302
    opened = accountant_client.get(reverse("crm:contract_document", args=[contract.pk]))
    assert opened.status_code == 200
    assert opened["Content-Type"] == "application/pdf"
    assert opened["Content-Disposition"] == 'inline; filename="Terms of work.pdf"'
    assert b"".join(opened.streaming_content) == PDF


def test_the_form_refuses_a_file_that_is_not_a_pdf_beside_the_field(owner_client, org):
    customer = CustomerFactory(organisation=org)

    response = owner_client.post(
        reverse("crm:contract_new"),
        {
            "title": "Terms",
            "customer": customer.pk,
            "terms": "",
            "document": pdf("terms.pdf", b"PK\x03\x04 a zip file"),
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"document": [NOT_A_PDF]}
    assert Contract.objects.count() == 0


def test_the_form_asks_for_terms_or_a_pdf_and_a_project_of_the_customer(owner_client, org):
    customer = CustomerFactory(organisation=org)
    elsewhere = ProjectFactory(organisation=org)

    response = owner_client.post(
        reverse("crm:contract_new"),
        {"title": "Terms", "customer": customer.pk, "project": elsewhere.pk, "terms": "  "},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "terms": ["Type the terms or upload the contract as a PDF."],
        "project": ["Choose a project of this customer."],
    }


def test_mark_signed_form_reads_the_time_in_the_organisations_time_zone(owner_client, org):
    org.timezone = "America/New_York"
    org.save()
    contract = ContractFactory(organisation=org)
    url = reverse("crm:contract_sign", args=[contract.pk])

    page = owner_client.get(url).content.decode()
    new_york_now = timezone.localtime(timezone=ZoneInfo("America/New_York"))
    defaults = {
        f'value="{(new_york_now - datetime.timedelta(minutes=m)):%Y-%m-%dT%H:%M}"' for m in (0, 1)
    }
    assert any(default in page for default in defaults), "defaults to now in New York"

    response = owner_client.post(
        url, {"signed_by_name": "Ana Costa", "signed_at": "2026-01-15T14:30"}
    )

    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "signed"
    assert contract.signed_at == datetime.datetime(2026, 1, 15, 19, 30, tzinfo=datetime.UTC)
    detail = visible_text(owner_client.get(response.url))
    assert "Signed 15 Jan 2026, 14:30 by Ana Costa" in detail


def test_mark_signed_form_refuses_missing_fields_beside_them(owner_client, org):
    contract = ContractFactory(organisation=org)

    response = owner_client.post(
        reverse("crm:contract_sign", args=[contract.pk]), {"signed_by_name": "", "signed_at": ""}
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"signed_by_name", "signed_at"}


def test_the_list_searches_and_filters_by_status(owner_client, org):
    acme = CustomerFactory(organisation=org, name="ACME Creative Agency")
    ContractFactory(organisation=org, customer=acme, title="Studio terms")
    sent = ContractFactory(organisation=org, title="Boiler service agreement")
    contract_mark_sent(contract=sent, actor=None)
    url = reverse("crm:contract_list")

    found = visible_text(owner_client.get(url, {"q": "acme"}))
    assert "Studio terms" in found and "Boiler service agreement" not in found
    by_status = visible_text(owner_client.get(url, {"status": "sent"}))
    assert "Boiler service agreement" in by_status and "Studio terms" not in by_status


def test_another_organisations_contracts_answer_404(owner_client, org, other_org):
    theirs = ContractFactory(organisation=other_org)
    contract_save(contract=theirs, actor=None, changed=[], upload=pdf())
    pk = theirs.pk

    for name in ("contract_detail", "contract_edit", "contract_document", "contract_sign"):
        assert owner_client.get(reverse(f"crm:{name}", args=[pk])).status_code == 404, name
    assert owner_client.post(reverse("crm:contract_send", args=[pk])).status_code == 404
    signing = {"signed_by_name": "Mallory", "signed_at": "2026-01-01T10:00"}
    assert owner_client.post(reverse("crm:contract_sign", args=[pk]), signing).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "draft"


def test_a_contract_without_a_pdf_has_no_document(owner_client, org):
    contract = ContractFactory(organisation=org)

    assert owner_client.get(reverse("crm:contract_document", args=[contract.pk])).status_code == 404


def test_anonymous_visitors_cannot_open_a_pdf(client, org):
    contract = ContractFactory(organisation=org)
    contract_save(contract=contract, actor=None, changed=[], upload=pdf())

    response = client.get(reverse("crm:contract_document", args=[contract.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
