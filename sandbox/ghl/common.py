"""What every API handler shares: the call context."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from sandbox.models import App, Faults, GhlLocation, Grant

from . import render


@dataclass
class Ctx:
    """One authenticated API call for the location its token belongs to (its install)."""

    request: HttpRequest
    install: Grant
    location: GhlLocation
    faults: Faults
    args: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    # (invoice, event type) pairs for the webhooks of changes made through the API.
    changed: list[tuple[Any, str]] = field(default_factory=list)

    @property
    def app(self) -> App:
        return self.install.app

    @property
    def query(self):
        return self.request.GET

    def changed_invoice(self, invoice, event_type: str) -> None:
        self.changed.append((invoice, event_type))


def parse_body(request: HttpRequest) -> dict[str, Any]:
    """The JSON body: an object, {} when empty or not an object (validation then lists what
    is missing); 400 when it is not JSON at all, as body-parser answers."""
    if not request.body:
        return {}
    try:
        body = json.loads(request.body, parse_float=Decimal)
    except UnicodeDecodeError as error:
        raise render.bad_request("Unexpected token in JSON") from error
    except json.JSONDecodeError as error:
        raise render.bad_request(f"Unexpected token in JSON at position {error.pos}") from error
    return body if isinstance(body, dict) else {}
