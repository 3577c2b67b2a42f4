import datetime

import pytest
import responses
from django.conf import settings
from django.utils import timezone

from integrations.models import Connection
from integrations.services.tokens import tokens_refresh_expiring

from .conftest import TOKEN_URL


def test_beat_runs_the_sweeper_and_the_token_keep_alive():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "integrations.tasks.sweep_pending_task" in tasks
    assert "integrations.tasks.refresh_expiring_tokens_task" in tasks


@pytest.mark.django_db
@responses.activate
def test_keep_alive_refreshes_only_tokens_near_expiry(org, other_org, make_connection):
    soon = make_connection(org, expires_in_seconds=300)
    later = make_connection(other_org, expires_in_seconds=3 * 3600)
    responses.post(
        TOKEN_URL,
        json={"access_token": "fresh", "refresh_token": "rotated", "expires_in": 1800},
    )

    assert tokens_refresh_expiring() == 1

    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.access_token == "fresh"
    assert soon.token_expires_at > timezone.now() + datetime.timedelta(minutes=25)
    assert later.access_token == "access-0"


@pytest.mark.django_db
@responses.activate
def test_keep_alive_survives_a_refused_refresh(org, other_org, make_connection):
    refused = make_connection(org, expires_in_seconds=60)
    make_connection(other_org, expires_in_seconds=60)
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    responses.post(TOKEN_URL, json={"access_token": "ok", "expires_in": 1800})

    assert tokens_refresh_expiring() == 1
    refused.refresh_from_db()
    assert refused.state == Connection.State.REQUIRES_REAUTH
