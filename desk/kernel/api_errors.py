"""One error shape for the whole API: `{"error": {"code", "message", "fields"?}}`.

Domain errors (services' refusals) are answered from the one table in `desk.kernel.errors`
(status, code, message), which the sockets' `error` frames use too; views do not catch them.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from desk.kernel.errors import ErrorAnswer, error_answer


def exception_handler(exc, context):
    answer = error_answer(exc)
    if answer is not None:
        if answer.fields is None:
            return domain_error_response(answer)
        exc = exceptions.ValidationError(answer.fields)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "invalid",
            "message": _("The request has invalid fields."),
            "fields": response.data,
        }
    else:
        detail = getattr(exc, "detail", None)
        code = detail.code if hasattr(detail, "code") else getattr(exc, "default_code", "error")
        body = {"code": str(code), "message": str(detail or exc)}
    return Response({"error": body}, status=response.status_code, headers=response.headers)


def domain_error_response(answer: ErrorAnswer) -> Response:
    """A domain error's answer: its status, `{"error": {"code", "message", ...extra}}`; a
    `retry_after` also goes out as the `Retry-After` header."""
    set_rollback()
    headers = {}
    if "retry_after" in answer.extra:
        headers["Retry-After"] = str(answer.extra["retry_after"])
    body = {"code": answer.code, "message": answer.message, **answer.extra}
    return Response({"error": body}, status=answer.status, headers=headers)


class ApiError(exceptions.APIException):
    """An error with its own status and code, e.g. `ApiError(400, "file_too_large", "…")`."""

    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(detail=message, code=code)
        self.status_code = status_code


# ---- Django's own error pages: JSON under /api/, HTML elsewhere ------------------------------
# Used as `handler400/403/404/500` in desk/urls.py: unknown URLs, ids that match no route,
# refused request bodies and unexpected exceptions under /api/ answer the same shape as DRF.

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def error_json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_json(400, "bad_request", _("The request could not be read."))
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_json(
            403, "permission_denied", _("You do not have permission to perform this action.")
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_json(404, "not_found", _("No such API endpoint or object."))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return error_json(500, "server_error", _("Something went wrong on our side."))
    return defaults.server_error(request)
