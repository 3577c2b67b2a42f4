"""The gateway in front of the Accounting API: 401/403 bodies, scopes, rate limits, stats."""

import datetime as dt

import time_machine
from django.test import Client
from django.utils import timezone

from sandbox.models import Faults, RateWindow

from .conftest import API, REDIRECT, approve, body, token_request


def knobs(**values) -> None:
    Faults.set_knobs("xero", **values)


def test_an_expired_token_is_401_token_expired(xero):
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        response = xero.get("Organisation")

    assert response.status_code == 401
    problem = body(response)
    assert problem["Type"] is None
    assert problem["Title"] == "Unauthorized"
    assert problem["Status"] == 401
    assert problem["Detail"].startswith("TokenExpired: token expired at ")
    assert set(problem) == {"Type", "Title", "Status", "Detail", "Instance", "Extensions"}


def test_a_garbage_token_is_401(client, tenants):
    response = client.get(f"{API}/Organisation", HTTP_AUTHORIZATION="Bearer nope")

    assert (response.status_code, body(response)["Detail"]) == (401, "AuthenticationUnsuccessful")


def test_a_tenant_not_connected_or_missing_is_403(xero, holdings):
    other = xero.get("Organisation", tenant=holdings)
    missing = xero.client.get(
        f"{API}/Organisation", HTTP_AUTHORIZATION=f"Bearer {xero.tokens['access_token']}"
    )

    for response in (other, missing):
        assert response.status_code == 403
        problem = body(response)
        assert (problem["Title"], problem["Status"], problem["Detail"]) == (
            "Forbidden",
            403,
            "AuthenticationUnsuccessful",
        )


def test_a_revoked_app_gets_403_and_its_refresh_token_invalid_grant(xero, client):
    revoked = client.post(f"/sandbox/xero/tenants/{xero.tenant.tenant_id}/revoke/")
    assert revoked.status_code == 302

    assert xero.get("Organisation").status_code == 403
    refresh = token_request(
        client, {"grant_type": "refresh_token", "refresh_token": xero.tokens["refresh_token"]}
    )
    assert (refresh.status_code, body(refresh)) == (400, {"error": "invalid_grant"})


def test_a_disconnected_org_gets_403_while_the_refresh_still_works(xero, client):
    client.post(f"/sandbox/xero/tenants/{xero.tenant.tenant_id}/disconnect/")

    assert xero.get("Organisation").status_code == 403
    refresh = token_request(
        client, {"grant_type": "refresh_token", "refresh_token": xero.tokens["refresh_token"]}
    )
    assert refresh.status_code == 200


def test_a_missing_scope_is_401_authorization_unsuccessful(plumbing):
    client = Client()
    code = approve(client, [plumbing], scope="offline_access accounting.invoices.read")["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    token = body(token_request(client, data))["access_token"]
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_XERO_TENANT_ID": str(plumbing.tenant_id),
        "HTTP_ACCEPT": "application/json",
    }

    assert client.get(f"{API}/Invoices", **headers).status_code == 200
    denied = client.get(f"{API}/Payments", **headers)
    assert (denied.status_code, body(denied)["Detail"]) == (401, "AuthorizationUnsuccessful")
    write = client.put(f"{API}/Invoices", "{}", content_type="application/json", **headers)
    assert write.status_code == 401


def test_every_answer_carries_the_remaining_limits(xero):
    first = xero.get("Organisation")
    second = xero.get("Organisation")

    assert int(first["X-MinLimit-Remaining"]) - int(second["X-MinLimit-Remaining"]) == 1
    assert int(second["X-DayLimit-Remaining"]) < 5000
    assert int(second["X-AppMinLimit-Remaining"]) < 10000


def test_the_minute_limit_on_a_scaled_clock(xero):
    knobs(rate_limit_scale=6)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        answers = [xero.get("Organisation") for _ in range(61)]
    limited = answers[-1]

    assert [a.status_code for a in answers[:60]] == [200] * 60
    assert limited.status_code == 429
    assert limited["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(limited["Retry-After"]) <= 6
    assert limited["X-MinLimit-Remaining"] == "0"
    with time_machine.travel(start + dt.timedelta(seconds=6.5), tick=False):
        assert xero.get("Organisation").status_code == 200


def test_the_day_limit(xero):
    knobs(day_limit=2, rate_limit_scale=1)
    xero.get("Organisation")
    xero.get("Organisation")

    limited = xero.get("Organisation")
    assert (limited.status_code, limited["X-Rate-Limit-Problem"]) == (429, "day")
    assert int(limited["Retry-After"]) <= 1440


def test_more_than_five_in_flight_is_429_concurrent_without_retry_after(xero):
    xero.get("Organisation")  # creates the tenant's window
    window = RateWindow.objects.filter(provider="xero", key=f"tenant:{xero.tenant.tenant_id}")
    window.update(in_flight=5)

    limited = xero.get("Organisation")

    assert limited.status_code == 429
    assert limited["X-Rate-Limit-Problem"] == "concurrent"
    assert "Retry-After" not in limited


def test_stats_count_calls_and_429s_and_can_be_reset(xero, client):
    knobs(window_limit=2)
    for _ in range(3):
        xero.get("Organisation")

    stats = body(client.get("/sandbox/xero/stats/"))
    mine = next(t for t in stats["tenants"] if t["tenantId"] == str(xero.tenant.tenant_id))
    assert (mine["calls"], mine["rate_limited"], mine["rate_limited_minute"]) == (3, 1, 1)
    assert stats["totals"] == {"calls": 3, "rate_limited": 1}

    assert client.delete("/sandbox/xero/stats/").status_code == 204
    assert body(client.get("/sandbox/xero/stats/"))["totals"] == {"calls": 0, "rate_limited": 0}
    assert xero.get("Organisation").status_code == 200  # the windows were reset too
