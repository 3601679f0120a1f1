"""Whole numbers from clients (ids, sequence numbers, filters): one parser for every interface.

Python's `str.isdigit()`, `int()` and a regex's `\\d` accept Unicode digits (`³`, `①`, `٣`, `１２`)
and `int()` takes numbers of any size; the database takes neither (an overflowing id is a 500 on
SQLite). So an id an interface reads goes through here: ASCII digits only, within a signed 64-bit
column (`BIGINT`, what every id and `seq` is), else it is refused — a 400 or an `error` frame.
"""

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

DB_INT_MAX = 2**63 - 1
DB_INT_MIN = -(2**63)
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")  # not \d: it matches every script's digits


def parse_int(
    value: Any, *, min_value: int = DB_INT_MIN, max_value: int = DB_INT_MAX
) -> int | None:
    """`value` as an int (a JSON number or a string of ASCII digits) in `[min_value, max_value]`,
    else None. Booleans, floats, Unicode digits and out-of-range numbers are None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 20 or not _ASCII_INTEGER.fullmatch(text):
            return None
        value = int(text)
    if not isinstance(value, int):
        return None
    return value if min_value <= value <= max_value else None


def parse_id(value: Any) -> int | None:
    """A row id (1 … BIGINT max) from a JSON number or ASCII digits; None if it is not one."""
    return parse_int(value, min_value=1)


def is_db_int(value: Any, *, min_value: int = DB_INT_MIN) -> bool:
    """A JSON number (not a boolean) that fits the database's integer columns."""
    return isinstance(value, int) and parse_int(value, min_value=min_value) is not None


class WholeNumberField(serializers.IntegerField):
    """DRF's `IntegerField` for input, but strings must be ASCII digits and the value must fit a
    BIGINT column (`max_value`/`min_value` default to its bounds, so the schema says so too)."""

    default_error_messages = {"invalid": _("A whole number is required (digits 0-9).")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs["max_value"] = min(kwargs.get("max_value", DB_INT_MAX), DB_INT_MAX)
        kwargs["min_value"] = max(kwargs.get("min_value", DB_INT_MIN), DB_INT_MIN)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not _ASCII_INTEGER.fullmatch(data.strip()):
            self.fail("invalid")
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(WholeNumberField):
    """A row id: a whole number from 1 to the BIGINT maximum."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class IdConverter:
    """`<id:pk>` in URLs: ASCII digits naming 1 … BIGINT max (Django's `<int:>` takes any size,
    and an id past BIGINT is a 500 on some lookups); anything else matches no route: 404."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)
