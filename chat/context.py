"""The device and page context a client reports when a conversation starts: the one list.

`CONTEXT_FIELDS` names them, in the order every surface shows them; their sizes are the
`Conversation` columns that keep them (`CONTEXT_LIMITS`), and the two URL columns
(`URL_FIELDS`) take only http(s) addresses. Everything else derives from here:
`ConversationContext` (what services take), the widget's session context (chat/widget/sessions.py,
chat/widget/serializers.py), the agent API's customer panel (chat/serializers.py), the admin, and
the 转工单 prefill (tickets/selectors.py).
"""

from collections.abc import Mapping
from dataclasses import field, make_dataclass
from typing import Any

from django.db import models

from chat.models import Conversation

CONTEXT_FIELDS: tuple[str, ...] = (
    "device",
    "os",
    "browser",
    "app_version",
    "network_type",
    "page_url",
    "page_title",
    "referrer",
)


def _column(name: str) -> models.Field:
    return Conversation._meta.get_field(name)


CONTEXT_LIMITS: dict[str, int] = {name: _column(name).max_length for name in CONTEXT_FIELDS}
URL_FIELDS: frozenset[str] = frozenset(
    name for name in CONTEXT_FIELDS if isinstance(_column(name), models.URLField)
)


def context_values(source: Mapping[str, Any]) -> dict[str, str]:
    """The context fields of `source` (a dict), each "" when absent."""
    return {name: source.get(name) or "" for name in CONTEXT_FIELDS}


def _from_mapping(cls, source: Mapping[str, Any], *, ip_address: str | None = None):
    return cls(**context_values(source), ip_address=ip_address)


ConversationContext = make_dataclass(
    "ConversationContext",
    [
        *((name, str, field(default="")) for name in CONTEXT_FIELDS),
        ("ip_address", str | None, field(default=None)),
    ],
    frozen=True,
    namespace={
        "__doc__": "What the client tells about itself when a conversation starts "
        "(CONTEXT_FIELDS, all text, and the IP address).",
        "__module__": __name__,
        "from_mapping": classmethod(_from_mapping),
    },
)
