"""GET /locations/{locationId}: the sub-account (GetLocationByIdSuccessfulResponseDto)."""

from __future__ import annotations

from typing import Any

from sandbox.models import GhlLocation

from .common import Ctx


def serialize(location: GhlLocation) -> dict[str, Any]:
    return {
        "id": location.location_id,
        "companyId": location.company_id,
        "name": location.name,
        "domain": f"{location.location_id.lower()}.ghl-sandbox.test",
        "address": location.address,
        "city": location.city,
        "state": location.state,
        "country": location.country,
        "postalCode": location.postal_code,
        "website": location.website,
        "timezone": location.timezone,
        "email": location.email,
        "phone": location.phone,
        "business": {
            "name": location.name,
            "address": location.address,
            "city": location.city,
            "state": location.state,
            "country": location.country,
            "postalCode": location.postal_code,
            "website": location.website,
            "timezone": location.timezone,
        },
        "social": {},
        "settings": {
            "allowDuplicateContact": location.allow_duplicate_contact,
            "allowDuplicateOpportunity": False,
            "allowFacebookNameMerge": False,
            "disableContactTimezone": False,
        },
    }


def get(ctx: Ctx) -> dict[str, Any]:
    # The gateway has checked that the path's location is the token's.
    return {"location": serialize(ctx.location)}
