"""Admin forms that must go through services: tickets, presence, creating agents."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from chat.tests.factories import ConversationFactory, CustomerFactory, MessageFactory
from desk.kernel.roles import AGENT_GROUP
from desk.tests.admin_helpers import admin_form_data
from routing.models import AgentProfile, PresenceLog
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import TicketEventFactory, TicketFactory

User = get_user_model()


def _edit(client, url: str, **changes) -> object:
    data = admin_form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


@pytest.mark.django_db
def test_ticket_added_in_admin_gets_a_number_and_a_created_event(supervisor_client, supervisor):
    customer = CustomerFactory()
    team = TeamFactory(name="Billing")

    response = supervisor_client.post(
        reverse("admin:tickets_ticket_add"),
        {
            "subject": "Invoice is wrong",
            "description": "Charged twice.",
            "custom_fields": "{}",
            "priority": "1",
            "category": "",
            "team": str(team.pk),
            "assignee": str(supervisor.user.pk),
            "requester": str(customer.pk),
            "conversation": "",
        },
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert re.fullmatch(r"T-\d{8}-\d{4}", ticket.number)
    assert ticket.number == f"T-{timezone.localdate():%Y%m%d}-0001"
    assert (ticket.subject, ticket.status, ticket.priority) == ("Invoice is wrong", "new", 1)
    assert (ticket.team, ticket.assignee, ticket.requester) == (team, supervisor.user, customer)
    assert ticket.created_by == supervisor.user
    events = list(ticket.events.values_list("kind", "actor"))
    assert events == [("created", supervisor.user.pk)]
    assert response["Location"] == reverse("admin:tickets_ticket_changelist")


@pytest.mark.django_db
def test_ticket_status_change_in_admin_writes_a_status_event(supervisor_client, supervisor):
    ticket = TicketFactory(status="new")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    response = _edit(supervisor_client, url, status="in_progress")

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    event = ticket.events.get()
    assert (event.kind, event.old_value, event.new_value) == ("status", "new", "in_progress")
    assert event.actor == supervisor.user


@pytest.mark.django_db
def test_ticket_priority_and_assignee_changes_each_write_an_event(supervisor_client, agent):
    ticket = TicketFactory(priority=2)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    _edit(supervisor_client, url, priority="0", assignee=str(agent.user.pk))

    events = set(ticket.events.values_list("kind", "old_value", "new_value"))
    assert events == {("priority", "2", "0"), ("assignment", "", agent.user.username)}


@pytest.mark.django_db
def test_ticket_saved_unchanged_in_admin_writes_no_event(supervisor_client):
    ticket = TicketFactory()
    TicketEventFactory(ticket=ticket, kind="created", body="")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    response = _edit(supervisor_client, url, description="Reworded")

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.description == "Reworded"
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]
    # A tracked field (the subject) goes on the timeline, as from the workspace.
    assert _edit(supervisor_client, url, subject="Renamed").status_code == 302
    assert list(ticket.events.values_list("kind", "action", "new_value")) == [
        ("created", "", ""),
        ("system", "subject_changed", "Renamed"),
    ]


@pytest.mark.django_db
def test_ticket_timeline_inline_is_view_only(supervisor_client):
    event = TicketEventFactory(body="Customer called back")

    response = supervisor_client.get(reverse("admin:tickets_ticket_change", args=[event.ticket_id]))

    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.model is TicketEvent
    assert (inline.has_add_permission, inline.has_change_permission) == (False, False)
    assert inline.has_delete_permission is False
    assert [form.instance for form in inline.formset.forms] == [event]
    assert "Customer called back" in response.content.decode()


@pytest.mark.django_db
def test_conversation_edit_changes_only_the_editable_fields(supervisor_client, agent):
    conversation = ConversationFactory(status="waiting", subject="Where is my parcel")
    url = reverse("admin:chat_conversation_change", args=[conversation.pk])

    response = _edit(
        supervisor_client, url, status="open", assignee=str(agent.user.pk), subject="Hacked"
    )

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee) == ("open", agent.user)
    assert conversation.subject == "Where is my parcel"


@pytest.mark.django_db
def test_presence_changed_in_admin_is_logged(supervisor_client, supervisor):
    profile = AgentProfileFactory(presence="online")
    url = reverse("admin:routing_agentprofile_change", args=[profile.pk])

    response = _edit(supervisor_client, url, presence="offline")

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.presence == "offline"
    log = PresenceLog.objects.get(agent=profile)
    assert (log.old_value, log.new_value, log.actor, log.reason) == (
        "online",
        "offline",
        supervisor.user,
        "admin",
    )


@pytest.mark.django_db
def test_supervisor_creates_an_agent_with_profile_and_group(supervisor_client):
    url = reverse("admin:auth_user_add")
    agents = Group.objects.get(name=AGENT_GROUP)
    team = TeamFactory(name="Returns")
    data = admin_form_data(supervisor_client.get(url))
    data.update(
        {
            "username": "lihua",
            "usable_password": "true",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
            "email": "lihua@example.com",
            "groups": [str(agents.pk)],
            "agent_profile-0-display_name": "Li Hua",
            "agent_profile-0-max_concurrent_chats": "3",
            "agent_profile-0-teams": [str(team.pk)],
        }
    )

    response = supervisor_client.post(url, data)

    assert response.status_code == 302
    user = User.objects.get(username="lihua")
    assert user.check_password("a-long-Passphrase-42")
    assert list(user.groups.all()) == [agents]
    assert user.is_staff is False
    profile = AgentProfile.objects.get(user=user)
    assert (profile.display_name, profile.max_concurrent_chats) == ("Li Hua", 3)
    assert list(profile.teams.all()) == [team]
    assert profile.presence == "offline"


@pytest.mark.django_db
def test_supervisor_cannot_make_anyone_superuser(supervisor_client, agent):
    url = reverse("admin:auth_user_change", args=[agent.user.pk])

    response = _edit(supervisor_client, url, is_superuser="on")

    assert response.status_code == 302
    agent.user.refresh_from_db()
    assert agent.user.is_superuser is False


@pytest.mark.django_db
def test_conversation_page_shows_latest_messages_and_links_to_all(supervisor_client):
    conversation = ConversationFactory()
    for i in range(12):
        MessageFactory(conversation=conversation, body=f"line <{i}>")

    response = supervisor_client.get(
        reverse("admin:chat_conversation_change", args=[conversation.pk])
    )

    html = response.content.decode()
    link = reverse("admin:chat_message_changelist") + f"?conversation__id__exact={conversation.pk}"
    assert f'href="{link}"' in html
    assert "line &lt;11&gt;" in html
    assert "line &lt;2&gt;" in html
    assert "line &lt;1&gt;" not in html
