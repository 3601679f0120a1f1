"""What "the current topic" means for ranking canned replies.

A conversation or ticket has up to two topics, most specific first:

- `category:<id>`: the category of the ticket (the one given, or the conversation's open one);
- `team:<id>`: the team of the ticket, else of the conversation.

A use is counted for each topic of where it happened (`CannedReplyUsage`); the list ranks the
replies most used for the category first, then for the team, then by all uses. A chat with no
ticket and no team has no topic, and its ranking is by all uses.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound

from chat.models import Conversation, Customer
from chat.selectors import conversation_get_for_agent
from tickets.models import Ticket
from tickets.selectors import conversation_open_ticket, ticket_get_for_agent


@dataclass(frozen=True)
class ReplyContext:
    """Where a reply is being written: what its variables and its topics come from."""

    agent: AbstractBaseUser
    conversation: Conversation | None = None
    ticket: Ticket | None = None

    @property
    def customer(self) -> Customer | None:
        if self.conversation is not None:
            return self.conversation.customer
        return self.ticket.requester if self.ticket is not None else None

    @property
    def category_topic(self) -> str | None:
        if self.ticket is not None and self.ticket.category_id is not None:
            return f"category:{self.ticket.category_id}"
        return None

    @property
    def team_topic(self) -> str | None:
        team_id = self.ticket.team_id if self.ticket is not None else None
        if team_id is None and self.conversation is not None:
            team_id = self.conversation.team_id
        return f"team:{team_id}" if team_id is not None else None

    @property
    def topics(self) -> list[str]:
        return [topic for topic in (self.category_topic, self.team_topic) if topic]


def reply_context_for_agent(
    agent: AbstractBaseUser, *, conversation_id: int | None = None, ticket_id: int | None = None
) -> ReplyContext:
    """The context through the agent's scope (house rule 8): a conversation or ticket they may
    not see is not found. A conversation without a ticket given takes its open ticket, if the
    agent may see it."""
    conversation = None
    ticket = None
    if conversation_id is not None:
        conversation = conversation_get_for_agent(agent, conversation_id)
        if conversation is None:
            raise NotFound(_("No such conversation."))
    if ticket_id is not None:
        ticket = ticket_get_for_agent(agent, ticket_id)
        if ticket is None:
            raise NotFound(_("No such ticket."))
    elif conversation is not None:
        open_ticket = conversation_open_ticket(conversation)
        if open_ticket is not None:
            ticket = ticket_get_for_agent(agent, open_ticket.pk)
    return ReplyContext(agent=agent, conversation=conversation, ticket=ticket)
