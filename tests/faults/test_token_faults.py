"""Twenty workers that need a token refresh at the same moment make exactly one refresh call
at the sandbox's real token endpoint (refresh tokens rotate: a second refresh with the old
token would break the connection)."""

import datetime
import itertools
import threading

import pytest
from django.db import connections
from django.utils import timezone

from integrations.models import Connection
from integrations.services.tokens import access_token_get
from xero_sync.client import XeroClient

pytestmark = pytest.mark.faults

WORKERS = 20


def all_at_once(work) -> tuple[list, list]:
    """Run `work()` in WORKERS threads released together; their results and errors."""
    barrier = threading.Barrier(WORKERS)
    results: list = []
    errors: list = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_twenty_workers_with_an_expiring_token_make_one_refresh_call(hub):
    connection = hub.connection
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + datetime.timedelta(seconds=5)  # inside the margin
    )
    before = hub.sandbox.refresh_calls()

    results, errors = all_at_once(lambda: access_token_get(connection_id=connection.pk))

    assert errors == []
    assert hub.sandbox.refresh_calls() - before == 1
    connection.refresh_from_db()
    assert results == [connection.access_token] * WORKERS
    assert connection.state == Connection.State.ACTIVE
    with XeroClient(token=connection.access_token, tenant_id=connection.remote_account_id) as x:
        assert x.get_organisation().name  # the one refreshed token works


def refused_then_refreshing(hub, *, late: int):
    """WORKERS threads call Xero with an access token Xero has expired early (401
    TokenExpired while Torqueflow's clock says it is fresh); each is refused and asks for a
    refresh, as the Xero client does. All twenty have had their 401 before any asks; `late`
    of them ask only once the first refresh is stored (their 401 came back a little later,
    as it does for some of twenty workers while the first refresh is on the wire). Returns
    the refresh calls the sandbox answered."""
    connection = hub.connection
    hub.sandbox.knobs(concurrent_limit=WORKERS, window_limit=1000)
    assert hub.sandbox.expire_access_tokens() >= 1
    before = hub.sandbox.refresh_calls()
    refused = threading.Barrier(WORKERS)
    order = itertools.count()
    first_refreshed = threading.Event()

    def call_xero():
        def token(refused_token: str | None) -> str:
            if refused_token is not None:
                refused.wait(timeout=30)
                if next(order) >= WORKERS - late:
                    assert first_refreshed.wait(timeout=30)
            value = access_token_get(connection_id=connection.pk, refused_token=refused_token)
            if refused_token is not None:
                first_refreshed.set()
            return value

        with XeroClient(token=token, tenant_id=connection.remote_account_id) as client:
            return client.get_organisation().name

    results, errors = all_at_once(call_xero)

    assert errors == []
    assert len(results) == WORKERS
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    return hub.sandbox.refresh_calls() - before


def test_twenty_workers_refused_at_once_make_one_refresh_call(hub):
    assert refused_then_refreshing(hub, late=0) == 1


def test_twenty_workers_refused_make_one_refresh_call_whenever_their_401_comes_back(hub):
    assert refused_then_refreshing(hub, late=WORKERS // 2) == 1
