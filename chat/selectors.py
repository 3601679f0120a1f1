"""Reads of conversations and messages, scoped to what the reader may see.

The customer panel (a customer's conversations and tickets) is read by tickets, above chat:
`tickets.selectors.customer_history_for_agent`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from chat.models import (
    Conversation,
    ConversationStatus,
    Customer,
    CustomerIdentity,
    Message,
    SenderType,
)
from chat.search.selectors import conversation_hits
from desk.kernel.access import team_scope
from desk.kernel.ids import parse_id
from desk.kernel.paging import newest_first_page, search_page, search_wanted

REPLAY_LIMIT = 500
PAGE_LIMIT = 50


def conversations_for_agent(user: AbstractBaseUser) -> QuerySet[Conversation]:
    queryset = Conversation.objects.select_related("customer", "assignee__agent_profile", "team")
    scope = team_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def conversation_get_for_agent(user: AbstractBaseUser, pk: int) -> Conversation | None:
    """The conversation, or None when it does not exist or the agent may not see it."""
    return conversations_for_agent(user).filter(pk=pk).first()


def _messages(conversation_id: int, *, include_internal: bool) -> QuerySet[Message]:
    queryset = Message.objects.filter(conversation_id=conversation_id).select_related(
        "sender_user__agent_profile"
    )
    if not include_internal:
        queryset = queryset.filter(is_internal=False)
    return queryset.prefetch_related("attachments")


def messages_after(
    conversation_id: int, *, after_seq: int, include_internal: bool, limit: int = REPLAY_LIMIT
) -> list[Message]:
    """The gap a client missed, oldest first (resume after a reconnect or a seq gap)."""
    queryset = _messages(conversation_id, include_internal=include_internal)
    return list(queryset.filter(seq__gt=after_seq).order_by("seq")[:limit])


def messages_before(
    conversation_id: int,
    *,
    before_seq: int | None,
    include_internal: bool,
    limit: int = PAGE_LIMIT,
) -> list[Message]:
    """One page of history ending before `before_seq` (the latest page when None), oldest first."""
    queryset = _messages(conversation_id, include_internal=include_internal)
    if before_seq is not None:
        queryset = queryset.filter(seq__lt=before_seq)
    return list(reversed(queryset.order_by("-seq")[:limit]))


# ---- the workspace inbox ------------------------------------------------------------------

INBOX_FILTERS = ("mine", "unassigned", "all")
ACTIVE = "active"  # a status filter value: open or waiting


@dataclass(frozen=True)
class InboxQuery:
    filter: str = "all"
    team_id: int | None = None
    channel: str = ""
    status: str = ""  # "", "active", or a ConversationStatus value
    q: str = ""


def _public_last(field: str) -> Subquery:
    latest = Message.objects.filter(conversation=OuterRef("pk"), is_internal=False)
    if field == "sender_name":  # how agents are named (`agent_display_name`), in SQL
        name = Coalesce("sender_user__agent_profile__display_name", "sender_user__username")
        latest = latest.annotate(sender_name=name)
    return Subquery(latest.order_by("-seq").values(field)[:1])


def _inbox_filtered(user: AbstractBaseUser, query: InboxQuery) -> QuerySet[Conversation]:
    """The agent's conversations matching the workspace filters (not the search text)."""
    queryset = conversations_for_agent(user)
    if query.filter == "mine":
        queryset = queryset.filter(assignee=user)
    elif query.filter == "unassigned":
        queryset = queryset.filter(assignee__isnull=True)
    if query.team_id is not None:
        queryset = queryset.filter(team_id=query.team_id)
    if query.channel:
        queryset = queryset.filter(channel=query.channel)
    if query.status == ACTIVE:
        queryset = queryset.exclude(status=ConversationStatus.CLOSED)
    elif query.status:
        queryset = queryset.filter(status=query.status)
    return queryset


def customers_matching(q: str) -> QuerySet[Customer]:
    """Customers whose name or an external id (an email, a phone number, an open id) contains
    `q`: the cheap lookups users rely on besides the text (a scan of customers, not messages)."""
    identities = CustomerIdentity.objects.filter(external_id__icontains=q).values("customer_id")
    return Customer.objects.filter(Q(display_name__icontains=q) | Q(pk__in=identities))


def _exact_match(q: str) -> Q:
    """The conversation's number, or its customer's name or external id."""
    match = Q(customer__in=customers_matching(q).values("pk"))
    number = parse_id(q.lstrip("#"))
    if number is not None:
        match |= Q(pk=number)
    return match


def _with_inbox_fields(queryset: QuerySet[Conversation]) -> QuerySet[Conversation]:
    last_reply = Message.objects.filter(
        conversation=OuterRef(OuterRef("pk")),
        is_internal=False,
        sender_type__in=[SenderType.AGENT, SenderType.BOT],
    ).order_by("-seq")
    unanswered = Message.objects.filter(
        conversation=OuterRef("pk"),
        is_internal=False,
        sender_type=SenderType.CUSTOMER,
        seq__gt=Coalesce(Subquery(last_reply.values("seq")[:1]), Value(0)),
    ).order_by("seq")
    return queryset.annotate(
        activity_at=Coalesce(F("last_message_at"), F("created_at")),
        last_body=_public_last("body"),
        last_content_type=_public_last("content_type"),
        last_sender_type=_public_last("sender_type"),
        last_sender_id=_public_last("sender_user_id"),
        last_sender_name=_public_last("sender_name"),
        waiting_since=Subquery(unanswered.values("created_at")[:1]),
    )


def conversations_inbox(user: AbstractBaseUser, query: InboxQuery) -> QuerySet[Conversation]:
    """The agent's conversations matching the workspace filters, newest activity first (the
    search text, if any, only through the exact lookups: `conversations_search` ranks it).

    Each row carries its last public message (`last_body`, `last_content_type`,
    `last_sender_type`; the agent who wrote it: `last_sender_id`, `last_sender_name`) and
    `waiting_since`: when the oldest customer message that no agent has answered yet was sent.
    Everything is one query, whatever the page size.
    """
    queryset = _inbox_filtered(user, query)
    if query.q:
        queryset = queryset.filter(_exact_match(query.q))
    return _with_inbox_fields(queryset).order_by("-activity_at", "-id")


def conversations_search(
    user: AbstractBaseUser, query: InboxQuery, *, limit: int, offset: int = 0
) -> tuple[list[Conversation], int | None]:
    """A page of the agent's conversations matching the filters and the search text `query.q`
    (`limit` from `offset`), most relevant first: the exact lookups (number, customer name or
    external id; newest first), then the conversations whose messages match, by their best
    message (chat.search); and the offset of the next page (None on the last; a search pages
    through its best `SEARCH_DEPTH`). Each row is annotated like `conversations_inbox`'s, plus
    `search_snippet` (that message's words around the matches in <mark>, the rest escaped;
    None for an exact lookup without one). Four queries whatever the page."""
    filtered = _inbox_filtered(user, query)
    wanted = search_wanted(offset, limit)
    exact = list(
        filtered.filter(_exact_match(query.q))
        .annotate(activity_at=Coalesce(F("last_message_at"), F("created_at")))
        .order_by("-activity_at", "-id")
        .values_list("pk", flat=True)[:wanted]
    )
    hits = {hit.conversation_id: hit for hit in conversation_hits(filtered, query.q, limit=wanted)}
    order, next_offset = search_page(
        list(dict.fromkeys([*exact, *hits])), offset=offset, limit=limit
    )
    rows = _with_inbox_fields(filtered.filter(pk__in=order)).in_bulk(order)
    found = []
    for pk in order:
        row = rows.get(pk)
        if row is not None:
            hit = hits.get(pk)
            row.search_snippet = hit.snippet_html if hit else None
            found.append(row)
    return found, next_offset


def conversations_page(
    queryset: QuerySet[Conversation], *, after: tuple[datetime, int] | None, limit: int
) -> tuple[list[Conversation], tuple[datetime, int] | None]:
    """One keyset page of `conversations_inbox` after the `(activity_at, id)` of the last row
    seen; returns the rows and the key to continue from (None on the last page)."""
    return newest_first_page(queryset, field="activity_at", after=after, limit=limit)
