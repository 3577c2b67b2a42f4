"""GoHighLevel's installs and tokens. Allowing the app on a location installs it (a grant per
location; INSTALL goes to the app when it was not installed); uninstalling kills every token
of the install at once. Access and refresh tokens are JWT-shaped like GoHighLevel's location
tokens (sandbox-signed, looked up by hash). Issue and rotation are the core's: a used refresh
token sent again within 30 s gets the same answer (GoHighLevel's handling of concurrent
refreshes), later it is refused."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction

from sandbox.core import jwt
from sandbox.core import tokens as core_tokens
from sandbox.core.tokens import Issued
from sandbox.models import GhlLocation, Grant

from . import constants, webhooks

JWT_PURPOSE = "sandbox-ghl-jwt"


def installed(install: Grant, *, fresh: bool) -> None:
    """The user chose the location and allowed the app; INSTALL goes out for a new install."""
    if fresh:
        webhooks.queue_install_event(install, "INSTALL", "App installed on chooselocation")


@transaction.atomic
def uninstall(install: Grant) -> None:
    """The location removes the app: every token of the install dies, and UNINSTALL goes out."""
    core_tokens.revoke_grant(install)
    webhooks.queue_install_event(install, "UNINSTALL", "App uninstalled in the sandbox")


def mint(install: Grant, scopes: list[str], issued: int, lifetime: int) -> str:
    """A token with the claims of GoHighLevel's location tokens."""
    app = install.app
    app_id = constants.app_id(app.client_id)
    claims = {
        "authClass": "Location",
        "authClassId": install.account,
        "source": "INTEGRATION",
        "sourceId": app.client_id,
        "channel": "OAUTH",
        "primaryAuthClassId": install.account,
        "oauthMeta": {
            "scopes": scopes,
            "client": app_id,
            "clientKey": app.client_id,
            "versionId": app_id,
        },
        "iat": issued,
        "exp": issued + lifetime,
        "jti": secrets.token_hex(12),
    }
    return jwt.encode(claims, purpose=JWT_PURPOSE)


def answer(issued: Issued) -> dict[str, Any]:
    """POST /oauth/token's answer for a location token."""
    install = issued.grant
    location = GhlLocation.objects.get(location_id=install.account)
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": constants.ACCESS_TOKEN_SECONDS,
        "refresh_token": issued.refresh_token,
        "scope": " ".join(issued.scopes),
        "refreshTokenId": constants.object_id(),
        "userType": "Location",
        "companyId": location.company_id,
        "locationId": location.location_id,
        "userId": install.user_id,
        "isBulkInstallation": False,
    }
