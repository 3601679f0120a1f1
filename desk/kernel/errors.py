"""Domain errors, and the one table of how each is answered on the API and on the sockets.

A service refuses with an exception that says once how it is answered: an HTTP status, a stable
error code and a message in the active language. Either it derives from `DomainError` and
declares them, or (a class its module keeps for other reasons) it is named in the table with
`error_register`. `error_answer(exc)` is the one lookup:

- the API's exception handler (`desk.kernel.api_errors.exception_handler`) answers
  `{"error": {"code", "message", ...extra}}` with the status (`fields`: the `invalid` shape);
- a socket (`desk.kernel.socket.JsonFrameConsumer`) answers `{"type": "error", "code", "message",
  ...extra, "ref"?}` and stays open.

So views and consumers call the service and write no `except` that only translates. This module
imports neither Django REST framework nor any app: models and services of every layer may use it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ErrorAnswer:
    status: int  # HTTP status on the API; sockets ignore it
    code: str
    message: str
    extra: Mapping[str, Any] = field(default_factory=dict)  # more fields of the body/frame
    fields: Any = None  # per-field errors: the API answers its `invalid` shape with these


def invalid_fields(fields: Any, status: int = 400) -> ErrorAnswer:
    """Per-field errors, the shape of a serializer's (`invalid`, `fields`)."""
    return ErrorAnswer(status, "invalid", _("The request has invalid fields."), fields=fields)


class DomainError(Exception):
    """A refusal with its own `code`, HTTP `status` and `message` (translated when raised, so
    it follows the language of whoever caused it). Nothing was written."""

    code: str = "error"
    status: int = 400

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def answer(self) -> ErrorAnswer:
        return ErrorAnswer(self.status, self.code, str(self.message))


Rule = Callable[[BaseException], ErrorAnswer]
_TABLE: dict[type[BaseException], Rule] = {}


def _message_of(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc)


def error_register(
    exc_class: type[BaseException],
    *,
    status: int,
    code: str | None = None,
    message: str | Callable[[BaseException], str] | None = None,
    fields: Callable[[BaseException], Any] | None = None,
) -> None:
    """Answer `exc_class` (and its subclasses) with `status` and `code` (None: the exception's
    own `.code`). `message`: a (lazy) text, a function of the exception, or None for the
    exception's `.message` or text. `fields(exc)`: per-field errors, answered like a serializer's
    (`invalid`, `fields`)."""

    def rule(exc: BaseException) -> ErrorAnswer:
        if fields is not None:
            return invalid_fields(fields(exc), status)
        if message is None:
            text = _message_of(exc)
        elif callable(message):
            text = message(exc)
        else:
            text = str(message)
        return ErrorAnswer(status, code or str(getattr(exc, "code", "error")), text)

    _TABLE[exc_class] = rule


def error_answer(exc: BaseException) -> ErrorAnswer | None:
    """How `exc` is answered, or None when it is not a domain error (a bug: the API answers 500,
    a socket closes)."""
    for klass in type(exc).__mro__:
        rule = _TABLE.get(klass)
        if rule is not None:
            return rule(exc)
    if isinstance(exc, DomainError):
        return exc.answer()
    return None


def error_table() -> dict[type[BaseException], Rule]:
    """The registered classes (DomainError subclasses answer for themselves)."""
    return dict(_TABLE)
