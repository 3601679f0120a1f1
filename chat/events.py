"""What the realtime layer says about conversations and messages, and to whom.

Services call `publish_message` / `publish_conversation` inside their transaction;
`desk.kernel.realtime` sends after commit. Each event is built with the catalogue's
`frame(TYPE, …)` (desk/kernel/push_events.py, documented in docs/protocol.md). Groups:

- `inbox.all`: supervisors' tabs; `inbox.team.<id>`, `inbox.unowned`: agents by team scope;
  `inbox.agent.<user id>`: the assignee's tabs. Each gets conversation summaries and every message
  (internal notes included) of the conversations it may see (desk/kernel/access.py draws the same
  lines).
- `conv.<id>.customer`: the customer's widget sockets; never internal notes.
- `conv.<id>.agents`: the agents who have this conversation open (typing, viewers).
A client may hear the same event through two groups; events carry `conversation_id` and `seq`, so
clients apply them idempotently.
"""

from collections.abc import Iterable
from typing import Any

from chat.models import Conversation, Message, SenderType
from chat.sla_clocks import conversation_sla_json
from desk.kernel import push_events, realtime
from desk.kernel.push_events import frame
from routing.selectors import agent_display_name

INBOX_ALL = "inbox.all"
INBOX_UNOWNED = "inbox.unowned"


def inbox_team(team_id: int) -> str:
    return f"inbox.team.{team_id}"


def inbox_agent(user_id: int) -> str:
    return f"inbox.agent.{user_id}"


def conversation_customer(conversation_id: int) -> str:
    return f"conv.{conversation_id}.customer"


def visitor_group(site_id: int, customer_id: int) -> str:
    """Every widget socket of one visitor (site + customer); hears `conversation.new`."""
    return f"widget.{site_id}.{customer_id}"


def customer_groups(conversation: Conversation) -> list[str]:
    """The customer's sockets of this conversation, and for the widget every socket of the
    visitor too: a socket that has just started the conversation may not follow it yet (it
    joins after its `ack`), and routing may answer before that."""
    groups = [conversation_customer(conversation.pk)]
    if conversation.widget_site_id is not None:
        groups.append(visitor_group(conversation.widget_site_id, conversation.customer_id))
    return groups


def conversation_agents(conversation_id: int) -> str:
    return f"conv.{conversation_id}.agents"


def scope_groups(team_id: int | None, assignee_id: int | None) -> list[str]:
    """The inbox groups of every agent whose scope (`desk.kernel.access.team_scope`) covers a
    conversation or ticket with this team and assignee."""
    groups = [INBOX_ALL, inbox_team(team_id) if team_id else INBOX_UNOWNED]
    if assignee_id:
        groups.append(inbox_agent(assignee_id))
    return groups


def inbox_groups(conversation: Conversation) -> list[str]:
    """Every inbox group that may see the conversation as it is now."""
    return scope_groups(conversation.team_id, conversation.assignee_id)


def sender_json(message: Message) -> dict[str, Any] | None:
    user = message.sender_user
    if user is None:
        return None
    profile = getattr(user, "agent_profile", None)
    return {
        "id": user.pk,
        "name": agent_display_name(user),
        "avatar_url": profile.avatar_url if profile else "",
    }


def attachment_json(attachment) -> dict[str, Any]:
    from chat.attachments import attachment_url

    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": attachment_url(attachment),
    }


def message_attachments(message: Message) -> list:
    """The message's attachments: the list `message_create` attached, else prefetched or queried."""
    known = getattr(message, "attachment_list", None)
    return known if known is not None else list(message.attachments.all())


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender_type": message.sender_type,
        "sender": sender_json(message),
        "content_type": message.content_type,
        "body": message.body,
        "payload": message.payload,
        "is_internal": message.is_internal,
        "client_msg_id": message.client_msg_id,
        "attachments": [attachment_json(a) for a in message_attachments(message)],
        "delivery_state": message.delivery_state,
        "created_at": message.created_at.isoformat(),
    }


def customer_message_json(message: Message) -> dict[str, Any]:
    """What the customer may see: no internal fields, agents by display name only, and only
    the customer's own `client_msg_id`s (an agent's would let a visitor probe for resends)."""
    data = message_json(message)
    del data["is_internal"]
    if message.sender_type != SenderType.CUSTOMER:
        data["client_msg_id"] = ""
    if data["sender"]:
        data["sender"].pop("id")
    return data


def conversation_json(
    conversation: Conversation, *, sla: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The summary; `sla` is the full clock when the caller has it (chat/sla_clocks.py), else
    the clock as the row alone says it."""
    customer = conversation.customer
    assignee = conversation.assignee
    return {
        "id": conversation.pk,
        "channel": conversation.channel,
        "status": conversation.status,
        "priority": conversation.priority,
        "subject": conversation.subject,
        "customer": {
            "id": customer.pk,
            "name": customer.display_name,
            "vip_level": customer.vip_level,
        },
        "assignee": {"id": assignee.pk, "name": agent_display_name(assignee)} if assignee else None,
        "team": {"id": conversation.team_id, "name": conversation.team.name}
        if conversation.team_id
        else None,
        "last_seq": conversation.last_seq,
        "last_message_at": _iso(conversation.last_message_at),
        "unread_by_agent": conversation.unread_by_agent,
        "unread_by_customer": conversation.unread_by_customer,
        "created_at": _iso(conversation.created_at),
        "closed_at": _iso(conversation.closed_at),
        "sla": sla if sla is not None else conversation_sla_json(conversation),
        "assist": {
            "category": conversation.detected_category,
            "confidence": conversation.category_confidence,
            "urgent": conversation.urgent,
            "angry": conversation.angry,
            "words": conversation.mood_words or [],
        },
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def publish_message(message: Message) -> None:
    """A stored message: to the inbox groups, and (unless internal) to the customer.
    `message.conversation` must be current (message_create hands over the row it updated)."""
    conversation = message.conversation
    event = frame(
        push_events.MESSAGE_NEW,
        conversation_id=conversation.pk,
        seq=message.seq,
        message=message_json(message),
        conversation=conversation_json(conversation),
    )
    realtime.publish(inbox_groups(conversation), event)
    if not message.is_internal:
        publish_message_to_customer(message)


def publish_message_to_customer(message: Message) -> None:
    """A public message to the customer's sockets of its conversation (the widget's): after
    commit, what the customer may see of it. How a reply reaches the web widget
    (chat/adapters/web.py, its `send`)."""
    realtime.publish(
        [conversation_customer(message.conversation_id)],
        frame(
            push_events.MESSAGE_NEW,
            conversation_id=message.conversation_id,
            seq=message.seq,
            message=customer_message_json(message),
        ),
    )


def publish_conversation(
    conversation: Conversation,
    also_groups: Iterable[str] = (),
    *,
    current: bool = False,
    sla: dict[str, Any] | None = None,
) -> None:
    """Status, assignee, team, priority or counters changed: every inbox that sees it, and the
    inboxes it just left (`also_groups`, computed before the change), get the new summary. The
    row is read again unless the caller says it holds it `current`, with its customer, team
    and assignee loaded (a conversation it has just made)."""
    if not current:
        conversation = Conversation.objects.select_related("customer", "assignee", "team").get(
            pk=conversation.pk
        )
    realtime.publish(
        [*inbox_groups(conversation), *also_groups],
        frame(
            push_events.CONVERSATION_UPDATE,
            conversation_id=conversation.pk,
            conversation=conversation_json(conversation, sla=sla),
        ),
    )
    publish_conversation_to_customer(conversation)


def customer_conversation_json(conversation: Conversation) -> dict[str, Any]:
    """What the customer's widget may know about its conversation (no ids of agents)."""
    assignee = conversation.assignee
    profile = getattr(assignee, "agent_profile", None) if assignee else None
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "subject": conversation.subject,
        "last_seq": conversation.last_seq,
        "assignee": {
            "name": agent_display_name(assignee),
            "avatar_url": profile.avatar_url if profile else "",
        }
        if assignee
        else None,
        "created_at": _iso(conversation.created_at),
        "closed_at": _iso(conversation.closed_at),
    }


def publish_conversation_to_customer(
    conversation: Conversation, *, groups: list[str] | None = None
) -> None:
    """The widget's copy of `conversation.update`: status and who is answering."""
    data = customer_conversation_json(conversation)
    realtime.publish(
        groups or [conversation_customer(conversation.pk)],
        frame(
            push_events.CONVERSATION_UPDATE,
            conversation_id=conversation.pk,
            status=data["status"],
            assignee_name=data["assignee"]["name"] if data["assignee"] else "",
            conversation=data,
        ),
    )


def publish_read(conversation_id: int, *, by: str, seq: int) -> None:
    """`by` ("agent" or "customer") has read up to `seq`: the other side hears it."""
    event = frame(push_events.READ, conversation_id=conversation_id, by=by, seq=seq)
    target = conversation_customer if by == "agent" else conversation_agents
    realtime.publish([target(conversation_id)], event)


def publish_assigned(conversation: Conversation) -> None:
    """Routing gave the conversation to its assignee (auto-assignment, or an accepted offer):
    the customer's sockets hear who answers (the visitor's too: the one that started it may not
    follow it yet) and the agent's tabs hear `conversation.assigned`. `conversation` is current,
    with customer, team and assignee (and their profile) loaded."""
    publish_conversation_to_customer(conversation, groups=customer_groups(conversation))
    realtime.publish(
        [realtime.agent_group(conversation.assignee_id)],
        frame(
            push_events.CONVERSATION_ASSIGNED,
            conversation_id=conversation.pk,
            conversation=conversation_json(conversation),
        ),
    )
