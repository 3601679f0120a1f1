"""Keyset pages, newest first, shared by the lists that page on `(a moment, id)`; and the pages
of a search, best first, by position (the conversation and ticket searches)."""

import base64
import binascii
import json
from datetime import datetime
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from desk.kernel.json_input import json_loads

Row = TypeVar("Row", bound=Model)
PageKey = tuple[datetime, int]


def newest_first_page(
    queryset: QuerySet[Row], *, field: str, after: PageKey | None, limit: int
) -> tuple[list[Row], PageKey | None]:
    """`limit` rows of a queryset ordered by `(-field, -id)`, after the key `(field value, id)`
    of the last row seen; and the key to continue from (None on the last page)."""
    if after is not None:
        at, pk = after
        queryset = queryset.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "id__lt": pk}))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, (getattr(rows[-1], field), rows[-1].pk)


# ---- pages of a search (best first) --------------------------------------------------------

SEARCH_DEPTH = 300  # the results a search pages through, at most (then it has no next page)
_SEARCH_CURSOR = "search"
CURSOR_UNKNOWN = _("This cursor is not one the server gave out.")


def search_cursor(offset: int | None) -> str | None:
    """The cursor of a search's page that starts at `offset` (opaque to clients); None for no
    page (the last one was given)."""
    if offset is None:
        return None
    raw = json.dumps([_SEARCH_CURSOR, offset]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def search_offset(cursor: str) -> int | None:
    """Where the page a search cursor names starts; None for a cursor the server did not give
    out for a search."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, offset = json_loads(raw)
    except (binascii.Error, ValueError, TypeError):
        return None
    if kind != _SEARCH_CURSOR or not isinstance(offset, int) or isinstance(offset, bool):
        return None
    return offset if 0 < offset < SEARCH_DEPTH else None


def search_wanted(offset: int, limit: int) -> int:
    """How many of the best results a page needs ranked: through its end, and one more to
    know whether another page follows."""
    return min(offset + limit, SEARCH_DEPTH) + 1


def search_page(ranked: list[int], *, offset: int, limit: int) -> tuple[list[int], int | None]:
    """The ids of the page at `offset` of the ranked ids, and the offset of the next page
    (None on the last, or at SEARCH_DEPTH)."""
    end = min(offset + limit, SEARCH_DEPTH)
    more = len(ranked) > end and end < SEARCH_DEPTH
    return ranked[offset:end], end if more else None


def search_cursor_taken(attrs: dict) -> bool:
    """For a list's validated query: when it searches (`q`) and names a cursor, the cursor
    becomes `search_offset` (a 400 on `cursor` for one no search gave out) and True is
    returned; otherwise the list decodes its own keyset cursor."""
    if "cursor" not in attrs or not attrs.get("q", "").strip():
        return False
    attrs["search_offset"] = search_offset(attrs.pop("cursor"))
    if attrs["search_offset"] is None:
        raise serializers.ValidationError({"cursor": CURSOR_UNKNOWN})
    return True
