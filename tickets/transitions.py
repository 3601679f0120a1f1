"""The one place that says which ticket status may follow which.

    from \\ to    new  open  in_progress  pending  resolved  closed
    new           -    yes   yes          yes      yes       yes
    open          no   -     yes          yes      yes       yes
    in_progress   no   yes   -            yes      yes       yes
    pending       no   yes   yes          -        yes       yes
    resolved      no   yes   yes          no       -         yes
    closed        no   yes   no           no       no        -

Why:
- `new` (新建) is only where a ticket starts; nothing goes back to it.
- `open` (已受理), `in_progress` (处理中) and `pending` (待反馈) are the working states: an agent
  moves freely among them, and from any of them may resolve or close.
- `resolved` (已解决) may be reopened (`open`, e.g. the customer answers) or picked up again
  (`in_progress`), or closed for good. Going back to `pending` would say "we wait for you" about a
  ticket we called solved: reopen it first.
- `closed` (已关闭) is final except for an explicit reopen to `open`; it keeps its history.

Staying in the same status is not a transition (services write nothing for it).
"""

from django.utils.translation import gettext as _

from tickets.errors import TicketError
from tickets.models import TicketStatus

S = TicketStatus

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED}),
    S.PENDING: frozenset({S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}

# Statuses in which a ticket still needs work; `resolved` and `closed` are done.
ACTIVE_STATUSES = frozenset({S.NEW, S.OPEN, S.IN_PROGRESS, S.PENDING})
DONE_STATUSES = frozenset({S.RESOLVED, S.CLOSED})


class TransitionError(TicketError):
    """A status change the table does not allow. Nothing was changed."""

    code = "invalid_transition"

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        super().__init__(
            "invalid_transition",
            _("A ticket cannot go from “%(old)s” to “%(new)s”.")
            % {"old": _status_label(old), "new": _status_label(new)},
        )


def _status_label(value: str) -> str:
    try:
        return str(TicketStatus(value).label)
    except ValueError:
        return value


def transitions_from(status: str) -> frozenset[str]:
    """The statuses a ticket in `status` may move to (for forms and buttons)."""
    return ALLOWED_TRANSITIONS.get(status, frozenset())


def transition_allowed(old: str, new: str) -> bool:
    return old == new or new in transitions_from(old)


def transition_check(old: str, new: str) -> None:
    """Raise TransitionError unless `old` → `new` is allowed (or no change at all)."""
    if new not in TicketStatus.values or not transition_allowed(old, new):
        raise TransitionError(old, new)
