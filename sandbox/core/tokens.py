"""OAuth behind every provider's endpoints: registered apps, grants made at consent, single-use
codes (with PKCE where the provider checks it), access and refresh tokens issued, rotated,
expired and revoked. Tokens are random or JWT-shaped as the adapter mints them, and stored
only as hashes.

Refresh tokens rotate: using one issues a new pair. Sent again, a used token is refused,
except within the provider's reuse window while the new pair is unused: GoHighLevel then
answers the same again ("replay"), Xero replaces the unused pair ("reissue", its grace for a
lost answer). Refusals are `Refused(reason)`; each adapter words them its own way."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from sandbox.models import AccessToken, App, AuthCode, Grant, RefreshToken

from . import clock, jwt
from .registry import Account, get

# Refused.reason: what an adapter maps to its own error answer.
INVALID_CODE = "invalid_code"
EXPIRED_CODE = "expired_code"
REDIRECT_MISMATCH = "redirect_mismatch"
INVALID_REFRESH = "invalid_refresh"


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pkce_challenge(verifier: str) -> str:
    return jwt.b64url(hashlib.sha256(verifier.encode()).digest())


def _verifier_matches(verifier: str, challenge: str) -> bool:
    return 43 <= len(verifier) <= 128 and hmac.compare_digest(pkce_challenge(verifier), challenge)


# --- apps ---------------------------------------------------------------------------------------


def find_app(provider: str, client_id: str) -> App | None:
    if not client_id:
        return None
    return App.objects.filter(provider=provider, client_id=client_id).first()


def secret_matches(app: App, secret: str) -> bool:
    return bool(secret) and hmac.compare_digest(app.client_secret.encode(), secret.encode())


# --- consent ------------------------------------------------------------------------------------


@transaction.atomic
def consent(
    provider: str,
    *,
    app: App,
    accounts: list[Account],
    scopes: list[str],
    redirect_uri: str,
    code_challenge: str = "",
    nonce: str = "",
) -> str:
    """The user allowed `app` to reach `accounts`: the grant made (or extended) and a new code."""
    adapter = get(provider)
    rules = adapter.token_rules
    account = accounts[0].id if rules.grant_per_account else ""
    grant = Grant.objects.filter(
        app=app, user_id=adapter.demo_user_id, account=account, revoked_at__isnull=True
    ).first()
    fresh = grant is None
    if fresh:
        grant = Grant.objects.create(app=app, user_id=adapter.demo_user_id, account=account)
    grant.scopes = sorted(set(grant.scopes) | set(scopes)) if rules.scopes_accumulate else scopes
    grant.save(update_fields=["scopes"])
    claims = adapter.granted(grant, accounts, fresh=fresh)
    code = secrets.token_hex(32)
    AuthCode.objects.create(
        code_hash=token_hash(code),
        grant=grant,
        redirect_uri=redirect_uri,
        scopes=grant.scopes,
        claims=claims,
        code_challenge=code_challenge if rules.pkce else "",
        nonce=nonce,
        expires_at=clock.now() + dt.timedelta(seconds=rules.code_seconds),
    )
    return code


# --- issuing --------------------------------------------------------------------------------------


@dataclass
class Issued:
    """Tokens just issued, for the adapter to answer with."""

    grant: Grant
    scopes: list[str]
    claims: dict[str, Any]
    issued: int  # epoch seconds
    access_token: str
    refresh_token: str | None
    refresh_row: RefreshToken | None
    nonce: str = ""


def _issue(grant: Grant, scopes: list[str], claims: dict, nonce: str = "") -> Issued:
    adapter = get(grant.app.provider)
    rules = adapter.token_rules
    now = clock.now()
    issued = int(now.timestamp())
    refresh_raw = adapter.mint_refresh(grant, scopes, claims, issued)
    refresh_row = None
    if refresh_raw is not None:
        refresh_row = RefreshToken.objects.create(
            token_hash=token_hash(refresh_raw),
            grant=grant,
            scopes=scopes,
            claims=claims,
            created_at=now,
            expires_at=now + dt.timedelta(days=rules.refresh_days),
        )
    access = adapter.mint_access(grant, scopes, claims, issued)
    AccessToken.objects.create(
        token_hash=token_hash(access),
        grant=grant,
        refresh_token=refresh_row,
        scopes=scopes,
        expires_at=now + dt.timedelta(seconds=rules.access_seconds),
    )
    return Issued(grant, scopes, claims, issued, access, refresh_raw, refresh_row, nonce)


@transaction.atomic
def exchange_code(
    provider: str, *, app: App, code: str, redirect_uri: str, code_verifier: str = ""
) -> dict[str, Any]:
    """The token answer for a code; Refused when the code cannot be used."""
    rules = get(provider).token_rules
    row = (
        AuthCode.objects.select_for_update(of=("self",))
        .select_related("grant__app")
        .filter(code_hash=token_hash(code))
        .first()
    )
    now = clock.now()
    if row is None or row.grant.app_id != app.pk or row.grant.revoked_at is not None:
        raise Refused(INVALID_CODE)
    if row.used_at is not None:
        raise Refused(INVALID_CODE)
    if row.expires_at <= now:
        raise Refused(EXPIRED_CODE)
    if redirect_uri != row.redirect_uri and (redirect_uri or not rules.redirect_uri_optional):
        raise Refused(REDIRECT_MISMATCH)
    if row.code_challenge and not _verifier_matches(code_verifier, row.code_challenge):
        raise Refused(INVALID_CODE)
    row.used_at = now
    row.save(update_fields=["used_at"])
    issued = _issue(row.grant, row.scopes, row.claims, row.nonce)
    return get(provider).token_answer(issued)


# --- rotation -------------------------------------------------------------------------------------


@transaction.atomic
def refresh(provider: str, *, app: App, refresh_token: str, scope: str = "") -> dict[str, Any]:
    """The token answer for a refresh token (`scope`: a narrower set, where the provider takes
    one); Refused when it cannot be used."""
    adapter = get(provider)
    row = (
        RefreshToken.objects.select_for_update(of=("self",))
        .select_related("grant__app", "replaced_by")
        .filter(token_hash=token_hash(refresh_token))
        .first()
    )
    now = clock.now()
    if row is None or row.grant.app_id != app.pk:
        raise Refused(INVALID_REFRESH)
    if row.revoked_at or row.grant.revoked_at or row.expires_at <= now:
        raise Refused(INVALID_REFRESH)
    if scope and not set(scope.split()) <= set(row.scopes):
        raise Refused(INVALID_REFRESH)
    if row.used_at is not None:
        if not _may_reuse(row, now):
            raise Refused(INVALID_REFRESH)
        if adapter.token_rules.reuse == "replay":
            return json.loads(row.answer)
        # "reissue": the answer carrying the successor never arrived; it is replaced in turn.
        _revoke_refresh(row.replaced_by, now)
    else:
        row.used_at = now
    issued = _issue(row.grant, row.scopes, row.claims)
    answer = adapter.token_answer(issued)
    row.replaced_by = issued.refresh_row
    row.pair_used_at = row.pair_used_at or now
    if adapter.token_rules.reuse == "replay":
        row.answer = json.dumps(answer)
        # The answer that handed out this token will not be given again.
        RefreshToken.objects.filter(replaced_by=row).update(answer="")
    row.save(update_fields=["used_at", "replaced_by", "pair_used_at", "answer"])
    return answer


def _may_reuse(row: RefreshToken, now: dt.datetime) -> bool:
    """Within the reuse window, while the pair it was exchanged for is unused."""
    rules = get(row.grant.app.provider).token_rules
    successor = row.replaced_by
    if successor is None or successor.revoked_at is not None:
        return False
    if (now - row.used_at).total_seconds() > rules.reuse_seconds:
        return False
    if rules.reuse == "replay":
        return bool(row.answer) and successor.used_at is None
    return successor.pair_used_at is None


def _revoke_refresh(row: RefreshToken, now: dt.datetime) -> None:
    RefreshToken.objects.filter(pk=row.pk).update(revoked_at=now)
    AccessToken.objects.filter(refresh_token=row).update(revoked_at=now)


# --- revocation -----------------------------------------------------------------------------------


@transaction.atomic
def revoke_grant(grant: Grant) -> None:
    """The authorisation is withdrawn: its refresh tokens die, and its access tokens too
    where the provider kills them (else they stay well-formed until they expire, reaching
    nothing the grant reached)."""
    now = clock.now()
    Grant.objects.filter(pk=grant.pk).update(revoked_at=now)
    grant.revoked_at = now
    RefreshToken.objects.filter(grant=grant, revoked_at__isnull=True).update(revoked_at=now)
    if get(grant.app.provider).token_rules.revoke_access_tokens:
        AccessToken.objects.filter(grant=grant, revoked_at__isnull=True).update(revoked_at=now)


def grant_of_refresh_token(app: App, token: str) -> Grant | None:
    row = (
        RefreshToken.objects.select_related("grant")
        .filter(token_hash=token_hash(token), grant__app=app)
        .first()
    )
    return row.grant if row else None


# --- bearer tokens on API calls -------------------------------------------------------------------


@dataclass(frozen=True)
class Bearer:
    token: AccessToken | None
    problem: str = ""  # "" when valid; "invalid" or "expired"


def check_bearer(provider: str, request: HttpRequest) -> Bearer:
    """The provider's live access token in the Authorization header. Using it proves its
    refresh token's answer arrived."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer " or not header[7:].strip():
        return Bearer(None, "invalid")
    token = (
        AccessToken.objects.select_related("grant__app")
        .filter(token_hash=token_hash(header[7:].strip()), grant__app__provider=provider)
        .first()
    )
    if token is None or token.revoked_at is not None:
        return Bearer(None, "invalid")
    if token.expires_at <= clock.now():
        return Bearer(token, "expired")
    if token.refresh_token_id:
        RefreshToken.objects.filter(pk=token.refresh_token_id, pair_used_at__isnull=True).update(
            pair_used_at=clock.now()
        )
    return Bearer(token)
