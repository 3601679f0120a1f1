"""The two roles: supervisors manage everything of ours, agents only read the KB and replies."""

import pytest
from django.contrib.auth.models import Group

from desk.kernel.roles import AGENT_GROUP, SUPERVISOR_GROUP, roles_sync


def _codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


@pytest.mark.django_db
def test_supervisors_manage_tickets_conversations_agents_and_users():
    perms = _codenames(SUPERVISOR_GROUP)

    assert {
        "tickets.add_ticket",
        "tickets.change_ticket",
        "tickets.view_ticketevent",
        "chat.change_conversation",
        "chat.delete_attachment",
        "routing.add_agentprofile",
        "desk.change_kbarticle",
        "auth.add_user",
        "auth.change_user",
    } <= perms


@pytest.mark.django_db
def test_supervisors_get_no_raw_permissions_sessions_or_number_sequences():
    perms = _codenames(SUPERVISOR_GROUP)

    assert not {p for p in perms if p.startswith(("sessions.", "contenttypes.", "admin."))}
    assert not {p for p in perms if p.endswith("_permission") or "ticketnumbersequence" in p}


@pytest.mark.django_db
def test_agents_only_view_kb_articles_categories_and_canned_replies():
    assert _codenames(AGENT_GROUP) == {
        "desk.view_kbarticle",
        "desk.view_kbcategory",
        "desk.view_cannedreply",
    }


@pytest.mark.django_db
def test_roles_sync_is_idempotent_and_repairs_tampering():
    agents = Group.objects.get(name=AGENT_GROUP)
    agents.permissions.clear()
    before = _codenames(SUPERVISOR_GROUP)

    roles_sync()
    roles_sync()

    assert Group.objects.filter(name__in=[AGENT_GROUP, SUPERVISOR_GROUP]).count() == 2
    assert _codenames(SUPERVISOR_GROUP) == before
    assert len(_codenames(AGENT_GROUP)) == 3


@pytest.mark.django_db
def test_supervisors_cannot_edit_what_a_group_may_do(supervisor_client):
    perms = _codenames(SUPERVISOR_GROUP)
    assert "auth.view_group" in perms
    assert not {"auth.add_group", "auth.change_group", "auth.delete_group"} & perms
    group = Group.objects.get(name=SUPERVISOR_GROUP)
    response = supervisor_client.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": group.name, "permissions": []}
    )
    assert response.status_code == 403
    assert _codenames(SUPERVISOR_GROUP) == perms
