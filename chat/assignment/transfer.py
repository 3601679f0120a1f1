"""Handing a conversation over: to a team (its queue routes it) or to an agent (within their
capacity), with an internal note for whoever takes it over. The receiver sees the whole history,
the note included; the slot moves with the conversation (chat.services.conversation_update_fields).
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from chat import services
from chat.models import Conversation, SenderType
from desk.kernel.errors import DomainError
from routing import capacity
from routing.models import AgentProfile, Team

NOTE_MAX_CHARS = 1000


class AgentAtCapacity(DomainError):
    """The agent already has as many open conversations as they may."""

    code = "agent_at_capacity"
    status = 409


@transaction.atomic
def conversation_transfer(
    *,
    actor: AbstractBaseUser,
    conversation: Conversation,
    team: Team | None = None,
    assignee: AbstractBaseUser | None = None,
    note: str = "",
) -> Conversation:
    """Move the conversation to `team` and/or `assignee`. Without an assignee nobody is
    assigned and the team's queue routes it after commit; an assignee who is full is refused
    (AgentAtCapacity, nothing changes). A non-empty `note` becomes an internal note by `actor`
    right after the change."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if assignee is not None and assignee.pk != locked.assignee_id:
        profile = AgentProfile.objects.filter(user_id=assignee.pk).first()
        if profile is not None and profile.active_chats >= profile.max_concurrent_chats:
            raise AgentAtCapacity(
                _("%(name)s already has %(n)s open conversations, their limit.")
                % {"name": profile.display_name, "n": profile.active_chats}
            )
        full = capacity.channel_full(user_id=assignee.pk, channel=locked.channel)
        if profile is not None and full is not None:
            raise AgentAtCapacity(
                _("%(name)s already has %(n)s open %(channel)s conversations, their limit.")
                % {
                    "name": profile.display_name,
                    "n": full.active_chats,
                    "channel": full.get_channel_display(),
                }
            )
    changes: dict = {"assignee": assignee}
    if team is not None:
        changes["team"] = team
        if team.pk != locked.team_id and locked.required_skill_id is not None:
            # the skill a routing rule asked of the old team's agents: the new team decides
            Conversation.objects.filter(pk=locked.pk).update(
                required_skill=None, required_skill_level=1
            )
    updated = services.conversation_update_fields(actor=actor, conversation=locked, changes=changes)
    note = note.strip()[:NOTE_MAX_CHARS]
    if note:
        services.message_create(
            conversation=updated,
            sender_type=SenderType.AGENT,
            sender_user=actor,
            body=note,
            is_internal=True,
            payload={"event": "conversation.transfer_note"},
        )
        updated.refresh_from_db()
    return updated
