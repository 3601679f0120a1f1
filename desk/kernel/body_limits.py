"""How large a request body may be, by path: one answer for the server and for Django.

The server (desk/server.py) refuses a larger body before reading it, chunked bodies included;
`body_limit_middleware` refuses one whose Content-Length says so under any other ASGI server. A view
allows larger bodies by declaring `max_body_bytes` (the upload endpoints do); every other path gets
`REQUEST_BODY_MAX_BYTES`. A refusal is 413 `payload_too_large` in the API's error shape.
"""

import json
from collections.abc import Callable
from urllib.parse import unquote

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.decorators import sync_and_async_middleware
from django.utils.translation import gettext as _

from desk.kernel.ids import parse_int

REFUSED_CODE = "payload_too_large"


def body_limit(path: str) -> int:
    """The largest body the view at `path` (percent-decoded, no query) accepts, in bytes."""
    try:
        match = resolve(path)
    except Resolver404:
        return settings.REQUEST_BODY_MAX_BYTES
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    return getattr(view_class, "max_body_bytes", settings.REQUEST_BODY_MAX_BYTES)


def body_limit_for_target(target: bytes) -> int:
    """`body_limit` of an HTTP request target as it arrives (`/path?query`, percent-encoded)."""
    path = target.split(b"?", 1)[0].decode("latin-1")
    return body_limit(unquote(path))


def refusal_body(limit: int, request: HttpRequest) -> bytes:
    """The 413 answer's JSON body, in the language the request asks for."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        message = _("The request is too large (at most %(size)s).") % {
            "size": filesizeformat(limit)
        }
    return json.dumps({"error": {"code": REFUSED_CODE, "message": message}}).encode()


def refusal(request: HttpRequest) -> HttpResponse | None:
    """A 413 answer when the declared body length is over the path's limit, else None."""
    length = parse_int(request.META.get("CONTENT_LENGTH") or "", min_value=0)
    if length is None:  # none, or not ASCII digits (`³` passes `isdigit()` but not `int()`)
        return None
    limit = body_limit(request.path_info)
    if length <= limit:
        return None
    return HttpResponse(refusal_body(limit, request), status=413, content_type="application/json")


@sync_and_async_middleware
def body_limit_middleware(get_response: Callable) -> Callable:
    """Refuse a body whose declared length is over its path's limit, before anything reads it."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            return refusal(request) or await get_response(request)

    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            return refusal(request) or get_response(request)

    return middleware
