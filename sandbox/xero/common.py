"""What every Accounting API resource shares: the call context, results, body parsing,
batches with `summarizeErrors`, paging and money."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from sandbox.models import App, Faults, XeroTenant

from . import dates, render
from .where import WhereError, compile_where

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
ZERO_ID = "00000000-0000-0000-0000-000000000000"
CENT = Decimal("0.01")


@dataclass
class Ctx:
    """One authenticated, tenant-scoped Accounting API call."""

    request: HttpRequest
    tenant: XeroTenant
    app: App
    faults: Faults
    ident: str | None = None
    changed_invoices: list = field(default_factory=list)
    # Of those, the ones this call created: their webhook event is a CREATE, as Xero's is.
    created_invoices: list = field(default_factory=list)

    @property
    def method(self) -> str:
        return self.request.method or "GET"

    def param(self, name: str, default: str = "") -> str:
        """A query parameter, matched without regard to case as Xero does."""
        for key, value in self.request.GET.items():
            if key.lower() == name.lower():
                return value
        return default

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.param(name)
        return default if value == "" else value.lower() == "true"

    def csv(self, name: str) -> list[str]:
        return [part.strip().strip('"') for part in self.param(name).split(",") if part.strip()]

    @property
    def summarize_errors(self) -> bool:
        # The API summarises unless told not to (the spec's "default: false" is wrong).
        return self.flag("summarizeErrors", default=True)

    @property
    def unitdp(self) -> int:
        return 4 if self.param("unitdp") == "4" else 2

    def envelope(self, key: str, items: list[dict], pagination: dict | None = None) -> dict:
        return render.envelope(self.app.name, key, items, pagination)


@dataclass
class ApiResult:
    status: int
    body: dict[str, Any] | None  # None: Xero's plain-text 404
    error: bool = False
    replayed: bool = False  # the stored answer to an Idempotency-Key seen before


NOT_FOUND = ApiResult(404, None)


def bad_request(body: dict[str, Any]) -> ApiResult:
    return ApiResult(400, body, error=True)


# --- values ---------------------------------------------------------------------------------


def to_decimal(value: Any) -> Decimal | None:
    """A number from a JSON body; None when absent; ValueError when not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(value) from error
    if not number.is_finite():
        raise ValueError(value)
    return number


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def places(value: Decimal, dp: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        return None


def parse_items(request: HttpRequest, key: str, noun: str) -> list[dict] | ApiResult:
    """The elements of a PUT/POST body: {"Invoices":[...]}, a bare list, or one object."""
    try:
        body = json.loads(request.body or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        return bad_request(render.post_data_invalid(f"JSON for post data was invalid,{error}"))
    if isinstance(body, dict) and key in body:
        items = body[key]
    elif isinstance(body, list):
        items = body
    elif isinstance(body, dict) and body:
        items = [body]
    else:
        items = []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return bad_request(render.post_data_invalid("JSON for post data was invalid"))
    if not items:
        return bad_request(
            {
                "ErrorNumber": 10,
                "Type": "ValidationException",
                "Message": "No data has been processed for this endpoint. This endpoint is "
                f"expecting {noun} data to be specifed in the request body.",
            }
        )
    return items


# --- batches -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    element: dict[str, Any]
    errors: list[str] = field(default_factory=list)


class _Failed(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def run_batch(
    ctx: Ctx,
    items: list[dict],
    process: Callable[[dict], Outcome],
    *,
    key: str,
    error_flag: str,
) -> ApiResult:
    """Each element in its own savepoint. With summarizeErrors (the default) any failure makes
    the answer a 400 listing only the failed elements, although the valid ones were saved,
    as on Xero; with summarizeErrors=false the answer is 200 with every element marked."""
    outcomes = []
    for item in items:
        try:
            with transaction.atomic():
                outcome = process(item)
                if outcome.errors:
                    raise _Failed(outcome)
        except _Failed as failed:
            outcome = failed.outcome
        outcome.element["StatusAttributeString"] = "ERROR" if outcome.errors else "OK"
        if outcome.errors:
            outcome.element[error_flag] = True
            outcome.element["ValidationErrors"] = [{"Message": m} for m in outcome.errors]
        outcomes.append(outcome)
    failed = [o.element for o in outcomes if o.errors]
    if failed and ctx.summarize_errors:
        return bad_request(render.validation_exception(failed))
    return ApiResult(200, ctx.envelope(key, [o.element for o in outcomes]))


# --- reading lists -----------------------------------------------------------------------------


def filter_where(ctx: Ctx, rows: list, record: Callable[[Any], dict]) -> list | ApiResult:
    text = ctx.param("where")
    if not text:
        return rows
    try:
        predicate = compile_where(text)
        return [row for row in rows if predicate(record(row))]
    except WhereError as error:
        return bad_request(render.query_parse_error(str(error)))


def order_rows(ctx: Ctx, rows: list, record: Callable[[Any], dict]) -> list | ApiResult:
    text = ctx.param("order").strip()
    if not text:
        return rows
    name, _, direction = text.partition(" ")
    sample = record(rows[0]) if rows else {}
    keys = {k.lower(): k for k in sample}
    if rows and name.lower() not in keys:
        return bad_request(render.query_parse_error(f"No property or field '{name}' exists"))
    field_name = keys.get(name.lower(), name)

    def sort_key(row: Any) -> tuple[bool, Any]:
        value = record(row).get(field_name)
        return (value is None, value)

    return sorted(rows, key=sort_key, reverse=direction.strip().upper() == "DESC")


def modified_since(ctx: Ctx, rows: QuerySet) -> QuerySet:
    """If-Modified-Since, in the query (as Xero answers it: from an index, not a scan)."""
    since = dates.parse_if_modified_since(ctx.request.headers.get("If-Modified-Since"))
    return rows if since is None else rows.filter(updated_utc__gte=since)


def paginate(ctx: Ctx, rows: list) -> tuple[list, dict | None]:
    """With `page` (or `pageSize`): that page and the pagination block; else everything."""
    page_text, size_text = ctx.param("page"), ctx.param("pageSize")
    if not page_text and not size_text:
        return rows, None
    try:
        page = max(1, int(page_text or 1))
        size = min(MAX_PAGE_SIZE, max(1, int(size_text or PAGE_SIZE)))
    except ValueError:
        page, size = 1, PAGE_SIZE
    count = len(rows)
    pagination = {
        "page": page,
        "pageSize": size,
        "pageCount": (count + size - 1) // size,
        "itemCount": count,
    }
    return rows[(page - 1) * size : page * size], pagination
