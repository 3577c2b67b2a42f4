"""GET /locations/{id} and POST /contacts/upsert with the location's duplicate rules."""

from sandbox.models import GhlContact, GhlLocation

from .ghl_support import body, contact_payload


def upsert(ghl, **fields):
    response = ghl.post("contacts/upsert", contact_payload(ghl.location_id, **fields))
    assert response.status_code == 200, response.content
    return body(response)


def settings_of(location: GhlLocation, **values) -> None:
    GhlLocation.objects.filter(pk=location.pk).update(**values)


def test_the_location(ghl):
    response = ghl.get(f"locations/{ghl.location_id}")

    assert response.status_code == 200
    location = body(response)["location"]
    assert location["id"] == ghl.location_id
    assert location["name"] == "Demo Plumbing & Heating (GHL)"
    assert location["companyId"] == ghl.tokens["companyId"]
    assert location["settings"]["allowDuplicateContact"] is False


def test_a_new_contact(ghl):
    answer = upsert(ghl)

    assert answer["new"] is True
    assert len(answer["traceId"]) == 36
    contact = answer["contact"]
    assert len(contact["id"]) == 20
    assert contact["locationId"] == ghl.location_id
    assert (contact["name"], contact["firstName"], contact["lastName"]) == (
        "Ada Lovelace",
        "Ada",
        "Lovelace",
    )
    assert contact["email"] == "ada@example.test"
    assert contact["phone"] == "+447700900123"
    assert contact["companyName"] == "Analytical Engines Ltd"


def test_the_same_email_updates_the_contact(ghl):
    first = upsert(ghl)["contact"]
    second = upsert(ghl, email="ADA@example.test", companyName="Difference Engines Ltd")

    assert second["new"] is False
    assert second["contact"]["id"] == first["id"]
    assert second["contact"]["companyName"] == "Difference Engines Ltd"
    assert GhlContact.objects.count() == 1


def test_the_same_phone_written_differently_matches_too(ghl):
    first = upsert(ghl)["contact"]
    second = upsert(ghl, email="other@example.test", phone="+44 7700 900-123")

    assert second["new"] is False
    assert second["contact"]["id"] == first["id"]
    assert second["contact"]["email"] == "other@example.test"


def test_email_and_phone_matching_two_contacts_update_the_first_in_the_order(ghl):
    by_email = upsert(ghl, phone=None)["contact"]
    by_phone = upsert(ghl, email="bob@example.test", name="Bob", phone="+447700900999")["contact"]

    answer = upsert(ghl, email="ada@example.test", phone="+447700900999", name="Ada L")

    assert answer["contact"]["id"] == by_email["id"]
    assert "phone" not in answer["contact"]  # the phone belongs to Bob: left alone
    assert GhlContact.objects.get(contact_id=by_phone["id"]).phone == "+447700900999"

    settings_of(ghl.location, duplicate_priority="phone")
    answer = upsert(ghl, email="ada@example.test", phone="+447700900999")
    assert answer["contact"]["id"] == by_phone["id"]
    assert answer["contact"]["email"] == "bob@example.test"


def test_create_new_if_duplicate_allowed_needs_the_location_setting(ghl):
    first = upsert(ghl)["contact"]

    refused = upsert(ghl, createNewIfDuplicateAllowed=True)
    assert (refused["new"], refused["contact"]["id"]) == (False, first["id"])

    settings_of(ghl.location, allow_duplicate_contact=True)
    assert body(ghl.get(f"locations/{ghl.location_id}"))["location"]["settings"][
        "allowDuplicateContact"
    ]
    duplicate = upsert(ghl, createNewIfDuplicateAllowed=True)
    assert duplicate["new"] is True and duplicate["contact"]["id"] != first["id"]
    # Without the flag, upsert still matches even where duplicates are allowed.
    assert upsert(ghl)["new"] is False
    assert GhlContact.objects.count() == 2


def test_tags_are_overwritten(ghl):
    upsert(ghl, tags=["torqueflow", "vip"])
    answer = upsert(ghl, tags=["torqueflow"])

    assert answer["contact"]["tags"] == ["torqueflow"]


def test_invalid_bodies_are_422(ghl):
    missing = ghl.post("contacts/upsert", {"email": "ada@example.test"})
    bad = ghl.post("contacts/upsert", contact_payload(ghl.location_id, email="not-an-email"))

    assert missing.status_code == 422
    assert body(missing) == {
        "statusCode": 422,
        "message": ["locationId should not be empty", "locationId must be a string"],
        "error": "Unprocessable Entity",
    }
    assert body(bad)["message"] == ["email must be an email"]
    assert not GhlContact.objects.exists()
