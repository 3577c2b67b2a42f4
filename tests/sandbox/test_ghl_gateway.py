"""The gateway in front of the GoHighLevel API: Version header, 401/403 bodies, scopes, routes,
rate limits with the X-RateLimit-* headers, fault knobs."""

import datetime as dt
import time

import time_machine
from django.test import Client
from django.utils import timezone

from sandbox.models import Faults, GhlInvoice, Stats

from .ghl_support import API, allow, body, connect, exchange, invoice_payload

INVALID_TOKEN = {
    "statusCode": 401,
    "message": "Invalid token: access token is invalid",
    "error": "Unauthorized",
}


def knobs(**values) -> None:
    Faults.set_knobs("ghl", **values)


def stats_of(location) -> Stats:
    return Stats.objects.get(provider="ghl", account=location.location_id)


def test_a_missing_garbage_or_expired_token_is_401(ghl, client):
    location = f"{API}/locations/{ghl.location_id}"
    missing = client.get(location, HTTP_VERSION="2021-07-28")
    garbage = client.get(location, HTTP_VERSION="2021-07-28", HTTP_AUTHORIZATION="Bearer nope")
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=86400)):
        expired = ghl.get(f"locations/{ghl.location_id}")

    for response in (missing, garbage, expired):
        assert (response.status_code, body(response)) == (401, INVALID_TOKEN)
    assert ghl.get(f"locations/{ghl.location_id}").status_code == 200


def test_the_version_header_is_required(ghl):
    missing = ghl.get(f"locations/{ghl.location_id}", version=None)
    unknown = ghl.get(f"locations/{ghl.location_id}", version="2020-01-01")
    v3 = ghl.get(f"locations/{ghl.location_id}", version="v3")
    other_v2 = ghl.get(f"locations/{ghl.location_id}", version="2021-04-15")

    # What GoHighLevel answers (observed; its specs only say the header is required).
    assert (missing.status_code, body(missing)) == (
        401,
        {"statusCode": 401, "message": "version header was not found."},
    )
    assert (unknown.status_code, body(unknown)["message"]) == (401, "version header is invalid")
    assert v3.status_code == 400 and "v3 is not emulated" in body(v3)["message"]
    assert other_v2.status_code == 200


def test_an_unknown_route_is_nests_404(ghl):
    response = ghl.get("opportunities/search")

    assert response.status_code == 404
    assert body(response) == {
        "statusCode": 404,
        "message": "Cannot GET /opportunities/search",
        "error": "Not Found",
    }


def test_a_missing_scope_is_401(ghl_plumbing):
    client = Client()
    code = allow(client, ghl_plumbing, scope="locations.readonly")["code"]
    token = body(exchange(client, code))["access_token"]

    response = client.get(
        f"{API}/invoices/",
        {"altId": ghl_plumbing.location_id, "altType": "location", "limit": 10, "offset": 0},
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_VERSION="2021-07-28",
    )

    assert response.status_code == 401
    assert body(response) == {
        "statusCode": 401,
        "message": "The token is not authorized for this scope.",
        "error": "Unauthorized",
    }


def test_another_location_is_403(ghl, ghl_lettings, ghl_contact):
    location = ghl.get(f"locations/{ghl_lettings.location_id}")
    invoice = ghl.post(
        "invoices/", invoice_payload(ghl_lettings.location_id, ghl_contact["id"], "X-1")
    )

    for response in (location, invoice):
        assert response.status_code == 403
        assert body(response) == {
            "statusCode": 403,
            "message": "The token does not have access to this location.",
            "error": "Forbidden",
        }
    assert not GhlInvoice.objects.exists()


def test_a_body_that_is_not_json_is_400(ghl):
    response = ghl.client.post(
        f"{API}/contacts/upsert",
        data="{not json",
        content_type="application/json",
        **ghl.headers(),
    )

    assert response.status_code == 400
    assert body(response)["message"].startswith("Unexpected token in JSON")


def test_every_answer_carries_the_rate_limit_headers(ghl):
    response = ghl.get(f"locations/{ghl.location_id}")

    assert response["X-RateLimit-Max"] == "100"
    assert response["X-RateLimit-Remaining"] == "99"
    assert response["X-RateLimit-Interval-Milliseconds"] == "10000"
    assert response["X-RateLimit-Limit-Daily"] == "200000"
    assert response["X-RateLimit-Daily-Remaining"] == "199999"


def test_the_burst_limit_answers_429_until_the_window_ends(ghl):
    knobs(window_limit=3)
    knobs(rate_limit_scale=6.0)  # a sandbox minute lasts 6 s: the 10 s window lasts 1 s
    path = f"locations/{ghl.location_id}"

    answers = [ghl.get(path) for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert body(limited) == {"statusCode": 429, "message": "Too Many Requests"}
    assert limited["X-RateLimit-Remaining"] == "0"
    assert limited["X-RateLimit-Max"] == "3"
    assert limited["X-RateLimit-Interval-Milliseconds"] == "1000"
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=1.1)):
        assert ghl.get(path).status_code == 200
    stats = stats_of(ghl.location)
    assert (stats.calls, stats.rate_limited) == (5, 1)


def test_100_calls_per_10_seconds_by_default(ghl):
    path = f"locations/{ghl.location_id}"
    codes = [ghl.get(path).status_code for _ in range(101)]

    assert codes.count(200) == 100 and codes[-1] == 429


def test_the_limit_is_per_location(ghl, ghl_lettings):
    knobs(window_limit=1)
    other = connect(ghl_lettings)

    assert ghl.get(f"locations/{ghl.location_id}").status_code == 200
    assert ghl.get(f"locations/{ghl.location_id}").status_code == 429
    assert other.get(f"locations/{other.location_id}").status_code == 200


def test_an_error_rate_of_one_answers_5xx_and_does_nothing(ghl, ghl_contact):
    knobs(error_rate=1.0)

    response = ghl.post("invoices/", invoice_payload(ghl.location_id, ghl_contact["id"]))

    assert response.status_code in (500, 502)
    assert response["X-Sandbox-Fault"] == "error"
    assert "X-RateLimit-Remaining" in response
    assert not GhlInvoice.objects.exists()
    assert stats_of(ghl.location).errors_injected == 1


def test_a_lost_create_answer_is_found_by_searching_the_number(ghl, ghl_contact):
    """Torqueflow's retry after a timeout: look the number up before creating again."""
    knobs(timeout_rate=1.0, timeout_seconds=0)
    lost = ghl.post("invoices/", invoice_payload(ghl.location_id, ghl_contact["id"]))
    assert (lost.status_code, lost["X-Sandbox-Fault"], lost.content) == (504, "timeout", b"")

    knobs(timeout_rate=0.0)
    found = ghl.get("invoices/", ghl.alt(search="TF-0001", limit="20", offset="0"))
    [invoice] = body(found)["invoices"]
    assert invoice["invoiceNumber"] == "TF-0001"
    again = ghl.post("invoices/", invoice_payload(ghl.location_id, ghl_contact["id"]))
    assert (again.status_code, body(again)["message"]) == (400, "Invoice number already exists")
    assert GhlInvoice.objects.count() == 1
    assert stats_of(ghl.location).timeouts_injected == 1


def test_latency(ghl):
    knobs(latency_ms=120)
    started = time.monotonic()
    ghl.get(f"locations/{ghl.location_id}")
    assert time.monotonic() - started >= 0.12


def test_the_token_endpoint_fails_too(ghl):
    knobs(error_rate=1.0)
    response = ghl.client.post(
        "/sandbox/ghl/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": ghl.tokens["refresh_token"]},
    )
    assert response.status_code in (500, 502)


def test_stats_json(client, ghl):
    ghl.get(f"locations/{ghl.location_id}")
    stats = body(client.get("/sandbox/ghl/stats/"))

    assert stats["totals"] == {"calls": 1, "rate_limited": 0}
    assert stats["limits"] == {"burst_seconds": 10.0, "per_burst": 100, "per_day": 200000}
    assert client.delete("/sandbox/ghl/stats/").status_code == 204
    assert body(client.get("/sandbox/ghl/stats/"))["totals"]["calls"] == 0
