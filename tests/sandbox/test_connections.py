"""GET/DELETE /connections."""

from django.test import Client

from .conftest import CONNECTIONS, REDIRECT, approve, body, token_request


def connect(client: Client, tenants) -> dict:
    code = approve(client, tenants)["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    return body(token_request(client, data))


def listed(client: Client, access_token: str, **params) -> list[dict]:
    response = client.get(CONNECTIONS, params, HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert response.status_code == 200
    return body(response)


def test_connections_list_the_organisations_the_consent_reached(client, plumbing, holdings):
    tokens = connect(client, [plumbing, holdings])

    connections = listed(client, tokens["access_token"])

    assert sorted(c["tenantName"] for c in connections) == [holdings.name, plumbing.name]
    first = connections[0]
    assert set(first) == {
        "id",
        "authEventId",
        "tenantId",
        "tenantType",
        "tenantName",
        "createdDateUtc",
        "updatedDateUtc",
    }
    assert first["tenantType"] == "ORGANISATION"
    assert len({c["authEventId"] for c in connections}) == 1


def test_auth_event_id_picks_one_consent(client, plumbing, holdings):
    connect(client, [plumbing])
    second = connect(client, [holdings])

    everything = listed(client, second["access_token"])
    assert {c["tenantName"] for c in everything} == {plumbing.name, holdings.name}
    latest = next(c for c in everything if c["tenantName"] == holdings.name)["authEventId"]

    only = listed(client, second["access_token"], authEventId=latest)
    assert [c["tenantName"] for c in only] == [holdings.name]


def test_delete_a_connection(client, plumbing):
    tokens = connect(client, [plumbing])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    connection_id = listed(client, tokens["access_token"])[0]["id"]

    assert client.delete(f"{CONNECTIONS}/{connection_id}", **auth).status_code == 204
    assert listed(client, tokens["access_token"]) == []
    assert client.delete(f"{CONNECTIONS}/{connection_id}", **auth).status_code == 404
    after = client.get(
        "/sandbox/xero/api.xro/2.0/Organisation",
        HTTP_XERO_TENANT_ID=str(plumbing.tenant_id),
        HTTP_ACCEPT="application/json",
        **auth,
    )
    assert after.status_code == 403


def test_connections_need_a_bearer_token(client, tenants):
    response = client.get(CONNECTIONS)

    assert response.status_code == 401
    assert body(response)["Detail"] == "AuthenticationUnsuccessful"
