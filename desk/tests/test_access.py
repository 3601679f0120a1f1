import pytest

from chat import selectors as chat_selectors
from chat.tests.factories import ConversationFactory
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets import selectors as ticket_selectors
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    return TeamFactory(name="Sales"), TeamFactory(name="Support")


def test_agent_sees_own_team_unowned_and_assigned_but_not_other_teams(teams):
    sales, support = teams
    agent = AgentProfileFactory(teams=[sales])
    mine = ConversationFactory(team=sales)
    unowned = ConversationFactory(team=None)
    other = ConversationFactory(team=support)
    assigned = ConversationFactory(team=support, assignee=agent.user)

    visible = set(chat_selectors.conversations_for_agent(agent.user))

    assert visible == {mine, unowned, assigned}
    assert chat_selectors.conversation_get_for_agent(agent.user, other.pk) is None
    assert chat_selectors.conversation_get_for_agent(agent.user, 999_999) is None


def test_supervisor_sees_every_ticket(teams, supervisor):
    sales, support = teams
    tickets = {TicketFactory(team=sales), TicketFactory(team=support), TicketFactory()}
    assert set(ticket_selectors.tickets_for_agent(supervisor.user)) == tickets


def test_agent_ticket_scope_matches_conversation_scope(teams):
    sales, support = teams
    agent = AgentProfileFactory(teams=[sales])
    own = TicketFactory(team=sales)
    other = TicketFactory(team=support)
    assert ticket_selectors.ticket_get_for_agent(agent.user, own.pk) == own
    assert ticket_selectors.ticket_get_for_agent(agent.user, other.pk) is None
