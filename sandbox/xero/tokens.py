"""Xero's tokens and what a grant reaches. Access tokens and id tokens are JWTs (clients read
`authentication_event_id` from them) signed with a sandbox key; refresh tokens are opaque and
issued only with offline_access. Issue, rotation (with Xero's 30-minute grace for a lost
answer) and revocation are the core's (sandbox/core/tokens.py): a revoked grant's access
tokens stay well-formed until they expire, but its connections reach nothing (403)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sandbox.core import jwt
from sandbox.core.registry import Account
from sandbox.core.tokens import Issued
from sandbox.models import Grant, XeroConnection, XeroTenant

from . import constants, dates

ISSUER = "https://identity.xero.com"
JWT_PURPOSE = "sandbox-xero-jwt"


def connect(grant: Grant, accounts: list[Account]) -> dict[str, Any]:
    """Consent connected the chosen tenants to the grant, under a new authentication event
    (GET /connections?authEventId=); the tokens carry the event's id."""
    now = dates.now()
    auth_event_id = uuid.uuid4()
    for tenant in XeroTenant.objects.filter(tenant_id__in=[a.id for a in accounts]):
        connection, created = XeroConnection.objects.get_or_create(
            grant=grant,
            tenant=tenant,
            defaults={"auth_event_id": auth_event_id, "created_at": now, "updated_at": now},
        )
        if not created:
            connection.auth_event_id = auth_event_id
            connection.updated_at = now
            connection.save(update_fields=["auth_event_id", "updated_at"])
    return {"auth_event_id": str(auth_event_id)}


def _common(issued: int) -> dict[str, Any]:
    return {"iss": ISSUER, "nbf": issued, "iat": issued, "auth_time": issued}


def access_token(grant: Grant, scopes: list[str], claims: dict, issued: int) -> str:
    user = constants.DEMO_USER
    return jwt.encode(
        {
            **_common(issued),
            "exp": issued + constants.ACCESS_TOKEN_SECONDS,
            "aud": f"{ISSUER}/resources",
            "client_id": grant.app.client_id,
            "sub": user.id.hex,
            "xero_userid": str(user.id),
            "global_session_id": uuid.uuid5(user.id, f"grant:{grant.pk}").hex,
            "jti": secrets.token_hex(16),
            "authentication_event_id": claims["auth_event_id"],
            "scope": scopes,
            "amr": ["pwd"],
        },
        purpose=JWT_PURPOSE,
    )


def refresh_token(scopes: list[str]) -> str | None:
    return secrets.token_hex(32) if "offline_access" in scopes else None


def _id_token(issued: Issued) -> str:
    user = constants.DEMO_USER
    claims = {
        **_common(issued.issued),
        "exp": issued.issued + constants.ID_TOKEN_SECONDS,
        "aud": issued.grant.app.client_id,
        "sub": user.id.hex,
        "xero_userid": str(user.id),
        "preferred_username": user.email,
        "email": user.email,
        "given_name": user.given_name,
        "family_name": user.family_name,
    }
    if issued.nonce:
        claims["nonce"] = issued.nonce
    return jwt.encode(claims, purpose=JWT_PURPOSE)


def answer(issued: Issued) -> dict[str, Any]:
    """Xero's token answer: an id token with openid, a refresh token with offline_access."""
    body: dict[str, Any] = {}
    if "openid" in issued.scopes:
        body["id_token"] = _id_token(issued)
    body.update(
        access_token=issued.access_token,
        expires_in=constants.ACCESS_TOKEN_SECONDS,
        token_type="Bearer",
    )
    if issued.refresh_token:
        body["refresh_token"] = issued.refresh_token
    body["scope"] = " ".join(issued.scopes)
    return body


def connection_for(grant: Grant, tenant_header: str) -> XeroConnection | None:
    """The live connection that lets the grant's tokens reach the tenant in `xero-tenant-id`."""
    try:
        tenant_id = uuid.UUID(tenant_header.strip())
    except (ValueError, AttributeError):
        return None
    return (
        XeroConnection.objects.select_related("tenant")
        .filter(grant=grant, grant__revoked_at__isnull=True, tenant__tenant_id=tenant_id)
        .first()
    )
