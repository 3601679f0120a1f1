"""The Live view's query and answer (GET /api/v1/routing/live/, docs/api.md)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from chat.live.selectors import NO_TEAM, LiveRouting, TeamSummary
from chat.models import Conversation
from desk.kernel.ids import parse_id
from routing.models import AgentProfile


class LiveQuerySerializer(serializers.Serializer):
    team = serializers.CharField(
        required=False,
        max_length=20,
        help_text='A team id, or "none" for conversations of no team: only its queue and summary.',
    )

    def validate_team(self, value: str) -> int | str:
        if value == NO_TEAM:
            return NO_TEAM
        team_id = parse_id(value)
        if team_id is None:
            raise serializers.ValidationError(_('A team id, or "none".'))
        return team_id


class LiveRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LiveTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null: conversations of no team.")
    name = serializers.CharField()
    waiting = serializers.IntegerField()
    longest_wait_seconds = serializers.IntegerField()
    agents_online = serializers.IntegerField(
        help_text="Online agents of the team (of no team: every online agent)."
    )
    free_slots = serializers.IntegerField(
        help_text="Conversations its online agents may still take (max − active, each ≥ 0)."
    )


class LiveWaitingSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    customer = LiveRefSerializer()
    team = LiveRefSerializer(allow_null=True)
    priority = serializers.IntegerField()
    channel = serializers.CharField()
    subject = serializers.CharField()
    waiting_since = serializers.DateTimeField()
    waited_seconds = serializers.IntegerField(help_text="At `as_of`.")
    position = serializers.IntegerField(help_text="1 = next in its team's queue.")


class LiveAgentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The agent's user id (what transfer takes).")
    name = serializers.CharField()
    teams = LiveRefSerializer(many=True)
    presence = serializers.CharField()
    active_chats = serializers.IntegerField()
    max_concurrent_chats = serializers.IntegerField()
    open_conversations = serializers.IntegerField()
    last_seen_at = serializers.DateTimeField(allow_null=True)


class LiveRoutingSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    teams = LiveTeamSerializer(many=True)
    waiting = LiveWaitingSerializer(many=True, help_text="Queue order, at most 500.")
    waiting_total = serializers.IntegerField()
    waiting_more = serializers.IntegerField(help_text="Waiting conversations not listed.")
    agents = LiveAgentSerializer(many=True, help_text="Online first, then by name.")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def team_json(summary: TeamSummary) -> dict[str, Any]:
    return {
        "id": summary.team_id,
        "name": summary.name,
        "waiting": summary.waiting,
        "longest_wait_seconds": summary.longest_wait_seconds,
        "agents_online": summary.agents_online,
        "free_slots": summary.free_slots,
    }


def waiting_json(conversation: Conversation, live: LiveRouting) -> dict[str, Any]:
    customer, team = conversation.customer, conversation.team
    since = conversation.waiting_since
    return {
        "conversation_id": conversation.pk,
        "customer": {"id": customer.pk, "name": customer.display_name},
        "team": {"id": team.pk, "name": team.name} if team else None,
        "priority": conversation.priority,
        "channel": conversation.channel,
        "subject": conversation.subject,
        "waiting_since": _iso(since),
        "waited_seconds": max(0, int((live.as_of - since).total_seconds())),
        "position": conversation.position,
    }


def agent_json(profile: AgentProfile) -> dict[str, Any]:
    return {
        "id": profile.user_id,
        "name": profile.display_name,
        "teams": [{"id": team.pk, "name": team.name} for team in profile.teams.all()],
        "presence": profile.presence,
        "active_chats": profile.active_chats,
        "max_concurrent_chats": profile.max_concurrent_chats,
        "open_conversations": profile.open_conversations,
        "last_seen_at": _iso(profile.last_seen_at),
    }


def live_json(live: LiveRouting) -> dict[str, Any]:
    return {
        "as_of": live.as_of.isoformat(),
        "teams": [team_json(summary) for summary in live.teams],
        "waiting": [waiting_json(conversation, live) for conversation in live.waiting],
        "waiting_total": live.waiting_total,
        "waiting_more": live.waiting_more,
        "agents": [agent_json(profile) for profile in live.agents],
    }
