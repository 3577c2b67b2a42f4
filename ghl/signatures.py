"""GoHighLevel webhook signatures, checked on the raw request body.

`X-GHL-Signature` is the current scheme: Ed25519, base64. `X-WH-Signature` is the legacy
scheme (RSA-SHA256, PKCS#1 v1.5, base64) that GoHighLevel still sends while it lives. When
the current header is there, only it counts; a missing signature, or "N/A", is invalid.
The public keys come from settings (GHL_WEBHOOK_PUBLIC_KEY, GHL_WEBHOOK_LEGACY_PUBLIC_KEY).
"""

import base64
import binascii
import logging
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.conf import settings

logger = logging.getLogger(__name__)

CURRENT_HEADER = "X-GHL-Signature"
LEGACY_HEADER = "X-WH-Signature"
# What GoHighLevel puts in a signature header it did not fill.
_ABSENT = {"", "n/a"}


@lru_cache(maxsize=8)
def _public_key(pem: str):
    # A key from the environment may arrive with literal "\n" for its line breaks.
    text = pem.strip().replace("\\n", "\n")
    return serialization.load_pem_public_key(text.encode())


def _decode(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def verify_ed25519(body: bytes, signature: str, public_key_pem: str) -> bool:
    raw = _decode(signature)
    if not raw or not public_key_pem:
        return False
    try:
        key = _public_key(public_key_pem)
    except ValueError:
        logger.error("GHL_WEBHOOK_PUBLIC_KEY is not a readable public key")
        return False
    if not isinstance(key, ed25519.Ed25519PublicKey):
        logger.error("GHL_WEBHOOK_PUBLIC_KEY is not an Ed25519 key")
        return False
    try:
        key.verify(raw, body)
    except InvalidSignature:
        return False
    return True


def verify_rsa_legacy(body: bytes, signature: str, public_key_pem: str) -> bool:
    raw = _decode(signature)
    if not raw or not public_key_pem:
        return False
    try:
        key = _public_key(public_key_pem)
    except ValueError:
        logger.error("GHL_WEBHOOK_LEGACY_PUBLIC_KEY is not a readable public key")
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        logger.error("GHL_WEBHOOK_LEGACY_PUBLIC_KEY is not an RSA key")
        return False
    try:
        key.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _present(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in _ABSENT


def verify(*, headers, body: bytes) -> bool:
    """True when the body carries a valid GoHighLevel signature, current scheme first."""
    current = headers.get(CURRENT_HEADER)
    if _present(current):
        return verify_ed25519(body, current, settings.GHL_WEBHOOK_PUBLIC_KEY)
    legacy = headers.get(LEGACY_HEADER)
    if _present(legacy):
        return verify_rsa_legacy(body, legacy, settings.GHL_WEBHOOK_LEGACY_PUBLIC_KEY)
    return False
