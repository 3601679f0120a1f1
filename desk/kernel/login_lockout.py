"""Login lockouts (django-axes): the backend that refuses locked-out logins and the 429 page.

django-axes counts failures per username and per IP address in the Redis cache (settings:
`AXES_*`). Its backend needs the request; a login without one (the test client's `login()`, a
shell) cannot be counted per IP and is left to the next backend.
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginLockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """Both login pages, once locked out: 429, `Retry-After`, and a page that says so."""
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else 0
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": max(1, math.ceil(seconds / 60)) if seconds else None},
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
