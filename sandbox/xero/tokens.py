"""Grants, codes and tokens: what Xero's identity service does behind its endpoints.

Access tokens are JWT-shaped (clients read `authentication_event_id` from them) but signed
with a sandbox key, and are looked up by hash. Refresh tokens rotate; a superseded one may be
retried for 30 minutes while its successor has never been used (the documented grace for a
lost answer), otherwise it is `invalid_grant`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from django.db import transaction
from django.http import HttpRequest

from sandbox import jwt
from sandbox.models import (
    XeroAccessToken,
    XeroApp,
    XeroAuthCode,
    XeroConnection,
    XeroGrant,
    XeroRefreshToken,
    XeroTenant,
)

from . import constants, dates

ISSUER = "https://identity.xero.com"


class OAuthError(Exception):
    def __init__(self, error: str, status: int = 400, description: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _jwt(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, purpose="sandbox-xero-jwt")


def pkce_challenge(verifier: str) -> str:
    return jwt.b64url(hashlib.sha256(verifier.encode()).digest())


def _verifier_matches(verifier: str, challenge: str) -> bool:
    return 43 <= len(verifier) <= 128 and hmac.compare_digest(pkce_challenge(verifier), challenge)


# --- clients ------------------------------------------------------------------------------


def find_app(client_id: str) -> XeroApp | None:
    return XeroApp.objects.filter(client_id=client_id).first() if client_id else None


def authenticate_client(request: HttpRequest) -> XeroApp:
    """Client credentials from HTTP Basic or from the form; invalid_client otherwise (401 when
    the client tried Basic, 400 when it used the form, as RFC 6749 §5.2 says)."""
    header = request.headers.get("Authorization", "")
    via_basic = header[:6].lower() == "basic "
    if via_basic:
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
            client_id, _, secret = decoded.partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        except (ValueError, UnicodeDecodeError):
            client_id, secret = "", ""
    else:
        client_id = request.POST.get("client_id", "")
        secret = request.POST.get("client_secret", "")
    app = find_app(client_id)
    if app is None or not secret or not hmac.compare_digest(app.client_secret, secret):
        raise OAuthError("invalid_client", 401 if via_basic else 400)
    return app


# --- consent --------------------------------------------------------------------------------


@transaction.atomic
def consent(
    *,
    app: XeroApp,
    tenants: list[XeroTenant],
    scopes: list[str],
    redirect_uri: str,
    code_challenge: str = "",
    nonce: str = "",
) -> str:
    """The user allowed access to `tenants`: connect them and return a new code."""
    now = dates.now()
    grant = XeroGrant.objects.filter(
        app=app, user_id=constants.DEMO_USER.id, revoked_at__isnull=True
    ).first()
    if grant is None:
        grant = XeroGrant.objects.create(app=app, user_id=constants.DEMO_USER.id, scopes=[])
    # Scopes add up across consents.
    grant.scopes = sorted(set(grant.scopes) | set(scopes))
    grant.save(update_fields=["scopes"])
    auth_event_id = uuid.uuid4()
    for tenant in tenants:
        connection, created = XeroConnection.objects.get_or_create(
            grant=grant,
            tenant=tenant,
            defaults={"auth_event_id": auth_event_id, "created_at": now, "updated_at": now},
        )
        if not created:
            connection.auth_event_id = auth_event_id
            connection.updated_at = now
            connection.save(update_fields=["auth_event_id", "updated_at"])
    code = secrets.token_hex(32)
    XeroAuthCode.objects.create(
        code_hash=token_hash(code),
        grant=grant,
        redirect_uri=redirect_uri,
        scopes=grant.scopes,
        auth_event_id=auth_event_id,
        code_challenge=code_challenge,
        nonce=nonce,
        expires_at=now + dt.timedelta(seconds=constants.AUTH_CODE_SECONDS),
    )
    return code


# --- tokens -----------------------------------------------------------------------------------


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None
    id_token: str | None
    scopes: list[str]
    refresh_row: XeroRefreshToken | None

    def as_response(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.id_token:
            body["id_token"] = self.id_token
        body.update(
            access_token=self.access_token,
            expires_in=constants.ACCESS_TOKEN_SECONDS,
            token_type="Bearer",
        )
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        body["scope"] = " ".join(self.scopes)
        return body


def _issue(
    grant: XeroGrant, scopes: list[str], auth_event_id: uuid.UUID, nonce: str = ""
) -> TokenSet:
    now = dates.now()
    user = constants.DEMO_USER
    refresh_raw, refresh_row = None, None
    if "offline_access" in scopes:
        refresh_raw = secrets.token_hex(32)
        refresh_row = XeroRefreshToken.objects.create(
            token_hash=token_hash(refresh_raw),
            grant=grant,
            scopes=scopes,
            auth_event_id=auth_event_id,
            created_at=now,
            expires_at=now + dt.timedelta(days=constants.REFRESH_TOKEN_DAYS),
        )
    issued = int(now.timestamp())
    common = {"iss": ISSUER, "nbf": issued, "iat": issued, "auth_time": issued}
    access = _jwt(
        {
            **common,
            "exp": issued + constants.ACCESS_TOKEN_SECONDS,
            "aud": f"{ISSUER}/resources",
            "client_id": grant.app.client_id,
            "sub": user.id.hex,
            "xero_userid": str(user.id),
            "global_session_id": uuid.uuid5(user.id, f"grant:{grant.pk}").hex,
            "jti": secrets.token_hex(16),
            "authentication_event_id": str(auth_event_id),
            "scope": scopes,
            "amr": ["pwd"],
        }
    )
    XeroAccessToken.objects.create(
        token_hash=token_hash(access),
        grant=grant,
        refresh_token=refresh_row,
        scopes=scopes,
        auth_event_id=auth_event_id,
        expires_at=now + dt.timedelta(seconds=constants.ACCESS_TOKEN_SECONDS),
    )
    id_token = None
    if "openid" in scopes:
        claims = {
            **common,
            "exp": issued + constants.ID_TOKEN_SECONDS,
            "aud": grant.app.client_id,
            "sub": user.id.hex,
            "xero_userid": str(user.id),
            "preferred_username": user.email,
            "email": user.email,
            "given_name": user.given_name,
            "family_name": user.family_name,
        }
        if nonce:
            claims["nonce"] = nonce
        id_token = _jwt(claims)
    return TokenSet(access, refresh_raw, id_token, scopes, refresh_row)


@transaction.atomic
def exchange_code(
    *, app: XeroApp, code: str, redirect_uri: str, code_verifier: str = ""
) -> TokenSet:
    row = (
        XeroAuthCode.objects.select_for_update(of=("self",))
        .select_related("grant__app")
        .filter(code_hash=token_hash(code))
        .first()
    )
    now = dates.now()
    if row is None or row.grant.app_id != app.pk or row.grant.revoked_at is not None:
        raise OAuthError("invalid_grant")
    if row.used_at is not None or row.expires_at <= now or row.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant")
    if row.code_challenge and not _verifier_matches(code_verifier, row.code_challenge):
        raise OAuthError("invalid_grant")
    row.used_at = now
    row.save(update_fields=["used_at"])
    return _issue(row.grant, row.scopes, row.auth_event_id, row.nonce)


@transaction.atomic
def refresh(*, app: XeroApp, refresh_token: str, scope: str = "") -> TokenSet:
    row = (
        XeroRefreshToken.objects.select_for_update(of=("self",))
        .select_related("grant__app", "replaced_by")
        .filter(token_hash=token_hash(refresh_token))
        .first()
    )
    now = dates.now()
    if row is None or row.grant.app_id != app.pk:
        raise OAuthError("invalid_grant")
    if row.revoked_at or row.grant.revoked_at or row.expires_at <= now:
        raise OAuthError("invalid_grant")
    if scope and not set(scope.split()) <= set(row.scopes):
        raise OAuthError("invalid_grant")
    if row.superseded_at is not None:
        successor = row.replaced_by
        in_grace = (
            (now - row.superseded_at).total_seconds() <= constants.REFRESH_GRACE_SECONDS
            and successor is not None
            and successor.pair_used_at is None
            and successor.revoked_at is None
        )
        if not in_grace:
            raise OAuthError("invalid_grant")
        # The answer carrying the successor never arrived: it is replaced in turn.
        _revoke_refresh(successor, now)
    else:
        row.superseded_at = now
    tokens = _issue(row.grant, row.scopes, row.auth_event_id)
    row.replaced_by = tokens.refresh_row
    row.pair_used_at = row.pair_used_at or now
    row.save(update_fields=["superseded_at", "replaced_by", "pair_used_at"])
    return tokens


def _revoke_refresh(row: XeroRefreshToken, now: dt.datetime) -> None:
    XeroRefreshToken.objects.filter(pk=row.pk).update(revoked_at=now)
    XeroAccessToken.objects.filter(refresh_token=row).update(revoked_at=now)


@transaction.atomic
def revoke_grant(grant: XeroGrant) -> None:
    """The app's authorisation is withdrawn: every refresh token dies and every tenant is
    disconnected. Access tokens stay well-formed until they expire, but reach nothing (403)."""
    now = dates.now()
    XeroGrant.objects.filter(pk=grant.pk).update(revoked_at=now)
    XeroRefreshToken.objects.filter(grant=grant, revoked_at__isnull=True).update(revoked_at=now)
    XeroConnection.objects.filter(grant=grant).delete()


def revoke_by_refresh_token(*, app: XeroApp, token: str) -> None:
    row = XeroRefreshToken.objects.filter(token_hash=token_hash(token), grant__app=app).first()
    if row is not None:
        revoke_grant(row.grant)


# --- bearer tokens on API calls ------------------------------------------------------------


@dataclass(frozen=True)
class Bearer:
    token: XeroAccessToken | None
    detail: str  # "" when valid, else the 401 Detail


def check_bearer(request: HttpRequest) -> Bearer:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer " or not header[7:].strip():
        return Bearer(None, "AuthenticationUnsuccessful")
    token = (
        XeroAccessToken.objects.select_related("grant__app")
        .filter(token_hash=token_hash(header[7:].strip()))
        .first()
    )
    if token is None or token.revoked_at is not None:
        return Bearer(None, "AuthenticationUnsuccessful")
    if token.expires_at <= dates.now():
        return Bearer(
            None, f"TokenExpired: token expired at {dates.expired_string(token.expires_at)}"
        )
    if token.refresh_token_id:
        XeroRefreshToken.objects.filter(
            pk=token.refresh_token_id, pair_used_at__isnull=True
        ).update(pair_used_at=dates.now())
    return Bearer(token, "")


def connection_for(token: XeroAccessToken, tenant_header: str) -> XeroConnection | None:
    """The live connection that lets this token reach the tenant in `xero-tenant-id`."""
    try:
        tenant_id = uuid.UUID(tenant_header.strip())
    except (ValueError, AttributeError):
        return None
    return (
        XeroConnection.objects.select_related("tenant")
        .filter(grant=token.grant, grant__revoked_at__isnull=True, tenant__tenant_id=tenant_id)
        .first()
    )
