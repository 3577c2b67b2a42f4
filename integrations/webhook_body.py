"""Reading a webhook body: strict JSON, as a value our database can always store.

A provider signs bytes, not values, so a signed body may still be something we must refuse
(nested a thousand levels deep, `NaN`, a number too large for a float) or something we
must accept although a database column would refuse it (a NUL or a lone surrogate in a
string: PostgreSQL's jsonb and text columns take neither). The first are malformed (400);
the second are kept, minus the characters no column can hold, beside the raw body.
"""

import json
import math
import re
from typing import Any

# Deeper than any provider's documented payload by far; json.loads itself gives up near 1,000.
MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


class MalformedBody(ValueError):
    """The body is not JSON we accept; the hub answers 400."""


def read_json(body: bytes) -> Any:
    """The JSON value of `body` (UTF-8, RFC 8259), cleaned by `storable`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedBody("The body is not UTF-8") from error
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as error:
        raise MalformedBody("The body is nested too deeply") from error
    except ValueError as error:
        raise MalformedBody(str(error)) from error
    return storable(value)


def storable(value: Any) -> Any:
    """`value` with NULs dropped from its strings and keys and lone surrogates replaced
    (neither can be stored or re-encoded as UTF-8); refuses nesting past MAX_DEPTH."""
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 1)]
    while stack:
        parent, slot, depth = stack.pop()
        item = parent[slot]
        if isinstance(item, str):
            parent[slot] = _clean(item)
        elif isinstance(item, list | dict):
            if depth > MAX_DEPTH:
                raise MalformedBody(f"The body is nested more than {MAX_DEPTH} levels deep")
            if isinstance(item, dict) and any(not _is_clean(key) for key in item):
                item = parent[slot] = {_clean(key): child for key, child in item.items()}
            slots = range(len(item)) if isinstance(item, list) else item.keys()
            stack.extend((item, child_slot, depth + 1) for child_slot in slots)
    return root[0]


def _is_clean(text: str) -> bool:
    if text.isascii():
        return "\x00" not in text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _clean(text: str) -> str:
    if _is_clean(text):
        return text
    # json.loads joins every valid surrogate pair, so any surrogate left is a lone one.
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def _refuse_constant(name: str) -> float:
    raise MalformedBody(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise MalformedBody(f"{text[:20]} is out of range")
    return number
