"""JWT-shaped tokens, as the providers issue them (clients may read their claims), signed
with a sandbox key (HS256 from SECRET_KEY) and looked up by hash, never verified."""

import base64
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode(claims: dict[str, Any], *, purpose: str) -> str:
    """A compact JWT; `purpose` names the signing key ("sandbox-xero-jwt", …)."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "sandbox"}).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    key = hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"
