"""One list of the device/page context fields (chat/context.py): every surface derives from it, and
every field travels from the widget's session to the conversation, the agent's customer panel and
the 转工单 prefill, cut to its column's size."""

import pytest

from chat import context
from chat.admin import ConversationAdmin
from chat.models import Conversation
from chat.serializers import ContextSerializer
from chat.services import ConversationContext
from chat.tests.factories import WidgetSiteFactory
from chat.widget.serializers import WidgetContextSerializer
from chat.widget.services import visitor_conversation_start
from chat.widget.sessions import visitor_from_token
from routing.tests.factories import TeamFactory
from tickets import selectors as ticket_selectors

pytestmark = pytest.mark.django_db


def reported() -> dict[str, str]:
    """A value for every field, each longer than its column (URLs as http(s) addresses)."""
    values = {}
    for name, limit in context.CONTEXT_LIMITS.items():
        start = "https://shop.example.com/" if name in context.URL_FIELDS else f"{name}-"
        values[name] = (start + "x" * limit)[: limit + 5]
    return values


def test_every_field_goes_from_the_widget_to_the_panel_and_the_ticket_prefill(
    client, supervisor_client
):
    WidgetSiteFactory(key="shop", team=TeamFactory())
    answer = client.post(
        "/api/widget/v1/sessions/",
        {"site": "shop", "context": {**reported(), "language": "zh-CN"}},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    conversation, _ = visitor_conversation_start(
        visitor=visitor_from_token(answer.json()["visitor_token"])
    )
    expected = {name: value[: context.CONTEXT_LIMITS[name]] for name, value in reported().items()}

    stored = Conversation.objects.get(pk=conversation.pk)
    panel = supervisor_client.get(f"/api/v1/conversations/{conversation.pk}/").json()["context"]
    prefill = ticket_selectors.conversation_context_fields(stored)

    assert {name: getattr(stored, name) for name in context.CONTEXT_FIELDS} == expected
    assert panel == {**expected, "ip_address": "127.0.0.1"}
    assert prefill == {"channel": "web", **expected}


def test_every_surface_lists_the_one_list():
    fields = list(context.CONTEXT_FIELDS)
    admin_context = next(
        options["fields"]
        for _title, options in ConversationAdmin.fieldsets
        if "ip_address" in options["fields"]
    )

    assert list(ConversationContext.__dataclass_fields__) == [*fields, "ip_address"]
    assert list(ContextSerializer().fields) == [*fields, "ip_address"]
    assert list(WidgetContextSerializer().fields) == [*fields, "language"]
    assert list(admin_context) == [*fields, "ip_address"]
    assert list(ticket_selectors.CONTEXT_FIELDS) == ["channel", *fields]
    assert sorted(context.URL_FIELDS) == ["page_url", "referrer"]  # the URLField columns
