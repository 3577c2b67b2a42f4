"""What an operator gets without settings, and with docker-compose's: DEBUG and the sandbox
off unless asked for, no sandbox key trusted by a provider with real credentials, a clean
`check --deploy` in the production shape, and no OAuth code in a log line."""

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings

from sandbox.ghl import constants as ghl_sandbox

ROOT = Path(django_settings.BASE_DIR)
# Set only by `make`, pytest's own defaults or a developer's shell: stripped so each case
# starts from nothing.
PRODUCT_VARIABLES = re.compile(
    r"^(DEBUG|SANDBOX_.*|SECURE_.*|XERO_.*|GHL_.*|SECRET_KEY|FIELD_ENCRYPTION_KEYS|DATABASE_URL"
    r"|REDIS_URL|ALLOWED_HOSTS|CSRF_TRUSTED_ORIGINS|DJANGO_ALLOW_ASYNC_UNSAFE)$"
)
REQUIRED = {"SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEYS": "test-salt"}
DOCUMENTED_GHL_KEY = "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg="


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not PRODUCT_VARIABLES.match(k)}
    environment["DATABASE_URL"] = "sqlite:///:memory:"
    environment.update(env)
    return subprocess.run(
        [sys.executable, *(("-c", code) if code else ()), *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_under(env: dict[str, str]) -> dict:
    code = (
        "import json, torqueflow.settings as s; print(json.dumps({name: getattr(s, name) for"
        " name in ('DEBUG', 'SANDBOX_ENABLED', 'XERO_WEBHOOK_KEY', 'GHL_WEBHOOK_PUBLIC_KEY',"
        " 'XERO_API_URL', 'SESSION_COOKIE_SECURE')}))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_settings_debug_and_the_sandbox_are_off():
    values = settings_under(REQUIRED)

    assert values["DEBUG"] is False
    assert values["SANDBOX_ENABLED"] is False
    assert values["XERO_WEBHOOK_KEY"] == ""  # nothing verifies until the operator sets it
    assert DOCUMENTED_GHL_KEY in values["GHL_WEBHOOK_PUBLIC_KEY"]
    assert values["XERO_API_URL"] == "https://api.xero.com/api.xro/2.0"
    assert values["SESSION_COOKIE_SECURE"] is True


def test_without_settings_a_secret_key_is_required():
    result = run_python("import torqueflow.settings", {})

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_sandbox_is_on_only_when_asked_for():
    values = settings_under({"DEBUG": "1", "SANDBOX_ENABLED": "1"})

    assert values["SANDBOX_ENABLED"] is True
    assert values["XERO_WEBHOOK_KEY"] == django_settings.SANDBOX_XERO_WEBHOOK_KEY
    assert values["GHL_WEBHOOK_PUBLIC_KEY"].strip() == ghl_sandbox.WEBHOOK_PUBLIC_KEY_PEM.strip()


def test_debug_alone_does_not_turn_the_sandbox_on():
    assert settings_under({"DEBUG": "1"})["SANDBOX_ENABLED"] is False


@pytest.mark.parametrize("sandbox", ["1", "0"])
def test_a_provider_with_real_credentials_never_trusts_a_sandbox_key(sandbox):
    values = settings_under(
        {
            **REQUIRED,
            "SANDBOX_ENABLED": sandbox,
            "XERO_CLIENT_ID": "real-xero-app",
            "GHL_CLIENT_ID": "real-ghl-app",
        }
    )

    assert values["XERO_WEBHOOK_KEY"] == ""
    assert values["XERO_API_URL"] == "https://api.xero.com/api.xro/2.0"
    assert DOCUMENTED_GHL_KEY in values["GHL_WEBHOOK_PUBLIC_KEY"]
    assert ghl_sandbox.WEBHOOK_PUBLIC_KEY_PEM.strip() not in values["GHL_WEBHOOK_PUBLIC_KEY"]


def compose_environment() -> dict[str, str]:
    """The web service's environment in docker-compose.yml, with `${VAR:-default}` resolved
    as compose does for an operator who sets only what it requires."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    given = {**REQUIRED, "SECRET_KEY": "k3y-" + "Zq9!" * 15}
    environment = {}
    for item in compose["services"]["web"]["environment"]:
        name, _, value = item.partition("=")
        if not _:
            continue  # passed through from the host: unset here
        value = re.sub(
            r"\$\{(\w+)(?::?[-?]([^}]*))?\}",
            lambda m: given.get(m.group(1), m.group(2) or ""),
            value,
        )
        environment[name] = value
    return environment


def test_check_deploy_is_clean_under_docker_compose():
    environment = compose_environment()
    environment["DATABASE_URL"] = "sqlite:///:memory:"

    result = run_python("", environment, "manage.py", "check", "--deploy", "--fail-level", "INFO")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_development_server_log_keeps_oauth_codes_out():
    """A request line as runserver logs it, through the logger settings.LOGGING configures."""
    logger = logging.getLogger("django.server")
    record = logger.makeRecord(
        logger.name,
        logging.INFO,
        __file__,
        0,
        '"%s" %s %s',
        (
            "GET /settings/integrations/xero/callback/?code=c0de-5ecret&state=st4te-5ecret"
            "&scope=openid HTTP/1.1",
            "302",
            "0",
        ),
        None,
    )

    logger.handle(record)
    line = record.getMessage()

    assert "/settings/integrations/xero/callback/?code=[redacted]&state=[redacted]" in line
    assert "c0de-5ecret" not in line
    assert "st4te-5ecret" not in line
    assert "scope=openid" in line
