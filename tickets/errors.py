"""Refusals of ticket services: a stable `code` for APIs and a message in the active language."""

from django.utils.translation import gettext as _


class TicketError(ValueError):
    """A ticket service refused the request; nothing was written.

    `code` is stable (API error codes, tests); `message` is translated when raised, so it follows
    the language of the request that caused it.
    """

    code = "ticket_error"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def empty_body() -> TicketError:
    return TicketError("empty_body", _("The message is empty."))


def ticket_closed() -> TicketError:
    return TicketError("ticket_closed", _("The ticket is closed."))


def not_requester() -> TicketError:
    return TicketError("not_requester", _("Only the ticket's requester may do this."))


def chat_out_of_scope() -> TicketError:
    return TicketError(
        "chat_out_of_scope",
        _(
            "This ticket's chat belongs to a team you are not in, so a public reply cannot go "
            "there. Add an internal note, or have the chat transferred to you."
        ),
    )
