"""Automatic assignment and the waiting queue (issue 12).

Nothing here runs inside a message's transaction: the domain-event handlers
(chat/assignment/handlers.py) call these after the change that caused them has committed, and
the beat sweep (`chat.tasks.queue_sweep`) catches whatever an event missed.

Safety under concurrency, with several processes routing at once:

- a conversation is claimed with its row lock (`SELECT … FOR UPDATE`, `SKIP LOCKED` when draining
  the queue) and only while nobody is assigned, so two routers never assign it twice;
- the agent's slot is taken with one conditional UPDATE (routing.capacity `agent_claim`:
  online and under their limit), so nobody ever exceeds their capacity;
- the conversation's row is always locked before the agent's.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from chat import events, services
from chat.assignment import offers, selectors
from chat.assignment.rules import conversation_rules_apply
from chat.models import Conversation, ConversationStatus
from desk.kernel import push_events, realtime
from routing import capacity
from routing import live as routing_live
from routing.models import AssignmentMode

DRAIN_LIMIT = 100  # waiting conversations one drain looks at
PUBLISH_LIMIT = 200  # places told per team after a change


def conversation_route(*, conversation_id: int, skip_locked: bool = False) -> int | None:
    """Assign a waiting conversation to the best eligible agent with room (or, in a team's offer
    mode, reserve that agent's slot and offer it: chat/assignment/offers.py); returns the
    agent's user id, or None (it stays in the queue: assigned or offered already, closed, locked
    by another router, its team assigns by hand, or nobody eligible has room). An overflowed
    conversation may go to its team's fallback team too (chat/assignment/overflow.py)."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(skip_locked=skip_locked, of=("self",))
            .select_related("team__fallback_team")
            .filter(pk=conversation_id, assignee__isnull=True, offered_to__isnull=True)
            .exclude(status=ConversationStatus.CLOSED)
            .first()
        )
        if conversation is None:
            return None
        team = conversation.team
        if team is not None and not team.auto_assign:
            return None
        prefer = None
        if team is not None and team.assignment_mode == AssignmentMode.STICKY:
            prefer = selectors.customer_last_agent(conversation)
        offer_seconds = team.offer_seconds if team is not None else 0
        agent = capacity.agent_claim(
            team=team,
            prefer_user_id=prefer,
            skill_id=conversation.required_skill_id,
            min_level=conversation.required_skill_level,
            also_team=team.overflow_team() if team and conversation.overflowed_at else None,
            exclude_user_ids=offers.declined_user_ids(conversation.pk) if offer_seconds else (),
            channel=conversation.channel,
        )
        if agent is None:
            return None
        if offer_seconds:
            offers.conversation_offer(conversation=conversation, agent=agent, seconds=offer_seconds)
            place = selectors.queue_place(Conversation.objects.get(pk=conversation.pk))
            if place is not None:
                place_publish(conversation, place)
            return agent.user_id
        updated = services.conversation_update_fields(
            actor=None,
            conversation=conversation,
            changes={"assignee": agent.user},
            slot_claimed=True,
        )
        events.publish_assigned(
            Conversation.objects.select_related("customer", "assignee__agent_profile", "team").get(
                pk=updated.pk
            )
        )
        return agent.user_id


def queue_drain(*, limit: int = DRAIN_LIMIT) -> int:
    """Give waiting conversations, head first, to agents with room; a team whose head finds
    nobody is skipped for the rest of the drain (per required skill and level: a head waiting
    for a skill nobody free has does not hold up the rest of its team). Then every team's queue
    hears its new places. Returns how many were assigned (or offered). Conversations on offer
    are skipped; an overflowed one has more agents than its team's others, so it is stuck on
    its own."""
    stuck: set[tuple[int | None, bool, int | None, int, str]] = set()
    assigned = 0
    for head in selectors.drain_heads(limit=limit):
        if head.stuck_key in stuck or head.anyone_key in stuck:
            continue
        if conversation_route(conversation_id=head.pk, skip_locked=True):
            assigned += 1
        elif not head.passed_on:  # others may still take the team's chats some agents passed on
            stuck.add(head.stuck_key)
    queue_publish(team_ids=selectors.queued_team_ids())
    return assigned


def queue_publish(*, team_ids: Iterable[int | None]) -> None:
    """Tell each waiting customer of these teams their place and estimated wait (after
    commit; `queue.update` on the conversation's customer group)."""
    pushes = []
    for team_id in team_ids:
        queues: dict[tuple[int | None, int], selectors.TeamQueue] = {}  # per required skill
        waiting = selectors.team_queue_rows(team_id, limit=PUBLISH_LIMIT)
        for position, conversation in enumerate(waiting, start=1):
            need = selectors.required_skill(conversation)
            if need not in queues:
                queues[need] = selectors.team_queue(team_id, skill=need)
            pushes.append(_place_push(conversation, queues[need].place(position)))
    realtime.publish_many(pushes)  # one trip for them all


def place_publish(conversation: Conversation, place: selectors.QueuePlace) -> None:
    realtime.publish(*_place_push(conversation, place))


def _place_push(conversation: Conversation, place: selectors.QueuePlace) -> tuple[list[str], dict]:
    return events.customer_groups(conversation), push_events.frame(
        push_events.QUEUE_UPDATE, conversation_id=conversation.pk, **place.as_json()
    )


def conversation_route_or_queue(*, conversation_id: int, again: bool = False) -> int | None:
    """Route it now, or mark it queued and tell its customer where they stand. A conversation
    already queued is left to the queue's drains (which run whenever a slot frees or an agent
    comes online), so a waiting customer's further messages cost routing one read; `again`
    (it has just lost its agent, or moved team) routes it whatever it was."""
    if not again and (
        Conversation.objects.filter(pk=conversation_id)
        .exclude(queued_at=None, assignee=None)
        .exists()
    ):
        return None  # queued already, or someone has it
    if not again:
        conversation_rules_apply(conversation_id=conversation_id)
    assigned = conversation_route(conversation_id=conversation_id)
    if assigned is None:
        if Conversation.objects.filter(pk=conversation_id, queued_at=None).update(
            queued_at=timezone.now()
        ):
            routing_live.routing_changed_publish(routing_live.QUEUE)  # the supervisors' Live view
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        place = selectors.queue_place(conversation) if conversation else None
        if place is not None:
            place_publish(conversation, place)
    return assigned


@transaction.atomic
def agent_conversations_requeue(*, user_id: int) -> int:
    """An agent went offline: each of their open conversations loses its assignee (on its
    timeline) and is routed again after commit (`conversation.released`). Returns how many.

    Every one of them is locked first, in id order, before the first gives its slot back: the
    release locks the agent's row, and taking a conversation's lock after that would reverse
    the order everyone else keeps (conversation, then agent). A colleague closing one of the
    agent's chats meanwhile held that chat and waited for the agent's row while this waited for
    the chat: a deadlock (the concurrency proof, chat/tests/test_assignment_concurrency.py)."""
    open_ids = list(
        Conversation.objects.select_for_update()
        .filter(assignee_id=user_id)
        .exclude(status=ConversationStatus.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for conversation_id in open_ids:
        services.conversation_update_fields(
            actor=None,
            conversation=Conversation(pk=conversation_id),
            changes={"assignee": None},
        )
    return len(open_ids)
