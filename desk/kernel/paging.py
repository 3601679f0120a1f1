"""Keyset pages, newest first, shared by the lists that page on `(a moment, id)`."""

from datetime import datetime
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

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
