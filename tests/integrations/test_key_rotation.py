import pytest
from django.core.management import call_command
from django.db import connection as db_connection

from integrations.models import Connection


def stored_access_token(pk: int) -> str:
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM integrations_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def forget_cached_keys():
    """The encrypted fields derive their keys once; make them read the settings again."""
    for name in ("access_token", "refresh_token"):
        field = Connection._meta.get_field(name)
        for cached in ("keys", "f"):
            field.__dict__.pop(cached, None)


@pytest.fixture
def key_settings(settings):
    yield settings
    forget_cached_keys()  # runs before `settings` restores the real keys


@pytest.mark.django_db
def test_rotation_re_encrypts_under_the_new_key_and_old_key_can_be_dropped(
    org, make_connection, key_settings
):
    settings = key_settings
    settings.SALT_KEY = ["old-salt"]
    forget_cached_keys()
    connection = make_connection(org, access_token="secret-access")
    before = stored_access_token(connection.pk)

    settings.SALT_KEY = ["new-salt", "old-salt"]
    forget_cached_keys()
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored_access_token(connection.pk) != before

    settings.SALT_KEY = ["new-salt"]
    forget_cached_keys()
    assert Connection.objects.get(pk=connection.pk).access_token == "secret-access"
