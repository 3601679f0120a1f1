"""Every write to teams, skills and agents."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from desk.kernel import domain_events, push_events, realtime
from desk.kernel.errors import DomainError
from desk.kernel.roles import AGENT_GROUP, SUPERVISOR_GROUP
from routing.live import PRESENCE, routing_changed_push
from routing.models import AgentProfile, AgentSkill, Presence, PresenceLog, Skill, Team
from routing.selectors import team_has_agent_online_forget


class InvalidPresence(DomainError):
    code = "invalid_presence"
    status = 400

    def __init__(self, presence: object):
        super().__init__(
            _("Presence must be one of: %(values)s.") % {"values": ", ".join(Presence.values)}
        )
        self.presence = presence


@transaction.atomic
def team_create(*, name: str, description: str = "") -> Team:
    return Team.objects.create(name=name, description=description)


@transaction.atomic
def agent_create(
    *,
    username: str,
    password: str,
    display_name: str,
    email: str = "",
    teams: list[Team] | None = None,
    skills: dict[Skill, int] | None = None,
    max_concurrent_chats: int = 5,
    supervisor: bool = False,
) -> AgentProfile:
    """A login that can use the workspace; a supervisor can also use the admin."""
    user = get_user_model().objects.create_user(
        username=username, password=password, email=email, is_staff=supervisor
    )
    user.groups.add(Group.objects.get(name=AGENT_GROUP))
    if supervisor:
        user.groups.add(Group.objects.get(name=SUPERVISOR_GROUP))
    profile = AgentProfile.objects.create(
        user=user, display_name=display_name, max_concurrent_chats=max_concurrent_chats
    )
    profile.teams.set(teams or [])
    for skill, level in (skills or {}).items():
        AgentSkill.objects.create(agent=profile, skill=skill, level=level)
    return profile


def presence_event(profile: AgentProfile) -> dict:
    return push_events.frame(
        push_events.AGENT_PRESENCE,
        op="update",
        agent_id=profile.user_id,
        presence=profile.presence,
        changed_at=profile.presence_changed_at.isoformat() if profile.presence_changed_at else None,
    )


@transaction.atomic
def agent_set_presence(
    *, actor: AbstractBaseUser | None, profile: AgentProfile, presence: str, reason: str = ""
) -> AgentProfile:
    """Change an agent's presence, log it, and tell the agent's other tabs and colleagues.

    What the agents choose themselves is remembered (`chosen_presence`) for their next sign-in.
    The change is recorded as the `agent.presence_changed` domain event: after commit, routing
    re-routes the conversations of an agent who went offline and gives queued conversations to
    one who came online (chat/assignment/handlers.py)."""
    if presence not in Presence.values:
        raise InvalidPresence(presence)
    profile = AgentProfile.objects.select_for_update().get(pk=profile.pk)
    now = timezone.now()
    old = profile.presence
    profile.last_seen_at = now
    fields = ["last_seen_at"]
    if actor is not None and actor.pk == profile.user_id and profile.chosen_presence != presence:
        profile.chosen_presence = presence
        fields.append("chosen_presence")
    if old == presence:
        profile.save(update_fields=fields)
        return profile
    profile.presence = presence
    profile.presence_changed_at = now
    profile.save(update_fields=[*fields, "presence", "presence_changed_at"])
    PresenceLog.objects.create(
        agent=profile, actor=actor, old_value=old, new_value=presence, reason=reason
    )
    domain_events.record(
        "agent.presence_changed",
        payload={"user_id": profile.user_id, "old": old, "new": presence},
    )
    # Every tab of every agent, this agent's own tabs included, is in the agents group; the
    # supervisors' Live view hears that it is stale (routing.live). One send after commit.
    pushes = [([realtime.agents_group()], presence_event(profile))]
    hint = routing_changed_push(PRESENCE)
    realtime.publish_many([*pushes, hint] if hint else pushes)
    team_has_agent_online_forget()
    return profile


def agent_sign_in_presence(*, profile: AgentProfile) -> AgentProfile:
    """A workspace socket opened: an agent found offline (the heartbeat sweep took them there,
    or they signed out) gets the presence their team sets on sign-in, else the one they chose
    last. An agent who chose offline and has no such team stays offline; so does one who chose
    offline since they last signed in, whatever their team sets: another tab, or the same one
    reconnecting, is not a sign-in and must not put them back online."""
    if profile.presence != Presence.OFFLINE:
        return profile
    if profile.chosen_presence == Presence.OFFLINE and _chose_offline_since_sign_in(profile):
        return profile
    team_setting = (
        profile.teams.exclude(login_presence="")
        .order_by("pk")
        .values_list("login_presence", flat=True)
        .first()
    )
    wanted = team_setting or profile.chosen_presence
    if wanted == Presence.OFFLINE:
        return profile
    return agent_set_presence(actor=None, profile=profile, presence=wanted, reason="signed in")


def _chose_offline_since_sign_in(profile: AgentProfile) -> bool:
    chosen_at = (
        PresenceLog.objects.filter(
            agent=profile, actor_id=profile.user_id, new_value=Presence.OFFLINE
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    signed_in_at = profile.user.last_login
    return chosen_at is not None and (signed_in_at is None or chosen_at >= signed_in_at)


def agent_touch(*, profile_id: int) -> None:
    """Record that the agent's workspace is alive (heartbeat); no audit row, no event."""
    AgentProfile.objects.filter(pk=profile_id).update(last_seen_at=timezone.now())


def presence_sweep(*, stale_after: timedelta) -> int:
    """Set agents offline whose workspace has gone silent; returns how many changed."""
    cutoff = timezone.now() - stale_after
    stale = AgentProfile.objects.exclude(presence=Presence.OFFLINE).filter(
        Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True)
    )
    changed = 0
    for profile in stale:
        agent_set_presence(
            actor=None, profile=profile, presence=Presence.OFFLINE, reason="heartbeat timeout"
        )
        changed += 1
    return changed
