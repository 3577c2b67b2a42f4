import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_member

LONDON = ZoneInfo("Europe/London")


def at(day: str, time: str) -> datetime.datetime:
    """A London wall-clock time as an aware datetime: at("2026-12-08", "10:00")."""
    return datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=LONDON)


@pytest.fixture
def engineer(org):
    return make_member(org, "staff", first_name="Sam", last_name="Patel", email="sam@alpha.test")
