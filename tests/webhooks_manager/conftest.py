import socket

import pytest

from webhooks_manager.models import Endpoint
from webhooks_manager.services.endpoints import EndpointInput, endpoint_create

RECEIVER = "https://receiver.example.com/hooks"
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """Names resolve to what the test says (a public address unless told otherwise)."""
    answers: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            socket.inet_pton(socket.AF_INET, host)
            address = host
        except OSError:
            address = answers.get(host, PUBLIC_ADDRESS)
        if address is None:
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 443))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture(autouse=True)
def no_private_addresses(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False


@pytest.fixture
def endpoint(org, owner, dns) -> Endpoint:
    return endpoint_create(
        organisation=org,
        actor=owner,
        data=EndpointInput(url=RECEIVER, description="Zapier", events=("lead.created",)),
    )
