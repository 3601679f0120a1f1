"""Refusals of ticket services: a stable `code` for APIs and a message in the active language.

How each is answered (desk/kernel/errors.py, the one error table): 409 for a state that forbids
the change (`CONFLICT_CODES`), 404 `not_found` for a ticket that is not the customer's (it looks
like none at all), 400 otherwise; views do not catch them.
"""

from django.utils.translation import gettext as _

from desk.kernel.errors import DomainError, ErrorAnswer

# Refusals that depend on the ticket's state rather than on the request's shape.
CONFLICT_CODES = frozenset(
    {
        "invalid_transition",
        "ticket_merged",
        "ticket_closed",
        "merge_into_closed",
        "chat_out_of_scope",
        "not_rateable",
        "already_rated",
    }
)
# Not the customer's ticket: answered as if there were none (not found and not yours look alike).
NOT_FOUND_CODES = frozenset({"not_requester"})


class TicketError(DomainError, ValueError):
    """A ticket service refused the request; nothing was written.

    `code` is stable (API error codes, tests); `message` is translated when raised, so it follows
    the language of the request that caused it.
    """

    code = "ticket_error"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)

    def answer(self) -> ErrorAnswer:
        if self.code in NOT_FOUND_CODES:
            return ErrorAnswer(404, "not_found", str(self.message))
        status = 409 if self.code in CONFLICT_CODES else 400
        return ErrorAnswer(status, self.code, str(self.message))


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
