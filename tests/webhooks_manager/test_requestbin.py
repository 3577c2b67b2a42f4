"""The sandbox's request bin: records what arrives, checks its signature with the
`standardwebhooks` package, and answers as its knobs say."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from sandbox.core.requestbin import bin_configure
from sandbox.models import BinRequest, RequestBin
from webhooks_manager.signing import secret_generate, signed_headers

pytestmark = pytest.mark.django_db
URL = "/sandbox/requestbin/demo/in/"


def _post(client, secret, body='{"type":"webhook.test"}', at=None):
    headers = signed_headers(
        secrets_in_use=[secret], msg_id="evt_1", at=at or timezone.now(), body=body
    )
    return client.post(URL, body, content_type="application/json", headers=headers)


def test_a_signed_post_is_recorded_and_verified(client: Client):
    secret = secret_generate()
    bin_configure("demo", secret=secret)

    assert _post(client, secret).status_code == 200

    received = BinRequest.objects.get()
    assert received.signature_ok is True
    assert json.loads(received.body) == {"type": "webhook.test"}
    page = client.get("/sandbox/requestbin/demo/")
    assert "Signature verified" in page.content.decode()


def test_a_wrong_secret_or_old_timestamp_fails_verification(client: Client):
    bin_configure("demo", secret=secret_generate())
    _post(client, secret_generate())
    secret = RequestBin.objects.get().secret
    _post(client, secret, at=timezone.now() - datetime.timedelta(minutes=10))

    assert list(BinRequest.objects.values_list("signature_ok", flat=True)) == [False, False]


@pytest.mark.parametrize("answer,status", [("500", 500), ("410", 410)])
def test_the_bin_answers_as_told(client: Client, answer, status):
    RequestBin.objects.create(key="demo", answer=answer)

    assert client.post(URL, "{}", content_type="application/json").status_code == status


def test_the_library_itself_agrees_with_our_signature():
    secret = secret_generate()
    at = timezone.now()
    headers = signed_headers(secrets_in_use=[secret], msg_id="evt_2", at=at, body="{}")
    assert Webhook(secret).verify("{}", headers) == {}
