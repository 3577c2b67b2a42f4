"""What the list pages share: the sortable column headers and the URLs of filter chips, so
that every list reads and links the same way."""

from dataclasses import dataclass

from django.http import HttpResponse, QueryDict


@dataclass(frozen=True)
class Column:
    label: str
    key: str = ""  # a sort key, or "" when the column does not sort
    num: bool = False


@dataclass(frozen=True)
class Header:
    label: str
    url: str
    aria_sort: str  # "ascending", "descending" or "" when not sorted by it
    num: bool


@dataclass(frozen=True)
class Chip:
    label: str
    url: str
    active: bool


def clean_query(query: QueryDict) -> QueryDict:
    """The query without empty parameters and without repeats (the last value wins), so an
    address reads ?q=ja&sort=total, never ?q=j&q=ja&date_from=."""
    cleaned = QueryDict(mutable=True)
    for name, values in query.lists():
        value = values[-1] if values else ""
        if value:
            cleaned[name] = value
    return cleaned


def replace_url(request, response: HttpResponse, query: QueryDict) -> HttpResponse:
    """An htmx answer to a filter puts the clean address in the bar (no new Back entry)."""
    if request.htmx:
        encoded = query.urlencode()
        response["HX-Replace-Url"] = request.path + (f"?{encoded}" if encoded else "")
    return response


def with_params(query: QueryDict, **changes: str | None) -> str:
    """The query string with these parameters set (None drops one), back on page 1."""
    updated = query.copy()
    updated.pop("page", None)
    for name, value in changes.items():
        updated.pop(name, None)
        if value:
            updated[name] = value
    encoded = updated.urlencode()
    return f"?{encoded}" if encoded else "?"


def sort_headers(query: QueryDict, columns: list[Column], current: str) -> list[Header]:
    """Headers whose link sorts by the column, ascending first, then descending."""
    headers = []
    for column in columns:
        if not column.key:
            headers.append(Header(column.label, "", "", column.num))
            continue
        if current == column.key:
            aria, next_sort = "ascending", f"-{column.key}"
        elif current == f"-{column.key}":
            aria, next_sort = "descending", column.key
        else:
            aria, next_sort = "", column.key
        headers.append(Header(column.label, with_params(query, sort=next_sort), aria, column.num))
    return headers


def toggle_chip(query: QueryDict, label: str, name: str, value: str) -> Chip:
    """A chip that sets `name=value`, or clears it when it is the one set."""
    active = query.get(name) == value
    return Chip(label, with_params(query, **{name: None if active else value}), active)
