"""Xero's response bodies: the Accounting API envelope, its error shapes and the identity
problem bodies; JSON with exact decimals ("40.00"), or XML when JSON was not asked for."""

import json
import re
import uuid
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox.core.faults import roll

from . import dates

JSON_TYPE = "application/json; charset=utf-8"
_MARK = "\u241fDEC:"
_MARK_RE = re.compile(r'"\\u241fDEC:(-?[0-9.]+)"')
# XML element names of list items; otherwise the list's name without its final "s".
_SINGULAR = {
    "Elements": "DataContractBase",
    "Addresses": "Address",
    "Warnings": "Warning",
    "Statuses": "Status",
}
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"
SERVER_ERROR_DETAIL = (
    "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
    "for current service status. Contact the API support team at api@xero.com for more "
    "assistance."
)


def _mark_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_MARK}{value}"
    if isinstance(value, dict):
        return {k: _mark_decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark_decimals(v) for v in value]
    return value


def dumps(data: Any) -> str:
    """JSON in which Decimals are numbers written exactly as quantized (40.00, 2.0000)."""
    return _MARK_RE.sub(r"\1", json.dumps(_mark_decimals(data)))


def _xml_fill(parent: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_fill(ET.SubElement(parent, key), item)
    elif isinstance(value, list):
        name = _SINGULAR.get(parent.tag, parent.tag[:-1] if parent.tag.endswith("s") else "Item")
        for item in value:
            _xml_fill(ET.SubElement(parent, name), item)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif value is not None:
        parent.text = str(value)


def to_xml(root: str, data: dict[str, Any]) -> bytes:
    element = ET.Element(root)
    _xml_fill(element, data)
    return ET.tostring(element, encoding="utf-8", xml_declaration=False)


def wants_json(request: HttpRequest) -> bool:
    """Xero answers XML unless the client asks for JSON in the Accept header."""
    return "json" in request.headers.get("Accept", "").lower()


def accounting(
    request: HttpRequest, data: dict[str, Any], status: int = 200, *, error: bool = False
) -> HttpResponse:
    """An Accounting API answer (envelope or ApiException) in the format the client asked for."""
    if wants_json(request):
        return HttpResponse(dumps(data), status=status, content_type=JSON_TYPE)
    root = "ApiException" if error else "Response"
    return HttpResponse(to_xml(root, data), status=status, content_type="text/xml; charset=utf-8")


def envelope(
    provider_name: str, key: str, items: list[dict], pagination: dict | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": provider_name,
        "DateTimeUTC": dates.ms_envelope(dates.now()),
    }
    if pagination is not None:
        body["pagination"] = pagination
    body[key] = items
    return body


def validation_exception(elements: list[dict]) -> dict[str, Any]:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": elements,
    }


def post_data_invalid(message: str) -> dict[str, Any]:
    return {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}


def query_parse_error(message: str) -> dict[str, Any]:
    return {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}


def problem(status: int, detail: str, title: str = "") -> HttpResponse:
    """The gateway's 401/403/500 body: {"Type": null, "Title": "Forbidden", "Status": 403,
    "Detail": "AuthenticationUnsuccessful", "Instance": ..., "Extensions": {}}."""
    title = title or {401: "Unauthorized", 403: "Forbidden"}.get(status, "Error")
    body = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return HttpResponse(json.dumps(body), status=status, content_type=JSON_TYPE)


def not_found() -> HttpResponse:
    return HttpResponse(NOT_FOUND_TEXT, status=404, content_type="text/plain; charset=utf-8")


def server_error() -> HttpResponse:
    """A 503 from the gateway or a 500 from the API, as Xero sends them (an injected fault)."""
    if roll(0.5):
        return HttpResponse(
            "The Xero API is temporarily unavailable. Please try again later.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return problem(500, SERVER_ERROR_DETAIL, title="An error occurred")
