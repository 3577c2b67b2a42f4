"""Shared fixtures: two organisations, members with each default role, logged-in clients."""

import kombu.exceptions
import pytest
from django.test import Client

from accounts.capabilities import ACCOUNTANT, OWNER, STAFF

from .factories import MembershipFactory, OrganisationFactory, UserFactory


def make_member(org, role_key: str, **user_fields):
    """A new user who belongs to `org` with the default role `role_key`."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organisation=org, role_key=role_key)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True, scope="session")
def in_memory_broker():
    """Tasks enqueued by tests go to an in-memory broker, never to a developer's queue."""
    from torqueflow.celery import app

    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}


@pytest.fixture(autouse=True)
def empty_shared_cache():
    """What the hub keeps in the shared cache (messages waiting, the webhook dispatcher's
    key, rate windows) starts empty: an earlier test's message went to a broker nobody
    consumes, and ids are reused from one test database to the next."""
    from django.core.cache import cache

    cache.clear()


class Broker:
    """The Celery broker as the webhook inbox meets it: down (refusing every message) or up
    (recording the dispatcher wake-ups and the apply tasks sent)."""

    def __init__(self, monkeypatch):
        self.down, self.woken, self.sent = False, 0, []
        monkeypatch.setattr("integrations.tasks.dispatch_webhooks_task.delay", self.wake)
        monkeypatch.setattr("integrations.tasks.apply_webhook_task.apply_async", self.apply_async)
        monkeypatch.setattr("integrations.tasks.apply_webhook_task.delay", self.apply)

    def _answer(self):
        if self.down:
            raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    def wake(self):
        self._answer()
        self.woken += 1

    def apply(self, event_id):
        self.apply_async((event_id,))

    def apply_async(self, args, **options):
        self._answer()
        self.sent.append(args[0])


@pytest.fixture
def broker(monkeypatch):
    return Broker(monkeypatch)


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Alpha Heating Ltd")


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Bravo Plumbing Ltd")


@pytest.fixture
def owner(org):
    return make_member(org, OWNER, email="owner@alpha.test")


@pytest.fixture
def staff(org):
    return make_member(org, STAFF, email="staff@alpha.test")


@pytest.fixture
def accountant(org):
    return make_member(org, ACCOUNTANT, email="accountant@alpha.test")


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def accountant_client(accountant):
    return client_for(accountant)
