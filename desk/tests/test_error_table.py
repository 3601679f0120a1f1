"""One mapping of domain errors to API and socket errors (desk/kernel/errors.py).

The same refusal gets the same code and message on the REST API and on a socket; views and
consumers do not catch domain errors only to translate them."""

import ast
import importlib
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from chat.attachments import UploadRejected
from chat.services import ConversationClosed, InvalidAttachment
from chat.tests.factories import ConversationFactory, WidgetSiteFactory
from chat.widget.services import PrechatRequired
from chat.widget.sessions import IdentityInvalid, PrechatInvalid
from desk.kernel.api_errors import exception_handler
from desk.kernel.errors import DomainError, error_answer, error_table
from desk.kernel.ratelimit import RateLimited
from desk.kernel.socket import FrameError, JsonFrameConsumer
from tickets.errors import TicketError
from tickets.transitions import TransitionError

BASE = Path(settings.BASE_DIR)


def refusals():
    """One of each kind of refusal, made in the active language."""
    return [
        RateLimited(4),
        ConversationClosed("The conversation is closed."),
        InvalidAttachment("Attachment 7 cannot be sent."),
        PrechatRequired("Fill in the pre-chat form first."),
        UploadRejected("file_too_large", "Files of this type may be at most 10 MB."),
        IdentityInvalid("The user hash does not match this user."),
        TicketError("ticket_closed", "The ticket is closed."),
        TicketError("empty_body", "The message is empty."),
        TicketError("not_requester", "Only the ticket's requester may do this."),
        TransitionError("closed", "pending"),
        FrameError("invalid_frame", "`seq` must be a non-negative integer (64-bit)."),
    ]


def api_answer(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data["error"], response.headers


def socket_answer(exc):
    """The `error` frame a socket sends when a frame handler raises `exc`."""
    sent = []

    class Socket(JsonFrameConsumer):
        async def frame_try(self, content):
            raise exc

        async def send_json(self, content, close=False):
            sent.append(content)

    async_to_sync(Socket().receive_json)({"type": "try", "ref": 9})
    (frame,) = sent
    return frame


@pytest.mark.parametrize("exc", refusals(), ids=lambda exc: type(exc).__name__)
def test_the_api_and_the_sockets_answer_a_refusal_alike(exc):
    status, body, _headers = api_answer(exc)
    frame = socket_answer(exc)

    assert frame == {"type": "error", **body, "ref": 9}
    assert (status, body["code"]) == (error_answer(exc).status, error_answer(exc).code)


def test_the_table_says_each_status_and_code():
    answers = {
        f"{type(exc).__name__}:{getattr(exc, 'code', '')}": api_answer(exc)[:2]
        for exc in refusals()
    }
    codes = {key: (status, body["code"]) for key, (status, body) in answers.items()}
    assert codes == {
        "RateLimited:rate_limited": (429, "rate_limited"),
        "ConversationClosed:": (409, "conversation_closed"),
        "InvalidAttachment:": (400, "invalid_attachment"),
        "PrechatRequired:": (400, "prechat_required"),
        "UploadRejected:file_too_large": (400, "file_too_large"),
        "IdentityInvalid:identity_invalid": (403, "identity_invalid"),
        "TicketError:ticket_closed": (409, "ticket_closed"),
        "TicketError:empty_body": (400, "empty_body"),
        "TicketError:not_requester": (404, "not_found"),  # not yours looks like none
        "TransitionError:invalid_transition": (409, "invalid_transition"),
        "FrameError:invalid_frame": (400, "invalid_frame"),
    }


def test_a_rate_limit_says_when_to_retry_in_the_body_the_header_and_the_frame():
    status, body, headers = api_answer(RateLimited(4))
    with translation.override("en"):
        frame = socket_answer(RateLimited(4))

    assert (status, headers["Retry-After"], body["retry_after"]) == (429, "4", 4)
    assert frame["retry_after"] == 4
    assert frame["message"] == "Too many requests; try again in 4 s."


def test_field_errors_answer_in_the_invalid_shape():
    with translation.override("en"):
        status, body, _ = api_answer(PrechatInvalid({"email": ["Enter a valid email."]}))

    assert status == 400
    assert body == {
        "code": "invalid",
        "message": "The request has invalid fields.",
        "fields": {"prechat": {"email": ["Enter a valid email."]}},
    }


def test_a_bug_is_not_a_refusal():
    assert error_answer(ValueError("boom")) is None
    assert error_answer(KeyError("x")) is None
    assert exception_handler(ValueError("boom"), {}) is None  # the API answers 500


def test_prechat_required_is_answered_by_the_table_in_the_callers_language():
    with translation.override("zh-hans"):
        answer = error_answer(PrechatRequired("Fill in the pre-chat form first."))
    assert (answer.code, answer.message) == ("prechat_required", "请先填写表单。")


# ---- no view or consumer catches a domain error only to translate it ------------------------

INTERFACE_NAMES = {"api.py", "views.py", "consumers.py", "conversation_frames.py"}


def _interface_modules():
    for root in ("chat", "tickets", "routing", "desk"):
        for path in sorted((BASE / root).rglob("*.py")):
            relative = path.relative_to(BASE)
            if path.name in INTERFACE_NAMES and "tests" not in relative.parts:
                yield ".".join(relative.with_suffix("").parts), path


def _caught_classes(module, handler: ast.ExceptHandler) -> list[type]:
    if handler.type is None:
        return []
    value = eval(compile(ast.Expression(handler.type), "<except>", "eval"), vars(module))  # noqa: S307
    return list(value) if isinstance(value, tuple) else [value]


def test_no_view_or_consumer_catches_a_domain_error_only_to_translate_it():
    translating = []
    for name, path in _interface_modules():
        module = importlib.import_module(name)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ExceptHandler):
                continue
            only_raises = all(isinstance(statement, ast.Raise) for statement in node.body)
            domain = [
                cls
                for cls in _caught_classes(module, node)
                if issubclass(cls, DomainError) or cls in error_table()
            ]
            if only_raises and domain:
                translating.append(f"{path.relative_to(BASE)}:{node.lineno} {domain}")
    assert translating == [], "let the error table answer it (desk/kernel/errors.py)"


def test_the_interface_scan_reads_the_interfaces():
    names = {name for name, _ in _interface_modules()}
    assert {"chat.api", "chat.widget.consumers", "desk.workspace.conversation_frames"} <= names


# ---- the same refusal from two endpoints ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("name", "content", "content_type", "code"),
    [
        ("a.exe", b"MZ", "application/x-msdownload", "unsupported_type"),
        ("a.txt", b"x" * (5 * 1024 * 1024 + 1), "text/plain", "file_too_large"),
        ("a.txt", b"", "text/plain", "empty_file"),
        ("a.png", b"<html>", "image/png", "type_mismatch"),
    ],
)
def test_the_widget_and_the_workspace_refuse_a_bad_upload_alike(
    client, agent_client, language, name, content, content_type, code
):
    WidgetSiteFactory(key="shop")
    accept = {"HTTP_ACCEPT_LANGUAGE": language}
    token = client.post(
        "/api/widget/v1/sessions/", {"site": "shop"}, content_type="application/json"
    ).json()["visitor_token"]
    conversation = ConversationFactory()

    def file():
        return SimpleUploadedFile(name, content, content_type=content_type)

    widget = client.post("/api/widget/v1/attachments/", {"token": token, "file": file()}, **accept)
    workspace = agent_client.post(
        f"/api/v1/conversations/{conversation.pk}/attachments/", {"file": file()}, **accept
    )

    assert (widget.status_code, workspace.status_code) == (400, 400)
    assert widget.json() == workspace.json()
    assert widget.json()["error"]["code"] == code
