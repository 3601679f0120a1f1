"""Pages: the agent workspace, the widget demo page, and a health check."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from routing import selectors as routing_selectors
from routing.models import Presence


@login_required
@never_cache
def workspace(request: HttpRequest) -> HttpResponse:
    profile = routing_selectors.agent_profile_for_user(request.user)
    if profile is None:
        return render(request, "desk/not_agent.html", status=403)
    return render(
        request,
        "desk/workspace.html",
        {"profile": profile, "presence_choices": Presence.choices},
    )


def demo_site(request: HttpRequest) -> HttpResponse:
    """A pretend merchant page that embeds the chat widget, so anyone can try it."""
    return render(request, "demo/shop.html")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("healthz", "1", 5)
        checks["redis"] = "ok" if cache.get("healthz") == "1" else "error: no echo"
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
