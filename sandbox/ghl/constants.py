"""Fixed facts of the emulated GoHighLevel: the app's credentials, lifetimes, the API versions
it accepts, the demo company, user and locations, and the key its webhooks are signed with.

Imported by torqueflow/settings.py (the public key), so it imports nothing from Django.
"""

import hashlib
import secrets
import string
import time

KEY = "ghl"  # its URL segment under /sandbox/ and its rows' `provider`

# The sandbox's own marketplace app. settings.GHL_CLIENT_ID/SECRET are accepted as well.
# GoHighLevel's app id is the client id up to its first "-" (webhooks carry it as appId).
CLIENT_ID = "66f1a5c0e4b0d2a9c8e7f6a1-torqueflowsbx"
CLIENT_SECRET = "sandbox-ghl-client-secret-not-for-production"
APP_NAME = "Torqueflow (sandbox)"

ACCESS_TOKEN_SECONDS = 86399  # "about a day", as GoHighLevel answers
REFRESH_TOKEN_DAYS = 365  # valid a year until used
AUTH_CODE_SECONDS = 10 * 60
# A refresh token asked again within this many seconds of its use gets the same answer
# (GoHighLevel's "concurrent refresh token call handling"); later it is refused.
REFRESH_REPLAY_SECONDS = 30

API_VERSION = "2021-07-28"
# Versions GoHighLevel accepts on the endpoints emulated here; all are answered in the
# 2021-07-28 (API v2) shapes. "v3" has other shapes and is not emulated.
ACCEPTED_VERSIONS = frozenset({"2021-07-28", "2021-04-15", "2023-02-21"})

# The burst window's length on the sandbox clock, where a minute is 60 s.
BURST_SECONDS = 10

_ALPHANUMERIC = string.ascii_letters + string.digits


def app_id(client_id: str) -> str:
    """GoHighLevel's app id (webhooks' `appId`): the client id up to its first "-"."""
    return client_id.split("-", 1)[0]


def stable_id(name: str) -> str:
    """A 20-character id like GoHighLevel's ("ve9EPM428h8vShlRW1KT"), the same after every
    reset, so a demo connection survives "Reset sandbox"."""
    number = int.from_bytes(hashlib.sha256(f"sandbox-ghl:{name}".encode()).digest(), "big")
    chars = []
    for _ in range(20):
        number, index = divmod(number, len(_ALPHANUMERIC))
        chars.append(_ALPHANUMERIC[index])
    return "".join(chars)


def random_id() -> str:
    """A new 20-character id (contacts)."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(20))


def object_id() -> str:
    """A new 24-hex-digit id shaped like a Mongo ObjectId (invoices, items, tokens)."""
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"


COMPANY_ID = stable_id("company")
COMPANY_NAME = "Demo Agency (GHL sandbox)"
# The user who installs the app; /send and text2pay need a user id of the location.
DEMO_USER_ID = stable_id("user")
DEMO_USER_EMAIL = "demo.user@ghl-sandbox.test"

LOCATION_SEEDS = (
    {
        "key": "plumbing",
        "name": "Demo Plumbing & Heating (GHL)",
        "email": "office@plumbing.ghl-sandbox.test",
        "phone": "+441130000001",
        "address": "1 High Street",
        "city": "Leeds",
        "state": "West Yorkshire",
        "postal_code": "LS1 1AA",
        "website": "https://plumbing.ghl-sandbox.test",
    },
    {
        "key": "lettings",
        "name": "Demo Lettings (GHL)",
        "email": "office@lettings.ghl-sandbox.test",
        "phone": "+441610000002",
        "address": "2 Market Street",
        "city": "Manchester",
        "state": "Greater Manchester",
        "postal_code": "M1 1AA",
        "website": "https://lettings.ghl-sandbox.test",
    },
)

# The sandbox's Ed25519 webhook signing key. NOT FOR PRODUCTION: it is public in this
# repository, so anyone can sign a webhook with it. Torqueflow trusts it only when the sandbox
# is on and GHL_WEBHOOK_PUBLIC_KEY is unset (torqueflow/settings.py).
WEBHOOK_PRIVATE_KEY_SEED = bytes.fromhex(
    "13c97307817680a56dc4351917fa68123cffaa03c1475d6c00213cdecb0f3741"
)
# Its public half (a test checks that the two match).
WEBHOOK_PUBLIC_KEY_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAaFzh5KhedYHnwv8lUNdJGV3gTaIjUx5f3UIgO3GxU2I=\n"
    "-----END PUBLIC KEY-----\n"
)
