"""Agent notifications: @mentions in ticket notes and replies, customer replies and assignments
reach the right agent once, and nobody else (desk/notifications/services.py).

The ticket services record domain events; the notifications are written by their handlers
(desk/notifications/handlers.py) after commit. A plain `django_db` test never commits, so the
actions run inside `committed()`, which runs the after-commit callbacks when it exits."""

import pytest

from chat.services import message_create
from chat.tests.factories import ConversationFactory
from desk.kernel import realtime
from desk.models import Notification
from desk.notifications.services import excerpt, mentioned_names, notifications_mark_read
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory, TeamFactory
from tickets.customer_services import ticket_customer_reply, ticket_on_customer_message
from tickets.services import (
    TicketData,
    ticket_create_from_conversation,
    ticket_reply,
    ticket_update_fields,
)
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(monkeypatch):
    """The `notification` events handed to `desk.kernel.realtime.publish` (sent after commit; the
    socket tests see them arrive), as (groups, event)."""
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(
        realtime,
        "publish",
        lambda groups, event: event["type"] == "notification" and sent.append((groups, event)),
    )
    return sent


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): …` runs what the block left for after commit (domain events, pushes)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def carol():
    return AgentProfileFactory(user__username="carol", display_name="Carol")


@pytest.fixture
def lina():
    return AgentProfileFactory(user__username="lina.w", display_name="Lina Wang")


def rows(**filters) -> list[tuple]:
    return list(
        Notification.objects.filter(**filters)
        .order_by("pk")
        .values_list("recipient__username", "kind", "actor__username", "actor_name", "excerpt")
    )


# ---- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@lina please look", ["lina"]),
        ("cc @Lina.W, @bob-2 and @lina.w.", ["lina.w", "bob-2", "lina.w."]),
        ("mail lina@example.com or @ alone", []),
        ("(@carol) 请看一下 @张三", ["carol"]),
    ],
)
def test_mentioned_names(text, names):
    assert mentioned_names(text) == names


def test_excerpt_is_one_line_of_at_most_200_characters():
    assert excerpt("  two\n\nlines  ") == "two lines"
    long = excerpt("x" * 300)
    assert len(long) == 200
    assert long.endswith("…")


# ---- mentions -------------------------------------------------------------------------------


def test_a_note_notifies_each_named_agent_once(pushed, committed, carol, lina):
    ticket = TicketFactory()

    with committed():
        ticket_reply(
            actor=carol.user,
            ticket=ticket,
            body="@LINA.W please check, @lina.w. also @carol and @nobody",
            internal=True,
        )

    assert rows() == [
        (
            "lina.w",
            "mention",
            "carol",
            "Carol",
            "@LINA.W please check, @lina.w. also @carol and @nobody",
        )
    ]
    notification = Notification.objects.get()
    assert (notification.ticket, notification.read_at) == (ticket, None)
    ((groups, event),) = pushed
    assert groups == [realtime.agent_group(lina.user_id)]
    assert event["op"] == "new"
    assert event["unread"] == 1
    assert event["notification"]["id"] == notification.pk
    assert event["notification"]["ticket"] == {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "source": "manual",
    }
    assert event["notification"]["actor"] == {"id": carol.user_id, "name": "Carol"}


def test_a_public_reply_mention_notifies_too(pushed, committed, carol, lina):
    conversation = ConversationFactory()
    ticket = ticket_create_from_conversation(
        actor=carol.user, conversation=conversation, data=TicketData(subject="x"), source="button"
    ).ticket

    with committed():
        ticket_reply(actor=carol.user, ticket=ticket, body="Thanks! (cc @lina.w)", internal=False)

    assert rows() == [("lina.w", "mention", "carol", "Carol", "Thanks! (cc @lina.w)")]
    assert Notification.objects.get().conversation == conversation


def test_agents_who_cannot_see_the_ticket_or_are_inactive_are_not_told(pushed, committed, carol):
    billing, returns = TeamFactory(name="Billing"), TeamFactory(name="Returns")
    AgentProfileFactory(user__username="outsider", teams=[returns])
    AgentProfileFactory(user__username="gone", user__is_active=False, teams=[billing])
    AgentProfileFactory(user__username="insider", teams=[billing])
    SupervisorProfileFactory(user__username="boss")
    ticket = TicketFactory(team=billing)

    with committed():
        ticket_reply(
            actor=carol.user, ticket=ticket, body="@outsider @gone @insider @boss", internal=True
        )

    assert sorted(name for name, *_ in rows()) == ["boss", "insider"]
    assert len(pushed) == 2


def test_mentioning_only_yourself_writes_nothing(pushed, committed, carol):
    with committed():
        ticket_reply(
            actor=carol.user, ticket=TicketFactory(), body="note to self @carol", internal=True
        )

    assert rows() == []
    assert pushed == []


# ---- customer replies -------------------------------------------------------------------------


def test_a_customer_reply_notifies_the_assignee_once_until_read(pushed, committed, carol, lina):
    ticket = TicketFactory(assignee=lina.user)

    with committed():
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Any news?")
    with committed():
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Hello??")

    customer = str(ticket.requester)
    assert rows() == [("lina.w", "ticket_reply", None, customer, "Any news?")]
    notifications_mark_read(user=lina.user, everything=True)
    with committed():
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Third try")
    assert rows(read_at__isnull=True) == [("lina.w", "ticket_reply", None, customer, "Third try")]
    assert [event["op"] for _, event in pushed] == ["new", "read", "new"]


def test_a_customer_chat_message_on_a_ticket_notifies_its_assignee(pushed, committed, carol, lina):
    conversation = ConversationFactory()
    ticket = ticket_create_from_conversation(
        actor=carol.user, conversation=conversation, data=TicketData(subject="x"), source="button"
    ).ticket
    ticket_update_fields(actor=lina.user, ticket=ticket, changes={"assignee": lina.user})
    message = message_create(
        conversation=conversation, sender_type="customer", body="It is still broken"
    ).message

    with committed():
        ticket_on_customer_message(message=message)

    assert rows() == [
        ("lina.w", "ticket_reply", None, str(conversation.customer), "It is still broken")
    ]


def test_a_customer_reply_on_an_unassigned_ticket_notifies_nobody(pushed, committed):
    ticket = TicketFactory()

    with committed():
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Hello")

    assert rows() == []


# ---- assignment ---------------------------------------------------------------------------------


def test_assignment_by_someone_else_notifies_the_new_assignee(pushed, committed, carol, lina):
    ticket = TicketFactory(subject="Refund for order 42")

    with committed():
        ticket_update_fields(actor=carol.user, ticket=ticket, changes={"assignee": lina.user})
        ticket_update_fields(actor=carol.user, ticket=ticket, changes={"priority": 0})
        ticket_update_fields(actor=lina.user, ticket=ticket, changes={"assignee": carol.user})
        ticket_update_fields(actor=carol.user, ticket=ticket, changes={"assignee": None})

    assert rows() == [
        ("lina.w", "ticket_assigned", "carol", "Carol", "Refund for order 42"),
        ("carol", "ticket_assigned", "lina.w", "Lina Wang", "Refund for order 42"),
    ]


def test_the_conversations_agent_hears_it_became_a_ticket_unless_they_did_it(
    pushed, committed, carol, lina
):
    chat = ConversationFactory(assignee=lina.user)
    message_create(conversation=chat, sender_type="customer", body="My parcel is lost")

    def make(actor):
        return ticket_create_from_conversation(
            actor=actor,
            conversation=chat,
            data=TicketData(subject="Lost parcel"),
            source="keyword" if actor is None else "button",
            allow_additional=True,
        ).ticket

    with committed():
        by_rule = make(None)
        make(carol.user)
        make(lina.user)  # her own doing
        ticket_create_from_conversation(  # an unassigned chat tells nobody
            actor=None,
            conversation=ConversationFactory(),
            data=TicketData(subject=""),
            source="timeout",
        )

    assert rows() == [
        ("lina.w", "ticket_created", None, "", "Lost parcel"),
        ("lina.w", "ticket_created", "carol", "Carol", "Lost parcel"),
    ]
    (groups, event), *_ = pushed
    assert groups == [realtime.agent_group(lina.user_id)]
    assert event["notification"]["ticket"] == {
        "id": by_rule.pk,
        "number": by_rule.number,
        "subject": "Lost parcel",
        "source": "keyword",
    }


def test_taking_a_ticket_yourself_notifies_nobody(pushed, committed, carol):
    with committed():
        ticket_update_fields(
            actor=carol.user, ticket=TicketFactory(), changes={"assignee": carol.user}
        )

    assert rows() == []


# ---- marking read -------------------------------------------------------------------------------


def test_mark_read_touches_only_the_users_own_unread_notifications(pushed, committed, carol, lina):
    ticket = TicketFactory()
    with committed():
        for _ in range(2):
            ticket_reply(actor=carol.user, ticket=ticket, body="@lina.w", internal=True)
        ticket_reply(actor=lina.user, ticket=ticket, body="@carol", internal=True)
    mine = list(Notification.objects.filter(recipient=lina.user).values_list("pk", flat=True))
    theirs = Notification.objects.get(recipient=carol.user).pk
    pushed.clear()

    changed = notifications_mark_read(user=lina.user, ids=[mine[0], theirs, 999_999])

    assert changed == 1
    assert Notification.objects.filter(read_at__isnull=False).get().pk == mine[0]
    ((groups, event),) = pushed
    assert groups == [realtime.agent_group(lina.user_id)]
    assert event == {
        "type": "notification",
        "op": "read",
        "ids": [mine[0]],
        "all": False,
        "unread": 1,
    }
    assert notifications_mark_read(user=lina.user, ids=[mine[0]]) == 0
    assert notifications_mark_read(user=lina.user, everything=True) == 1
    assert Notification.objects.get(pk=theirs).read_at is None


def test_mark_read_needs_ids_or_everything(lina):
    with pytest.raises(ValueError):
        notifications_mark_read(user=lina.user)
    with pytest.raises(ValueError):
        notifications_mark_read(user=lina.user, ids=[1], everything=True)
