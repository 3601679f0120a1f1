"""Bad routing settings are refused in the admin with a message, and nothing changes (issue 12)."""

import pytest
from django.urls import reverse

from desk.tests.admin_helpers import admin_form_data
from routing.models import AgentProfile, Team
from routing.tests.factories import AgentProfileFactory, TeamFactory


def _edit(client, url: str, **changes):
    data = admin_form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


@pytest.mark.django_db
@pytest.mark.parametrize("capacity", ["0", "51", "-1", "many"])
def test_an_impossible_capacity_is_refused_and_changes_nothing(supervisor_client, capacity):
    profile = AgentProfileFactory(max_concurrent_chats=4)
    url = reverse("admin:routing_agentprofile_change", args=[profile.pk])

    response = _edit(supervisor_client, url, max_concurrent_chats=capacity)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["max_concurrent_chats"]
    assert AgentProfile.objects.get(pk=profile.pk).max_concurrent_chats == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field,value",
    [("assignment_mode", "random"), ("login_presence", "asleep")],
)
def test_an_unknown_assignment_mode_or_presence_is_refused(supervisor_client, field, value):
    team = TeamFactory(name="Sales")
    url = reverse("admin:routing_team_change", args=[team.pk])

    response = _edit(supervisor_client, url, **{field: value})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    team = Team.objects.get(pk=team.pk)
    assert (team.assignment_mode, team.login_presence) == ("least_busy", "")


@pytest.mark.django_db
def test_a_team_sets_its_assignment_in_the_admin(supervisor_client):
    team = TeamFactory(name="Sales")
    url = reverse("admin:routing_team_change", args=[team.pk])

    response = _edit(supervisor_client, url, assignment_mode="round_robin", login_presence="online")

    assert response.status_code == 302
    team = Team.objects.get(pk=team.pk)
    assert (team.assignment_mode, team.login_presence) == ("round_robin", "online")
