"""Request-body checks in the style of NestJS's ValidationPipe (class-validator), which is what
GoHighLevel's 422 answers list: one message per failed constraint, nested fields named by
their path ("items.0.amount must be a number conforming to the specified constraints")."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from . import dates

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Rules:
    """Collects the messages for one body; `child` checks a nested object or list item."""

    def __init__(self, errors: list[str] | None = None, prefix: str = "") -> None:
        self.errors = [] if errors is None else errors
        self.prefix = prefix

    def child(self, name: str | int) -> Rules:
        return Rules(self.errors, f"{self.prefix}{name}.")

    def _path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _missing(self, data: dict, key: str, required: bool, kind_message: str) -> bool:
        """True when the value is absent; notes the failures when it was required."""
        if data.get(key) is not None:
            return False
        if required:
            self.errors.append(f"{self._path(key)} should not be empty")
            self.errors.append(f"{self._path(key)} {kind_message}")
        return True

    def text(
        self, data: dict, key: str, *, required: bool = True, empty: bool = False
    ) -> str | None:
        if self._missing(data, key, required, "must be a string"):
            return None
        value = data[key]
        if not isinstance(value, str):
            self.errors.append(f"{self._path(key)} must be a string")
            return None
        if required and not empty and not value.strip():
            self.errors.append(f"{self._path(key)} should not be empty")
            return None
        return value

    def email(self, data: dict, key: str, *, required: bool = False) -> str | None:
        value = self.text(data, key, required=required, empty=True)
        if value and not _EMAIL.match(value.strip()):
            self.errors.append(f"{self._path(key)} must be an email")
            return None
        return value

    def boolean(self, data: dict, key: str, *, required: bool = True) -> bool | None:
        if self._missing(data, key, required, "must be a boolean value"):
            return None
        if not isinstance(data[key], bool):
            self.errors.append(f"{self._path(key)} must be a boolean value")
            return None
        return data[key]

    def number(self, data: dict, key: str, *, required: bool = True) -> Decimal | None:
        message = "must be a number conforming to the specified constraints"
        if self._missing(data, key, required, message):
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.errors.append(f"{self._path(key)} {message}")
            return None
        number = Decimal(str(value))
        if not number.is_finite():
            self.errors.append(f"{self._path(key)} {message}")
            return None
        return number

    def choice(
        self, data: dict, key: str, options: list[str], *, required: bool = True
    ) -> str | None:
        message = f"must be one of the following values: {', '.join(options)}"
        if self._missing(data, key, required, message):
            return None
        if data[key] not in options:
            self.errors.append(f"{self._path(key)} {message}")
            return None
        return data[key]

    def date(self, data: dict, key: str, *, required: bool = True) -> dt.date | None:
        message = "must be a valid ISO 8601 date string"
        if self._missing(data, key, required, message):
            return None
        if isinstance(data[key], str):
            try:
                return dates.parse_date(data[key])
            except ValueError:
                pass
        self.errors.append(f"{self._path(key)} {message}")
        return None

    def obj(self, data: dict, key: str, *, required: bool = True) -> dict | None:
        message = "must be an object"
        if self._missing(data, key, required, message):
            return None
        if not isinstance(data[key], dict):
            self.errors.append(f"nested property {self._path(key)} must be either object or array")
            return None
        return data[key]

    def array(self, data: dict, key: str, *, required: bool = True) -> list | None:
        if self._missing(data, key, required, "must be an array"):
            return None
        if not isinstance(data[key], list):
            self.errors.append(f"{self._path(key)} must be an array")
            return None
        return data[key]

    def strings(self, data: dict, key: str, *, required: bool = True) -> list[str] | None:
        values = self.array(data, key, required=required)
        if values is None:
            return None
        if not all(isinstance(v, str) for v in values):
            self.errors.append(f"each value in {self._path(key)} must be a string")
            return None
        return values

    def number_string(self, params, key: str) -> int | None:
        """A required query parameter holding a whole number (limit, offset)."""
        value = params.get(key)
        if value is None or not str(value).strip().isdigit():
            self.errors.append(f"{self._path(key)} must be a number string")
            return None
        return int(value)


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
