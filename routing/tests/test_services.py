"""Agents: created with their role groups; presence changes logged once; silent agents swept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from desk.kernel.roles import AGENT_GROUP, SUPERVISOR_GROUP
from desk.models import OutboxEvent
from routing.models import AgentSkill, PresenceLog
from routing.services import (
    InvalidPresence,
    agent_create,
    agent_set_presence,
    agent_touch,
    presence_sweep,
)
from routing.tests.factories import AgentProfileFactory, SkillFactory, TeamFactory


def _groups(profile) -> set[str]:
    return set(profile.user.groups.values_list("name", flat=True))


@pytest.mark.django_db
def test_agent_create_makes_a_non_staff_agent():
    team = TeamFactory(name="Pre-sales")
    skill = SkillFactory(name="Japanese")

    profile = agent_create(
        username="wang",
        password="a-long-Passphrase-42",
        display_name="Wang",
        teams=[team],
        skills={skill: 4},
        max_concurrent_chats=3,
    )

    assert _groups(profile) == {AGENT_GROUP}
    assert profile.user.is_staff is False
    assert profile.user.check_password("a-long-Passphrase-42")
    assert list(profile.teams.all()) == [team]
    assert AgentSkill.objects.get(agent=profile).level == 4
    assert (profile.max_concurrent_chats, profile.presence) == (3, "offline")


@pytest.mark.django_db
def test_agent_create_supervisor_is_staff_in_both_groups():
    profile = agent_create(
        username="boss", password="a-long-Passphrase-42", display_name="Boss", supervisor=True
    )

    assert _groups(profile) == {AGENT_GROUP, SUPERVISOR_GROUP}
    assert profile.user.is_staff is True
    assert profile.user.is_superuser is False


@pytest.mark.django_db
def test_presence_change_is_logged_and_announced(supervisor, django_capture_on_commit_callbacks):
    profile = AgentProfileFactory(presence="offline")

    with django_capture_on_commit_callbacks() as callbacks:
        updated = agent_set_presence(
            actor=supervisor.user, profile=profile, presence="online", reason="shift start"
        )

    assert updated.presence == "online"
    assert updated.presence_changed_at is not None
    log = PresenceLog.objects.get()
    assert (log.agent, log.actor, log.old_value, log.new_value, log.reason) == (
        profile,
        supervisor.user,
        "offline",
        "online",
        "shift start",
    )
    assert len(callbacks) == 2  # the push, and the domain event routing reacts to
    event = OutboxEvent.objects.get(type="agent.presence_changed")
    assert event.payload == {"user_id": profile.user_id, "old": "offline", "new": "online"}


@pytest.mark.django_db
def test_unchanged_presence_writes_no_log_but_counts_as_seen(django_capture_on_commit_callbacks):
    profile = AgentProfileFactory(presence="online", last_seen_at=None)

    with django_capture_on_commit_callbacks() as callbacks:
        agent_set_presence(actor=profile.user, profile=profile, presence="online")

    profile.refresh_from_db()
    assert PresenceLog.objects.count() == 0
    assert callbacks == []
    assert profile.last_seen_at is not None
    assert profile.presence_changed_at is None


@pytest.mark.django_db
def test_unknown_presence_is_rejected():
    profile = AgentProfileFactory()

    with pytest.raises(InvalidPresence):
        agent_set_presence(actor=None, profile=profile, presence="sleeping")

    assert PresenceLog.objects.count() == 0


@pytest.mark.django_db
def test_sweep_sets_silent_agents_offline_and_leaves_live_ones():
    now = timezone.now()
    stale_online = AgentProfileFactory(presence="online", last_seen_at=now - timedelta(minutes=10))
    stale_busy = AgentProfileFactory(presence="busy", last_seen_at=now - timedelta(minutes=10))
    fresh = AgentProfileFactory(presence="online", last_seen_at=now - timedelta(seconds=30))
    offline = AgentProfileFactory(presence="offline", last_seen_at=now - timedelta(days=1))

    changed = presence_sweep(stale_after=timedelta(minutes=3))

    assert changed == 2
    presences = {
        p.pk: p.presence
        for p in (stale_online, stale_busy, fresh, offline)
        if not p.refresh_from_db()
    }
    assert presences == {
        stale_online.pk: "offline",
        stale_busy.pk: "offline",
        fresh.pk: "online",
        offline.pk: "offline",
    }
    logs = set(
        PresenceLog.objects.values_list("agent", "old_value", "new_value", "reason", "actor")
    )
    assert logs == {
        (stale_online.pk, "online", "offline", "heartbeat timeout", None),
        (stale_busy.pk, "busy", "offline", "heartbeat timeout", None),
    }


@pytest.mark.django_db
def test_heartbeat_keeps_an_agent_from_being_swept():
    profile = AgentProfileFactory(
        presence="online", last_seen_at=timezone.now() - timedelta(minutes=10)
    )

    agent_touch(profile_id=profile.pk)
    changed = presence_sweep(stale_after=timedelta(minutes=3))

    profile.refresh_from_db()
    assert changed == 0
    assert profile.presence == "online"
