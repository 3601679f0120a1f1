"""Which canned replies an agent may use, and in what order (house rule 8: the one scoped
accessor; another agent's personal reply is not found)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from desk.canned.topics import ReplyContext
from desk.kernel.access import is_supervisor
from desk.models import CannedReply, CannedReplyScope, CannedReplyUsage

LIST_LIMIT = 20
MAX_LIST_LIMIT = 50


def canned_replies_for_agent(user: AbstractBaseUser) -> QuerySet[CannedReply]:
    """The agent's personal replies, their teams' (every team's for a supervisor, who reaches
    every team's conversations) and the global ones."""
    mine = Q(scope=CannedReplyScope.PERSONAL, owner=user)
    shared = Q(scope=CannedReplyScope.GLOBAL)
    if is_supervisor(user):
        teams = Q(scope=CannedReplyScope.TEAM)
    else:
        team_ids = list(user.agent_profile.teams.values_list("id", flat=True))
        teams = Q(scope=CannedReplyScope.TEAM, team__in=team_ids)
    return CannedReply.objects.filter(mine | shared | teams).select_related("team")


def canned_reply_get_for_agent(user: AbstractBaseUser, pk: int) -> CannedReply | None:
    return canned_replies_for_agent(user).filter(pk=pk).first()


def _topic_uses(topic: str | None) -> Coalesce | Value:
    if topic is None:
        return Value(0)
    uses = CannedReplyUsage.objects.filter(reply=OuterRef("pk"), topic=topic).values("count")
    return Coalesce(Subquery(uses[:1]), Value(0))


def canned_replies_ranked(
    user: AbstractBaseUser, context: ReplyContext, *, q: str = "", limit: int = LIST_LIMIT
) -> list[CannedReply]:
    """The replies the agent may use that match `q` (a shortcut prefix, or words of the title or
    the body; a leading "/" is ignored), best first: an exact shortcut, then shortcut prefixes,
    then title and body matches; within each, the most used for the context's category, then
    for its team, then overall (desk/canned/topics.py). Each row carries `match` (0–3),
    `category_uses` and `team_uses`. One query."""
    q = q.strip().removeprefix("/").strip()
    queryset = canned_replies_for_agent(user).annotate(
        category_uses=_topic_uses(context.category_topic),
        team_uses=_topic_uses(context.team_topic),
    )
    if q:
        queryset = queryset.filter(
            Q(shortcut__istartswith=q) | Q(title__icontains=q) | Q(body__icontains=q)
        ).annotate(
            match=Case(
                When(shortcut__iexact=q, then=Value(0)),
                When(shortcut__istartswith=q, then=Value(1)),
                When(title__icontains=q, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
    else:
        queryset = queryset.annotate(match=Value(0, output_field=IntegerField()))
    return list(
        queryset.order_by(
            "match", "-category_uses", "-team_uses", "-usage_count", "shortcut", "id"
        )[:limit]
    )
