"""/invoices: create with the spec's validation, get, list and search, update, send,
text2pay and void."""

from decimal import Decimal

from sandbox.models import GhlInvoice

from .ghl_support import body, invoice_payload

NOT_FOUND = {"statusCode": 400, "message": "Unable to find an invoice with the given invoice id"}


def page(ghl, **params):
    response = ghl.get("invoices/", ghl.alt(**{"limit": "10", "offset": "0", **params}))
    assert response.status_code == 200, response.content
    return body(response)


def update_payload(created: dict, **fields) -> dict:
    """Torqueflow's mapping.invoice_update_payload: `invoiceItems`, `contactId`, no sentTo."""
    payload = {k: v for k, v in created.items() if k not in ("items", "sentTo")}
    payload["invoiceItems"] = created["items"]
    payload["contactId"] = created["contactDetails"]["id"]
    payload.update(fields)
    return payload


def test_an_empty_create_lists_every_missing_field(ghl):
    response = ghl.post("invoices/", {})

    assert response.status_code == 422
    answer = body(response)
    assert answer["statusCode"] == 422 and answer["error"] == "Unprocessable Entity"
    for message in (
        "altId should not be empty",
        "altType must be one of the following values: location",
        "name must be a string",
        "currency should not be empty",
        "items must be an array",
        "issueDate must be a valid ISO 8601 date string",
        "liveMode must be a boolean value",
        "businessDetails should not be empty",
        "discount should not be empty",
        "contactDetails should not be empty",
        "sentTo should not be empty",
    ):
        assert message in answer["message"]


def test_nested_fields_are_checked_by_path(ghl, ghl_contact):
    payload = invoice_payload(ghl.location_id, ghl_contact["id"])
    payload["items"][0]["amount"] = "100"
    del payload["contactDetails"]["email"]
    payload["discount"] = {"type": "half"}
    payload["sentTo"] = {"email": "ada@example.test"}

    answer = body(ghl.post("invoices/", payload))

    assert answer["message"] == [
        "items.0.amount must be a number conforming to the specified constraints",
        "discount.type must be one of the following values: percentage, fixed",
        "contactDetails.email should not be empty",
        "contactDetails.email must be a string",
        "sentTo.email must be an array",
    ]
    assert not GhlInvoice.objects.exists()


def test_create_answers_the_invoice(ghl, ghl_contact, ghl_invoice):
    invoice = ghl_invoice
    assert len(invoice["_id"]) == 24
    assert invoice["status"] == "draft"
    assert invoice["altId"] == ghl.location_id and invoice["altType"] == "location"
    assert invoice["invoiceNumber"] == "TF-0001"
    assert invoice["name"] == "Invoice TF-0001"
    assert (invoice["total"], invoice["amountDue"], invoice["amountPaid"]) == (120, 120, 0)
    assert invoice["totalSummary"] == {"subTotal": 100, "discount": 0, "tax": 20}
    assert invoice["contactDetails"]["id"] == ghl_contact["id"]
    [item] = invoice["invoiceItems"]
    assert len(item["_id"]) == 24 and item["amount"] == 100 and item["qty"] == 1
    assert invoice["createdAt"].endswith("Z") and invoice["issueDate"] == "2026-11-01"


def test_amounts_with_a_discount_and_part_quantities(ghl, ghl_contact):
    payload = invoice_payload(ghl.location_id, ghl_contact["id"], "TF-0002")
    payload["items"][0].update(amount=12.5, qty=3)  # 37.50
    payload["items"].append({"name": "Call-out", "currency": "GBP", "amount": 40, "qty": 1})
    payload["discount"] = {"type": "fixed", "value": 7.5}

    invoice = body(ghl.post("invoices/", payload))

    # 77.50 - 7.50 = 70.00; the 20% tax is on the boiler line's share: 37.50 * 70/77.5 = 33.87
    summary = invoice["totalSummary"]
    assert summary == {
        "subTotal": Decimal("77.5"),
        "discount": Decimal("7.5"),
        "tax": Decimal("6.77"),
    }
    assert invoice["total"] == Decimal("76.77")
    assert GhlInvoice.objects.get(invoice_number="TF-0002").amount_due == Decimal("76.77")


def test_fields_the_sandbox_does_not_use_are_kept(ghl, ghl_contact):
    payload = invoice_payload(ghl.location_id, ghl_contact["id"])
    payload["businessDetails"]["customValues"] = [{"rate": 1.5}]
    payload["items"][0]["automaticTaxCategoryId"] = "cat-1"
    payload["items"][0]["taxes"][0]["description"] = "VAT"
    payload["termsNotes"] = "<p>Thanks</p>"

    invoice = body(ghl.post("invoices/", payload))

    assert invoice["businessDetails"]["customValues"] == [{"rate": Decimal("1.5")}]
    assert invoice["invoiceItems"][0]["automaticTaxCategoryId"] == "cat-1"
    assert invoice["invoiceItems"][0]["taxes"][0]["description"] == "VAT"
    assert invoice["termsNotes"] == "<p>Thanks</p>"


def test_without_a_number_the_next_one_is_given(ghl, ghl_contact):
    payload = invoice_payload(ghl.location_id, ghl_contact["id"])
    del payload["invoiceNumber"]

    numbers = [body(ghl.post("invoices/", payload))["invoiceNumber"] for _ in range(2)]

    assert numbers == ["1", "2"]


def test_a_number_is_unique_per_location(ghl, ghl_contact, ghl_invoice):
    again = ghl.post("invoices/", invoice_payload(ghl.location_id, ghl_contact["id"]))

    assert (again.status_code, body(again)) == (
        400,
        {"statusCode": 400, "message": "Invoice number already exists"},
    )


def test_get_one(ghl, ghl_invoice):
    response = ghl.get(f"invoices/{ghl_invoice['_id']}", ghl.alt())

    assert response.status_code == 200
    assert body(response) == ghl_invoice
    missing = ghl.get("invoices/6578278e879ad2646715ba9c", ghl.alt())
    assert (missing.status_code, body(missing)) == (400, NOT_FOUND)
    no_alt = ghl.get(f"invoices/{ghl_invoice['_id']}")
    assert no_alt.status_code == 422


def test_list_search_and_paging(ghl, ghl_contact, ghl_invoice):
    for number in ("TF-0002", "TF-0003"):
        ghl.post("invoices/", invoice_payload(ghl.location_id, ghl_contact["id"], number))

    everything = page(ghl)
    assert everything["total"] == 3
    assert [i["invoiceNumber"] for i in everything["invoices"]] == ["TF-0003", "TF-0002", "TF-0001"]
    assert [i["invoiceNumber"] for i in page(ghl, search="TF-0002")["invoices"]] == ["TF-0002"]
    assert page(ghl, search="invoice tf-0001")["total"] == 1  # by name
    assert page(ghl, search="ada@example")["total"] == 3  # by the contact's email
    second = page(ghl, limit="2", offset="2")
    assert (second["total"], len(second["invoices"])) == (3, 1)
    assert page(ghl, status="sent")["total"] == 0
    assert page(ghl, contactId=ghl_contact["id"])["total"] == 3
    oldest_first = page(ghl, sortField="issueDate", sortOrder="ascend")
    assert oldest_first["total"] == 3


def test_list_needs_alt_limit_and_offset(ghl):
    response = ghl.get("invoices/", {"altId": ghl.location_id})

    assert response.status_code == 422
    assert body(response)["message"] == [
        "altType should not be empty",
        "altType must be one of the following values: location",
        "limit must be a number string",
        "offset must be a number string",
    ]


def test_update(ghl, ghl_contact, ghl_invoice):
    created = invoice_payload(ghl.location_id, ghl_contact["id"])
    created["items"][0]["amount"] = 150
    payload = update_payload(created, dueDate="2026-12-15")

    response = ghl.put(f"invoices/{ghl_invoice['_id']}", payload)

    assert response.status_code == 200, response.content
    updated = body(response)
    assert updated["_id"] == ghl_invoice["_id"]
    assert (updated["total"], updated["amountDue"], updated["dueDate"]) == (180, 180, "2026-12-15")
    assert GhlInvoice.objects.count() == 1


def test_update_needs_its_required_fields(ghl, ghl_invoice):
    response = ghl.put(f"invoices/{ghl_invoice['_id']}", ghl.alt(name="x"))

    assert response.status_code == 422
    assert "invoiceItems must be an array" in body(response)["message"]
    assert "dueDate must be a valid ISO 8601 date string" in body(response)["message"]


def test_send_by_email(ghl, ghl_invoice):
    payload = ghl.alt(userId=ghl.tokens["userId"], action="email", liveMode=True)
    response = ghl.post(f"invoices/{ghl_invoice['_id']}/send", payload)

    assert response.status_code == 200
    answer = body(response)
    assert answer["invoice"]["status"] == "sent"
    assert answer["emailData"]["to"] == ["ada@example.test"] and answer["smsData"] == {}
    stored = GhlInvoice.objects.get()
    assert stored.sent_via == "email"
    assert stored.sends[0]["userId"] == ghl.tokens["userId"]


def test_send_needs_the_user_and_a_known_action(ghl, ghl_invoice):
    response = ghl.post(f"invoices/{ghl_invoice['_id']}/send", ghl.alt(action="fax"))

    assert response.status_code == 422
    assert body(response)["message"] == [
        "userId should not be empty",
        "userId must be a string",
        "action must be one of the following values: sms_and_email, send_manually, email, sms",
        "liveMode should not be empty",
        "liveMode must be a boolean value",
    ]
    assert GhlInvoice.objects.get().status == "draft"


def test_send_by_sms_needs_a_phone(ghl, ghl_contact):
    payload = invoice_payload(ghl.location_id, ghl_contact["id"], sentTo={"email": []})
    payload["contactDetails"]["phoneNo"] = ""
    invoice = body(ghl.post("invoices/", payload))

    response = ghl.post(
        f"invoices/{invoice['_id']}/send",
        ghl.alt(userId=ghl.tokens["userId"], action="sms", liveMode=True),
    )

    assert response.status_code == 400
    assert body(response)["message"] == "The invoice has no phone number to send to"


def test_text2pay_creates_and_answers_the_payment_link(ghl, ghl_contact, client):
    payload = {
        **invoice_payload(ghl.location_id, ghl_contact["id"], "TF-0009"),
        "action": "send",
        "userId": ghl.tokens["userId"],
    }
    response = ghl.post("invoices/text2pay", payload)

    assert response.status_code == 200, response.content
    answer = body(response)
    invoice = answer["invoice"]
    assert invoice["status"] == "sent"
    assert answer["invoiceUrl"] == f"http://testserver/sandbox/ghl/pay/{invoice['_id']}/"
    assert GhlInvoice.objects.get().sent_via == "text2pay"
    link = client.get(answer["invoiceUrl"])
    assert link.status_code == 200 and "TF-0009" in link.content.decode()


def test_text2pay_with_an_id_updates_that_invoice(ghl, ghl_contact, ghl_invoice):
    """What Torqueflow's "payment link" does: text2pay on the pushed invoice, kept a draft."""
    payload = {
        **invoice_payload(ghl.location_id, ghl_contact["id"]),
        "id": ghl_invoice["_id"],
        "action": "draft",
        "userId": ghl.tokens["userId"],
    }
    answer = body(ghl.post("invoices/text2pay", payload))

    assert answer["invoice"]["_id"] == ghl_invoice["_id"]
    assert answer["invoice"]["status"] == "draft"
    assert answer["invoiceUrl"].endswith(f"/sandbox/ghl/pay/{ghl_invoice['_id']}/")
    assert GhlInvoice.objects.count() == 1


def test_text2pay_needs_action_and_user(ghl, ghl_contact):
    response = ghl.post("invoices/text2pay", invoice_payload(ghl.location_id, ghl_contact["id"]))

    assert response.status_code == 422
    assert "action must be one of the following values: draft, send" in body(response)["message"]
    assert "userId should not be empty" in body(response)["message"]


def test_void(ghl, ghl_sent_invoice):
    url = f"invoices/{ghl_sent_invoice['_id']}/void"
    response = ghl.post(url, ghl.alt())

    assert response.status_code == 200
    assert (body(response)["status"], body(response)["amountDue"]) == ("void", 0)
    assert ghl.post(url, ghl.alt()).status_code == 200  # voiding again changes nothing
    send = ghl.post(
        f"invoices/{ghl_sent_invoice['_id']}/send",
        ghl.alt(userId=ghl.tokens["userId"], action="email", liveMode=True),
    )
    assert send.status_code == 400


def test_a_draft_cannot_be_voided(ghl, ghl_invoice):
    response = ghl.post(f"invoices/{ghl_invoice['_id']}/void", ghl.alt())

    assert (response.status_code, body(response)) == (
        400,
        {"statusCode": 400, "message": "Can not void draft invoice. You can delete draft invoice!"},
    )


def test_an_invoice_paid_through_the_link_cannot_be_voided(ghl, ghl_sent_invoice, client):
    client.post(f"/sandbox/ghl/pay/{ghl_sent_invoice['_id']}/", {"amount": "10"})

    response = ghl.post(f"invoices/{ghl_sent_invoice['_id']}/void", ghl.alt())

    assert response.status_code == 400
    assert body(response)["message"].startswith("To void an invoice which has received payment")
    assert GhlInvoice.objects.get().status == "partially_paid"
