"""Pages: the agent workspace, the widget demo page, and a health check."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
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
        {
            "profile": profile,
            "presence_choices": Presence.choices,
            "desk_config": {
                "agentId": profile.user_id,
                "socketPath": "/ws/desk/",
                "presenceUrl": reverse("api:me-presence"),
                "loginUrl": reverse("login"),
            },
            "desk_i18n": WORKSPACE_STRINGS,
        },
    )


# Every string the workspace scripts show (rendered with json_script; the JS holds no English).
WORKSPACE_STRINGS = {
    "connecting": _("Connecting…"),
    "connected": _("Connected"),
    "reconnecting": _("Reconnecting…"),
    "offline": _("Offline"),
    "sessionEnded": _("Your session has ended. Sign in again to keep working."),
    "signIn": _("Sign in"),
    "presenceFailed": _("Your status could not be changed. Please try again."),
}


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
