"""Shared fixtures: two organisations, members with each default role, logged-in clients."""

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
