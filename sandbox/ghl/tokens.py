"""Installs, codes and tokens: what GoHighLevel's OAuth service does behind its endpoints.

Tokens are JWT-shaped like GoHighLevel's (sandbox-signed, looked up by hash). Access tokens
last 86399 s. Refresh tokens are single-use: using one returns a new pair; the same token sent
again within 30 s gets that same answer (GoHighLevel's handling of concurrent refreshes),
later it is "Invalid grant: refresh token is invalid". Uninstalling the app kills them all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from sandbox import jwt
from sandbox.models import (
    GhlAccessToken,
    GhlApp,
    GhlAuthCode,
    GhlInstall,
    GhlLocation,
    GhlRefreshToken,
)

from . import constants, dates, webhooks

INVALID_CODE = "Invalid grant: authorization code is invalid"
EXPIRED_CODE = "Invalid grant: authorization code has expired"
INVALID_REFRESH = "Invalid grant: refresh token is invalid"
JWT_PURPOSE = "sandbox-ghl-jwt"


class TokenError(Exception):
    """A refused token request: 400 {"statusCode": 400, "message": ...}."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- the app ---------------------------------------------------------------------------------


def find_app(client_id: str) -> GhlApp | None:
    return GhlApp.objects.filter(client_id=client_id).first() if client_id else None


def authenticate(client_id: str, client_secret: str) -> GhlApp:
    app = find_app(client_id)
    if app is None:
        raise TokenError("Invalid parameter: client_id")
    if not hmac.compare_digest(app.client_secret.encode(), client_secret.encode()):
        raise TokenError("Invalid parameter: client_secret")
    return app


# --- consent ---------------------------------------------------------------------------------


@transaction.atomic
def install(*, app: GhlApp, location: GhlLocation, scopes: list[str], redirect_uri: str) -> str:
    """The user chose `location` and allowed the app: (re)install it (INSTALL goes to the app
    when it was not installed) and return a new code."""
    now = dates.now()
    row, created = GhlInstall.objects.get_or_create(
        app=app,
        location=location,
        defaults={"user_id": constants.DEMO_USER_ID, "scopes": scopes, "installed_at": now},
    )
    fresh = created or row.uninstalled_at is not None
    if not created:
        if fresh:
            row.installed_at = now  # installed again
        row.scopes, row.uninstalled_at = scopes, None
        row.save(update_fields=["scopes", "uninstalled_at", "installed_at"])
    if fresh:
        webhooks.queue_install_event(row, "INSTALL", "App installed on chooselocation")
    code = secrets.token_hex(20)
    GhlAuthCode.objects.create(
        code_hash=token_hash(code),
        install=row,
        redirect_uri=redirect_uri,
        scopes=scopes,
        expires_at=now + dt.timedelta(seconds=constants.AUTH_CODE_SECONDS),
    )
    return code


@transaction.atomic
def uninstall(row: GhlInstall) -> None:
    """The location removes the app: every token of the install dies at once."""
    now = dates.now()
    GhlInstall.objects.filter(pk=row.pk).update(uninstalled_at=now)
    row.uninstalled_at = now
    GhlRefreshToken.objects.filter(install=row, revoked_at__isnull=True).update(revoked_at=now)
    GhlAccessToken.objects.filter(install=row, revoked_at__isnull=True).update(revoked_at=now)


# --- tokens ----------------------------------------------------------------------------------


def _claims(row: GhlInstall, scopes: list[str], issued: int, lifetime: int) -> dict[str, Any]:
    """Claims shaped like GoHighLevel's location tokens."""
    location_id = row.location.location_id
    return {
        "authClass": "Location",
        "authClassId": location_id,
        "source": "INTEGRATION",
        "sourceId": row.app.client_id,
        "channel": "OAUTH",
        "primaryAuthClassId": location_id,
        "oauthMeta": {
            "scopes": scopes,
            "client": row.app.app_id,
            "clientKey": row.app.client_id,
            "versionId": row.app.app_id,
        },
        "iat": issued,
        "exp": issued + lifetime,
        "jti": secrets.token_hex(12),
    }


def _issue(row: GhlInstall, scopes: list[str]) -> tuple[dict[str, Any], GhlRefreshToken]:
    """A new access and refresh token for the install, and the answer that carries them."""
    now = dates.now()
    issued = int(now.timestamp())
    refresh_lifetime = constants.REFRESH_TOKEN_DAYS * 86400
    access = jwt.encode(
        _claims(row, scopes, issued, constants.ACCESS_TOKEN_SECONDS), purpose=JWT_PURPOSE
    )
    refresh = jwt.encode(_claims(row, scopes, issued, refresh_lifetime), purpose=JWT_PURPOSE)
    GhlAccessToken.objects.create(
        token_hash=token_hash(access),
        install=row,
        scopes=scopes,
        expires_at=now + dt.timedelta(seconds=constants.ACCESS_TOKEN_SECONDS),
    )
    refresh_row = GhlRefreshToken.objects.create(
        token_hash=token_hash(refresh),
        public_id=constants.object_id(),
        install=row,
        scopes=scopes,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=refresh_lifetime),
    )
    answer = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": constants.ACCESS_TOKEN_SECONDS,
        "refresh_token": refresh,
        "scope": " ".join(scopes),
        "refreshTokenId": refresh_row.public_id,
        "userType": "Location",
        "companyId": row.location.company_id,
        "locationId": row.location.location_id,
        "userId": row.user_id,
        "isBulkInstallation": False,
    }
    return answer, refresh_row


@transaction.atomic
def exchange_code(*, app: GhlApp, code: str, redirect_uri: str) -> dict[str, Any]:
    row = (
        GhlAuthCode.objects.select_for_update(of=("self",))
        .select_related("install__app", "install__location")
        .filter(code_hash=token_hash(code))
        .first()
    )
    if row is None or row.install.app_id != app.pk or row.used_at is not None:
        raise TokenError(INVALID_CODE)
    if row.install.uninstalled_at is not None:
        raise TokenError(INVALID_CODE)
    if row.expires_at <= dates.now():
        raise TokenError(EXPIRED_CODE)
    if redirect_uri and redirect_uri != row.redirect_uri:
        raise TokenError("Invalid parameter: redirect_uri")
    row.used_at = dates.now()
    row.save(update_fields=["used_at"])
    return _issue(row.install, row.scopes)[0]


@transaction.atomic
def refresh(*, app: GhlApp, refresh_token: str) -> dict[str, Any]:
    row = (
        GhlRefreshToken.objects.select_for_update(of=("self",))
        .select_related("install__app", "install__location", "replaced_by")
        .filter(token_hash=token_hash(refresh_token))
        .first()
    )
    now = dates.now()
    if row is None or row.install.app_id != app.pk:
        raise TokenError(INVALID_REFRESH)
    if row.revoked_at or row.install.uninstalled_at or row.expires_at <= now:
        raise TokenError(INVALID_REFRESH)
    if row.used_at is not None:
        successor = row.replaced_by
        replay = (
            (now - row.used_at).total_seconds() <= constants.REFRESH_REPLAY_SECONDS
            and row.answer
            and successor is not None
            and successor.used_at is None
            and successor.revoked_at is None
        )
        if not replay:
            raise TokenError(INVALID_REFRESH)
        return json.loads(row.answer)
    answer, successor = _issue(row.install, row.scopes)
    row.used_at, row.replaced_by, row.answer = now, successor, json.dumps(answer)
    row.save(update_fields=["used_at", "replaced_by", "answer"])
    # The answer that handed out this token is not needed any more.
    GhlRefreshToken.objects.filter(replaced_by=row).update(answer="")
    return answer


# --- bearer tokens on API calls --------------------------------------------------------------


def check_bearer(request: HttpRequest) -> GhlAccessToken | None:
    """The live access token in the Authorization header, or None."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer " or not header[7:].strip():
        return None
    token = (
        GhlAccessToken.objects.select_related("install__app", "install__location")
        .filter(token_hash=token_hash(header[7:].strip()))
        .first()
    )
    if token is None or token.revoked_at is not None or token.install.uninstalled_at:
        return None
    if token.expires_at <= dates.now():
        return None
    return token
