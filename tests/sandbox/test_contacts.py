"""/Contacts: unique active names, lookups by ContactNumber, searching, updating."""

from .conftest import body

DUPLICATE = (
    "The contact name Alice Plumbing Co is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


def test_a_duplicate_name_is_the_documented_validation_exception(xero, contact):
    response = xero.put("Contacts", {"Contacts": [{"Name": "Alice Plumbing Co"}]})

    assert response.status_code == 400
    error = body(response)
    assert error["ErrorNumber"] == 10
    assert error["Type"] == "ValidationException"
    assert error["Message"] == "A validation exception occurred"
    element = error["Elements"][0]
    assert element["HasValidationErrors"] is True
    assert element["ValidationErrors"] == [{"Message": DUPLICATE}]


def test_names_are_compared_without_case_and_only_among_active_contacts(xero, contact):
    shouted = xero.put("Contacts?summarizeErrors=false", [{"Name": "ALICE PLUMBING CO"}])
    assert body(shouted)["Contacts"][0]["StatusAttributeString"] == "ERROR"

    archived = xero.post(
        f"Contacts/{contact['ContactID']}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]}
    )
    assert body(archived)["Contacts"][0]["ContactStatus"] == "ARCHIVED"
    again = xero.put("Contacts", {"Contacts": [{"Name": "Alice Plumbing Co"}]})
    assert again.status_code == 200


def test_get_by_contact_number_and_by_id(xero, contact):
    by_number = xero.get("Contacts/C-1")
    by_id = xero.get(f"Contacts/{contact['ContactID']}")

    assert body(by_number)["Contacts"][0]["ContactID"] == contact["ContactID"]
    assert body(by_id)["Contacts"][0]["Name"] == "Alice Plumbing Co"
    assert xero.get("Contacts/NOPE").status_code == 404


def test_search_where_and_ids(xero, contact):
    xero.put("Contacts", {"Contacts": [{"Name": "Bob Heating", "EmailAddress": "bob@x.test"}]})

    search = body(xero.get("Contacts", {"searchTerm": "BOB@"}))["Contacts"]
    where = body(xero.get("Contacts", {"where": 'Name.StartsWith("alice")'}))["Contacts"]
    ids = body(xero.get("Contacts", {"IDs": contact["ContactID"]}))["Contacts"]

    assert [c["Name"] for c in search] == ["Bob Heating"]
    assert [c["Name"] for c in where] == ["Alice Plumbing Co"]
    assert [c["Name"] for c in ids] == ["Alice Plumbing Co"]
    bad = xero.get("Contacts", {"where": "Nonsense~~"})
    assert (bad.status_code, body(bad)["Type"]) == (400, "QueryParseException")


def test_post_updates_by_contact_id_and_a_contact_number_clash_is_refused(xero, contact):
    updated = xero.post(
        "Contacts", {"Contacts": [{"ContactID": contact["ContactID"], "EmailAddress": "a@x.test"}]}
    )
    assert body(updated)["Contacts"][0]["EmailAddress"] == "a@x.test"

    clash = xero.put("Contacts", {"Contacts": [{"Name": "Carol", "ContactNumber": "C-1"}]})
    assert clash.status_code == 400
    assert "contact number" in body(clash)["Elements"][0]["ValidationErrors"][0]["Message"]
