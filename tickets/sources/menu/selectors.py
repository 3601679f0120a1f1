"""Reads of the widget menu (转工单 way 3) for the widget."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from chat.models import WidgetVisitor
from tickets.models.menu import WidgetMenuOption


def site_menu_options(site_id: int | None) -> QuerySet[WidgetMenuOption]:
    """A site's active options in order, with their questions (two queries)."""
    return (
        WidgetMenuOption.objects.filter(site_id=site_id, is_active=True)
        .order_by("position", "id")
        .prefetch_related(Prefetch("questions"))
    )


def site_menu_json(site_id: int | None) -> list[dict[str, Any]]:
    """What the widget draws: each option's labels and form, in both languages."""
    if site_id is None:
        return []
    return [
        {
            "id": option.pk,
            "label": {"zh-hans": option.label_zh, "en": option.label_en},
            "questions": [
                {
                    "key": q.key,
                    "label": {"zh-hans": q.label_zh, "en": q.label_en},
                    "kind": q.kind,
                    "choices": q.choice_list(),
                    "required": q.required,
                }
                for q in option.questions.all()
            ],
        }
        for option in site_menu_options(site_id)
    ]


def visitor_menu_option(visitor: WidgetVisitor, option_id: int) -> WidgetMenuOption | None:
    """An active option of the visitor's site, else None (another site's looks missing)."""
    return (
        site_menu_options(visitor.site_id)
        .select_related("category", "team")
        .filter(pk=option_id)
        .first()
    )
