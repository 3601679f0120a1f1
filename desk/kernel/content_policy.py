"""Content-Security-Policy of our own pages (django-csp 4; the policy is in settings).

The workspace, the admin and the login page run only our own scripts (no inline script anywhere:
page data goes out as `json_script` blocks), embed no plugins, and may not be framed. Their sockets
go to the same host, named here per request because `connect-src 'self'` covers ws:/wss: only in
browsers that implement CSP Level 3 fully. Pages with a policy of their own (the widget frame,
attachment downloads) keep it; the widget demo page and the API docs are left out.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), f"ws://{host}", f"wss://{host}"]
        parts.update = update
        return parts
