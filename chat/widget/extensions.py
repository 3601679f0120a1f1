"""What the apps above chat add to the widget's site config, without chat importing them.

The widget's config (the session answer's `site` and the frame page's) is chat's, but some of its
parts belong to a higher layer: the menu (转工单 way 3) is tickets'. chat may not import tickets
(CONTRIBUTING.md, "Layers"), so the higher app registers the part here from its
`AppConfig.ready()` (tickets/apps.py): a key, the serializer field that documents it (OpenAPI) and
the function that builds it for a site. Parts follow the built-in keys in registration order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rest_framework import serializers

from chat.widget.models import WidgetSite


@dataclass(frozen=True)
class SiteConfigPart:
    key: str
    field: Callable[[], serializers.Field]  # a fresh field per serializer instance
    build: Callable[[WidgetSite], Any]


_site_config_parts: dict[str, SiteConfigPart] = {}


def site_config_part_register(
    key: str,
    *,
    field: Callable[[], serializers.Field],
    build: Callable[[WidgetSite], Any],
) -> None:
    """Add `key` to every site config; registering the same key again replaces it."""
    _site_config_parts[key] = SiteConfigPart(key=key, field=field, build=build)


def site_config_parts() -> list[SiteConfigPart]:
    return list(_site_config_parts.values())
