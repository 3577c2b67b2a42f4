import pytest

from accounts.capabilities import OWNER
from sandbox.models import RequestBin
from webhooks_manager.demo import demo_seed
from webhooks_manager.models import Endpoint

pytestmark = pytest.mark.django_db


def test_the_demo_has_one_endpoint_on_the_request_bin_which_checks_its_secret(org, owner, settings):
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.SANDBOX_BASE_URL = "http://127.0.0.1:8000"

    demo_seed(org, {OWNER: owner})
    demo_seed(org, {OWNER: owner})

    endpoint = Endpoint.objects.get()
    assert endpoint.url == "http://127.0.0.1:8000/sandbox/requestbin/demo/in/"
    assert "lead.created" in endpoint.events
    assert RequestBin.objects.get(key="demo").secret == endpoint.secret
