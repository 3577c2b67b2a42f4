"""Stripe's request parameters: form bodies and queries in bracket notation
(`line_items[0][price_data][currency]=gbp`, `metadata[invoice]=7`, `expand[0]=latest_charge`)
read into nested dicts and lists, and read back out with Stripe's error answers."""

from __future__ import annotations

import re
from typing import Any

from django.http import QueryDict

from . import render

_PART = re.compile(r"\[([^\]]*)\]")


def _path(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    return [head, *_PART.findall("[" + rest)] if rest else [head]


def _listify(value: Any) -> Any:
    """Dicts keyed 0, 1, … (or by `[]`) become lists, in index order."""
    if not isinstance(value, dict):
        return value
    value = {k: _listify(v) for k, v in value.items()}
    if value and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    return value


def decode(data: QueryDict) -> dict[str, Any]:
    """Nested parameters from a form body or a query string."""
    root: dict[str, Any] = {}
    for key, values in data.lists():
        *parents, last = _path(key)
        for value in values:
            node = root
            for part in parents:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[last or str(len(node))] = value
    return _listify(root)


def known(params: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
    """400 for a parameter the endpoint does not take."""
    for name in params:
        if name not in allowed:
            raise render.unknown(f"{prefix}[{name}]" if prefix else name)


def text(params: dict[str, Any], name: str, *, required: bool = False, param: str = "") -> str:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise render.missing(param or name)
        return ""
    if not isinstance(value, str):
        raise render.invalid(param or name, f"Invalid string: {param or name}")
    return value


def choice(
    params: dict[str, Any],
    name: str,
    allowed: list[str],
    *,
    default: str | None = None,
    param: str = "",
) -> str:
    """One of `allowed`; required unless a default is given."""
    value = text(params, name, required=default is None, param=param)
    if not value:
        return default or ""
    if value not in allowed:
        raise render.bad_value(param or name, value, allowed)
    return value


def integer(
    params: dict[str, Any],
    name: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    param: str = "",
) -> int | None:
    value = text(params, name, required=required, param=param)
    if not value:
        return None
    if not re.fullmatch(r"-?\d{1,15}", value):
        raise render.bad_integer(param or name)
    number = int(value)
    if minimum is not None and number < minimum:
        raise render.ApiError(
            400,
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=param or name,
        )
    return number


def boolean(params: dict[str, Any], name: str, *, param: str = "") -> bool | None:
    value = text(params, name, param=param)
    if not value:
        return None
    if value not in ("true", "false"):
        raise render.ApiError(
            400, f"Invalid boolean: {value}", code="parameter_invalid_string", param=param or name
        )
    return value == "true"


def mapping(params: dict[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise render.ApiError(
            400, f"Invalid object: {name}", code="parameter_invalid_string", param=name
        )
    return value


def metadata(params: dict[str, Any], name: str = "metadata", *, param: str = "") -> dict[str, str]:
    """Stripe's metadata: up to 50 keys of 40 characters, values of 500."""
    value = mapping(params, name)
    label = param or name
    if len(value) > 50:
        raise render.invalid(label, "You can have at most 50 keys in metadata.")
    for key, item in value.items():
        if not isinstance(item, str):
            raise render.invalid(f"{label}[{key}]", f"Invalid string: {label}[{key}]")
        if len(key) > 40 or len(item) > 500:
            raise render.invalid(
                f"{label}[{key}]",
                "Metadata keys can be up to 40 characters long and values up to 500 characters.",
            )
    return {k: v for k, v in value.items() if v != ""}


def expand(params: dict[str, Any]) -> set[str]:
    value = params.get("expand") or []
    return set(value if isinstance(value, list) else [value])
