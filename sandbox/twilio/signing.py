"""Twilio's X-Twilio-Signature, computed as Twilio computes it: base64 HMAC-SHA1 of the URL
followed by every POST parameter sorted by name, name then value, with the Auth Token."""

import base64
import hashlib
import hmac


def signature(url: str, params: dict[str, str], auth_token: str) -> str:
    text = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
