"""One error shape for the whole API: `{"error": {"code", "message", "fields"?}}`."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
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


class ApiError(exceptions.APIException):
    """An error with its own status and code, e.g. `ApiError(400, "file_too_large", "…")`."""

    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
