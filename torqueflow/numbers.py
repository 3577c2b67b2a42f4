"""Whole numbers read from a request: ids in URLs and forms, counts and lengths in headers.

Python's `int()` takes more than a request should send ("²" passes `str.isdigit()` and then
fails `int()`; "٣" is 3; "1_000" is 1000), and a number past the database's 64-bit range
fails inside the database driver. Every id and count a request carries is read here, and
anything but plain ASCII digits within range reads as absent.
"""

import re
from collections.abc import Iterable

from django.urls import register_converter
from django.urls.converters import get_converters

# The largest primary key or count the database holds (a signed 64-bit integer).
MAX_INT = 2**63 - 1
_PLAIN = re.compile(r"[0-9]{1,19}")


def plain_int(value: object, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """`value` as an int when it is ASCII digits within [minimum, maximum], else None."""
    if not isinstance(value, str) or not _PLAIN.fullmatch(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def object_id(value: object) -> int | None:
    """A primary key sent by a form or a query string, or None."""
    return plain_int(value, minimum=1)


def object_ids(values: Iterable[object]) -> list[int]:
    """The valid primary keys among `values`, in order, without repeats."""
    ids = (object_id(value) for value in values)
    return list(dict.fromkeys(pk for pk in ids if pk is not None))


class IdConverter:
    """`<id:pk>` in a URL: a primary key, so a path with anything else is a 404, never a
    query the database refuses."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = object_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def register_id_converter() -> None:
    """Make `<id:…>` known; every URL module that uses it calls this first, so that whichever
    of them is imported first (a test may import one on its own) finds it."""
    if "id" not in get_converters():
        register_converter(IdConverter, "id")
