"""/sandbox/xero/connections: the tenants a user's authorisation reaches (GET, ?authEventId=)
and DELETE /connections/{id} to disconnect one (204, or 404 if unknown)."""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.core.faults import guarded
from sandbox.core.seed import ensure_seeded
from sandbox.models import XeroConnection

from . import render
from .api import authenticate
from .common import parse_uuid
from .constants import KEY


def _stamp(value: dt.datetime) -> str:
    """Xero's connection timestamps: "2019-12-07T18:46:19.5165400" (UTC, no zone)."""
    utc = value.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}0"


def serialize(connection: XeroConnection) -> dict[str, str]:
    return {
        "id": str(connection.connection_id),
        "authEventId": str(connection.auth_event_id),
        "tenantId": str(connection.tenant.tenant_id),
        "tenantType": "ORGANISATION",
        "tenantName": connection.tenant.name,
        "createdDateUtc": _stamp(connection.created_at),
        "updatedDateUtc": _stamp(connection.updated_at),
    }


@csrf_exempt
@guarded(KEY)
def connections(request: HttpRequest, connection_id: str | None = None) -> HttpResponse:
    ensure_seeded(KEY)
    token = authenticate(request)
    if isinstance(token, HttpResponse):
        return token
    mine = XeroConnection.objects.filter(
        grant=token.grant, grant__revoked_at__isnull=True
    ).select_related("tenant")
    if connection_id is None and request.method == "GET":
        if auth_event := request.GET.get("authEventId"):
            event_id = parse_uuid(auth_event)
            mine = mine.filter(auth_event_id=event_id) if event_id else mine.none()
        body = json.dumps([serialize(c) for c in mine.order_by("created_at", "id")])
        return HttpResponse(body, content_type=render.JSON_TYPE)
    if connection_id is not None and request.method == "DELETE":
        wanted = parse_uuid(connection_id)
        deleted, _ = mine.filter(connection_id=wanted).delete() if wanted else (0, {})
        return HttpResponse(status=204 if deleted else 404)
    response = HttpResponse(status=405)
    response["Allow"] = "GET" if connection_id is None else "DELETE"
    return response
