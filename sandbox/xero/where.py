"""A small subset of Xero's `where` filter, evaluated in Python:

    Status=="AUTHORISED" AND Type=="ACCREC"
    Contact.ContactID==guid("...")   Date>=DateTime(2026,01,31)   AmountDue>0
    Name.Contains("plumb")  Name.StartsWith("A")  EmailAddress!=null

Clauses are joined with AND / OR (AND binds tighter); no parentheses. Anything else is a
QueryParseException, as on Xero.
"""

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

Record = dict[str, Any]


class WhereError(ValueError):
    pass


_SPLIT = re.compile(r'"(?:[^"\\]|\\.)*"|\s+(AND|OR|&&|\|\|)\s+', re.IGNORECASE)
_COMPARE = re.compile(r"^\s*([A-Za-z][\w.]*)\s*(==|!=|>=|<=|>|<)\s*(.+?)\s*$", re.DOTALL)
_METHOD = re.compile(
    r'^\s*([A-Za-z][\w.]*)\.(Contains|StartsWith|EndsWith)\(\s*"((?:[^"\\]|\\.)*)"\s*\)\s*$',
    re.IGNORECASE,
)
_GUID = re.compile(r'^guid\(\s*"([^"]*)"\s*\)$', re.IGNORECASE)
_DATETIME = re.compile(r"^DateTime\(\s*([\d\s,]+)\)$", re.IGNORECASE)


def _split(text: str) -> list[list[str]]:
    """[[clause, clause, ...] joined by AND, ...] joined by OR."""
    groups: list[list[str]] = [[]]
    start = 0
    for match in _SPLIT.finditer(text):
        if match.group(1) is None:
            continue
        groups[-1].append(text[start : match.start()])
        if match.group(1).upper() in ("OR", "||"):
            groups.append([])
        start = match.end()
    groups[-1].append(text[start:])
    return groups


def _literal(text: str) -> Any:
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return text[1:-1].replace('\\"', '"')
    if match := _GUID.match(text):
        return match.group(1).lower()
    if match := _DATETIME.match(text):
        parts = [int(p) for p in match.group(1).split(",") if p.strip()]
        if not 3 <= len(parts) <= 6:
            raise WhereError(f"Invalid DateTime: {text}")
        return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise WhereError(f"Unrecognised value: {text}") from error


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(right, dt.datetime):
        if isinstance(left, dt.datetime):
            return left, right
        if isinstance(left, dt.date):
            return left, right.date()
    if isinstance(right, Decimal) and left is not None and not isinstance(left, Decimal):
        try:
            return Decimal(str(left)), right
        except InvalidOperation:
            return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left.lower(), right.lower()
    return left, right


def _lookup(record: Record, path: str) -> Any:
    for key, value in record.items():
        if key.lower() == path.lower():
            return value
    raise WhereError(f"No property or field '{path}' exists in type")


def _clause(text: str) -> Callable[[Record], bool]:
    if match := _METHOD.match(text):
        path, method, needle = match.group(1), match.group(2).lower(), match.group(3).lower()

        def test_method(record: Record) -> bool:
            value = str(_lookup(record, path) or "").lower()
            if method == "contains":
                return needle in value
            return value.startswith(needle) if method == "startswith" else value.endswith(needle)

        return test_method
    match = _COMPARE.match(text)
    if not match:
        raise WhereError(f"Syntax error in where clause: {text.strip()}")
    path, op, raw = match.groups()
    right = _literal(raw)

    def test(record: Record) -> bool:
        left, value = _comparable(_lookup(record, path), right)
        if op == "==":
            return left == value
        if op == "!=":
            return left != value
        if left is None or value is None:
            return False
        try:
            return {">": left > value, "<": left < value, ">=": left >= value, "<=": left <= value}[
                op
            ]
        except TypeError as error:
            raise WhereError(f"Operator '{op}' incompatible with operand types") from error

    return test


def compile_where(text: str) -> Callable[[Record], bool]:
    """A predicate over a record's fields; raises WhereError for what it cannot read."""
    groups = [[_clause(c) for c in group] for group in _split(text.strip())]

    def predicate(record: Record) -> bool:
        return any(all(test(record) for test in group) for group in groups)

    return predicate
