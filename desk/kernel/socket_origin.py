"""Which pages may open the agent socket: this very origin only (scheme, host and port).

Channels' `AllowedHostsOriginValidator` compares the Origin's host with ALLOWED_HOSTS and ignores
scheme and port, so a page on another port of the same host (any other app there) could drive an
agent's socket with the agent's cookies. The agent socket takes an Origin equal to the origin the
request itself was made to (the socket's scheme as http/https, and its Host header, which must be
an allowed host) or one listed in CSRF_TRUSTED_ORIGINS (`https://*.example.com` patterns as in
Django's CSRF check). Anything else is closed before the consumer runs.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, the port made explicit; None if malformed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _trusted(origin: str) -> bool:
    parsed = _origin(origin)
    if parsed is None:
        return False
    scheme, host, port = parsed
    for pattern in settings.CSRF_TRUSTED_ORIGINS:
        if "*" in pattern:
            allowed = urlsplit(pattern)
            netloc = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
            if allowed.scheme == scheme and is_same_domain(netloc, allowed.netloc[1:]):
                return True
        elif _origin(pattern) == parsed:
            return True
    return False


def socket_origin_allowed(scope: dict) -> bool:
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    if not origin:
        return False
    if _trusted(origin):
        return True
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    own = _origin(f"{scheme}://{host}")
    return own is not None and _origin(origin) == own


class SameOriginValidator:
    """ASGI middleware: the socket opens only for `socket_origin_allowed` scopes."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if socket_origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
