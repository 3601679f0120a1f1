"""The one outbound HTTP client (house rule 9): every request Unidesk makes to another server.

    from desk.kernel import http

    response = http.request("POST", url, json={...})       # raises an OutboundError subclass
    response.json()

- **Timeouts.** A connect timeout and a read timeout (`OUTBOUND_CONNECT_TIMEOUT`,
  `OUTBOUND_READ_TIMEOUT`, seconds); a slow or silent remote never hangs a worker.
- **Size cap.** The body is streamed and refused (`TooLarge`) past `max_bytes`
  (`OUTBOUND_MAX_BYTES` unless the caller says less or more), before it is all in memory.
- **Retries where safe.** Network errors (refused, reset, timeout), 5xx and 429 are retried up
  to `retries` times (`OUTBOUND_RETRIES`) with exponential backoff and full jitter; a 429's or
  503's `Retry-After` is respected (a wait longer than `OUTBOUND_RETRY_AFTER_MAX` is not slept
  through: `HttpStatusError.retry_after` tells the caller, a Celery task, when to come back).
  Other 4xx are never retried. A request that is not idempotent (`POST` unless the caller says
  `idempotent=True`) is retried only when the remote cannot have acted on it: a refused or
  timed-out connection and a 429.
- **Private-address guard.** The host is resolved here and every address it resolves to is
  checked before connecting: loopback, private, link-local, multicast, reserved and unspecified
  addresses are refused (`Blocked`) unless the host or the address is on `OUTBOUND_ALLOWLIST`
  (names, addresses or networks: `127.0.0.1,localhost,10.0.0.0/8`). The socket connects to the
  address that was checked (no second lookup to rebind); TLS still verifies the host name.
  Redirects are not followed unless asked (`follow_redirects=N`), and each hop is a new request
  through the same guard.

Errors name what went wrong in a few kinds (`OutboundError.kind`: `blocked`, `timeout`, `tls`,
`unreachable`, `too_large`, `http`) so callers can explain it in plain words.
"""

import ipaddress
import json as jsonlib
import random
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from django.conf import settings
from urllib3 import connection as u3connection
from urllib3 import connectionpool, exceptions

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "Unidesk/1 (+https://github.com/unidesk)"


class OutboundError(Exception):
    kind = "error"

    def __init__(self, message: str, *, url: str = ""):
        super().__init__(message)
        self.url = url


class Blocked(OutboundError):
    """The host resolves to an address the guard refuses (private, loopback, …)."""

    kind = "blocked"


class Timeout(OutboundError):
    kind = "timeout"


class TlsError(OutboundError):
    kind = "tls"


class Unreachable(OutboundError):
    """The name does not resolve, or the connection was refused or reset."""

    kind = "unreachable"


class TooLarge(OutboundError):
    kind = "too_large"


class HttpStatusError(OutboundError):
    """The remote answered with an error status (after the retries, when it was retryable)."""

    kind = "http"

    def __init__(self, response: "Response", *, retry_after: float | None = None):
        super().__init__(f"HTTP {response.status}", url=response.url)
        self.response = response
        self.status = response.status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    attempts: int = 1

    def json(self) -> Any:
        return jsonlib.loads(self.body)


# ---- the guard ------------------------------------------------------------------------------


def _allowlist() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in getattr(settings, "OUTBOUND_ALLOWLIST", []):
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.rstrip("."))
    return names, networks


def address_allowed(host: str, address: str) -> bool:
    """Whether connecting to `address` (which `host` resolved to) passes the guard."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    names, networks = _allowlist()
    if host.lower().rstrip(".") in names or any(ip in network for network in networks):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve_checked(host: str, port: int) -> list[tuple]:
    """The addresses to connect to, after the guard; `Blocked` if any of them is refused (a
    name that resolves to one public and one private address is refused: no lottery)."""
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Unreachable(f"The name {host} does not resolve ({exc}).") from exc
    for *_, sockaddr in infos:
        if not address_allowed(host, sockaddr[0]):
            raise Blocked(f"{host} resolves to {sockaddr[0]}, a private or reserved address.")
    return infos


class _GuardedConnect:
    """`_new_conn` of urllib3's connections, connecting only to addresses the guard passed."""

    def _new_conn(self) -> socket.socket:
        infos = resolve_checked(self._dns_host, self.port)
        last: OSError | None = None
        for family, socktype, proto, _name, sockaddr in infos:
            sock = socket.socket(family, socktype, proto)
            try:
                for option in self.socket_options or []:
                    sock.setsockopt(*option)
                if self.timeout is not None:
                    sock.settimeout(self.timeout)
                sock.connect(sockaddr)
                return sock
            except TimeoutError as exc:
                sock.close()
                raise exceptions.ConnectTimeoutError(self, f"connect to {self.host}") from exc
            except OSError as exc:
                sock.close()
                last = exc
        raise exceptions.NewConnectionError(self, f"Failed to connect: {last}")


class _HTTPConnection(_GuardedConnect, u3connection.HTTPConnection):
    pass


class _HTTPSConnection(_GuardedConnect, u3connection.HTTPSConnection):
    pass


class _HTTPPool(connectionpool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _pool_manager() -> urllib3.PoolManager:
    manager = urllib3.PoolManager(num_pools=20, maxsize=4, retries=False)
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


_manager = _pool_manager()
_sleep = time.sleep  # tests replace it to count the waits instead of sleeping


# ---- requests -------------------------------------------------------------------------------


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _backoff(attempt: int) -> float:
    base = settings.OUTBOUND_BACKOFF_SECONDS * (2**attempt)
    return random.uniform(0, min(base, settings.OUTBOUND_BACKOFF_MAX_SECONDS))  # noqa: S311


def _read_capped(raw: urllib3.BaseHTTPResponse, max_bytes: int, url: str) -> bytes:
    declared = raw.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raw.close()  # not read, not drained: the connection is dropped
        raise TooLarge(f"The answer is {declared} bytes, over {max_bytes}.", url=url)
    chunks, size = [], 0
    for chunk in raw.stream(64 * 1024, decode_content=True):
        size += len(chunk)
        if size > max_bytes:
            raw.close()
            raise TooLarge(f"The answer is over {max_bytes} bytes.", url=url)
        chunks.append(chunk)
    return b"".join(chunks)


def _send_once(method: str, url: str, *, body, headers, timeout, max_bytes) -> Response:
    try:
        raw = _manager.request(
            method,
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
            redirect=False,
            preload_content=False,
            retries=False,
        )
    except OutboundError:
        raise
    except exceptions.SSLError as exc:
        raise TlsError(f"The TLS handshake failed: {exc}", url=url) from exc
    except exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError subclass in urllib3)
        raise _Refused(f"The connection failed: {exc}", url=url) from exc
    except exceptions.ConnectTimeoutError as exc:
        raise _ConnectTimeout(f"Connecting timed out after {timeout[0]} s.", url=url) from exc
    except (exceptions.ReadTimeoutError, exceptions.TimeoutError) as exc:
        raise Timeout(f"No answer within {timeout[1]} s.", url=url) from exc
    except (exceptions.ProtocolError, exceptions.HTTPError, OSError) as exc:
        raise Unreachable(f"The connection broke: {exc}", url=url) from exc
    try:
        data = _read_capped(raw, max_bytes, url)
    except exceptions.ReadTimeoutError as exc:
        raise Timeout(f"No answer within {timeout[1]} s.", url=url) from exc
    except (exceptions.ProtocolError, exceptions.HTTPError) as exc:
        raise Unreachable(f"The connection broke: {exc}", url=url) from exc
    finally:
        raw.release_conn()
    return Response(raw.status, dict(raw.headers), data, url)


class _ConnectTimeout(Timeout):
    """Nothing reached the remote: safe to retry whatever the method."""


class _Refused(Unreachable):
    """Nothing reached the remote: safe to retry whatever the method."""


def request(
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    fields: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: tuple[float, float] | None = None,
    max_bytes: int | None = None,
    retries: int | None = None,
    idempotent: bool | None = None,
    follow_redirects: int = 0,
) -> Response:
    """Send one request through the guard; returns a 2xx/3xx `Response`, raises otherwise.

    `json` sends a JSON body; `fields` a multipart form (a value may be `(filename, bytes,
    content type)`); `params` go into the query string."""
    method = method.upper()
    if urlsplit(url).scheme not in ("http", "https"):
        raise Blocked(f"Only http and https URLs may be requested, not {url!r}.", url=url)
    timeout = timeout or (settings.OUTBOUND_CONNECT_TIMEOUT, settings.OUTBOUND_READ_TIMEOUT)
    max_bytes = settings.OUTBOUND_MAX_BYTES if max_bytes is None else max_bytes
    retries = settings.OUTBOUND_RETRIES if retries is None else retries
    idempotent = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
    sent_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    body = None
    if params:
        url = url + ("&" if "?" in url else "?") + urlencode(params)
    if json is not None:
        body = jsonlib.dumps(json, ensure_ascii=False).encode()
        sent_headers.setdefault("Content-Type", "application/json")
    elif fields is not None:
        body, content_type = urllib3.encode_multipart_formdata(dict(fields))
        sent_headers["Content-Type"] = content_type
    attempt = 0
    while True:
        attempt += 1
        try:
            response = _send_once(
                method, url, body=body, headers=sent_headers, timeout=timeout, max_bytes=max_bytes
            )
        except (_ConnectTimeout, _Refused):
            if attempt > retries:
                raise
            _sleep(_backoff(attempt - 1))
            continue
        except (Timeout, Unreachable):
            if attempt > retries or not idempotent:
                raise
            _sleep(_backoff(attempt - 1))
            continue
        if response.status in (301, 302, 303, 307, 308) and follow_redirects > 0:
            target = urljoin(url, response.headers.get("Location", ""))
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET", None
            follow_redirects -= 1
            url = target
            if urlsplit(url).scheme not in ("http", "https"):
                raise Blocked(f"Redirected to a URL that is not http(s): {url!r}.", url=url)
            continue
        if response.status < 400:
            return Response(response.status, response.headers, response.body, url, attempt)
        retry_after = _retry_after(response.headers) if response.status in (429, 503) else None
        retryable = response.status == 429 or (response.status >= 500 and idempotent)
        if not retryable or attempt > retries or response.status not in RETRY_STATUSES:
            raise HttpStatusError(
                Response(response.status, response.headers, response.body, url, attempt),
                retry_after=retry_after,
            )
        wait = retry_after if retry_after is not None else _backoff(attempt - 1)
        if wait > settings.OUTBOUND_RETRY_AFTER_MAX:
            raise HttpStatusError(
                Response(response.status, response.headers, response.body, url, attempt),
                retry_after=retry_after,
            )
        _sleep(wait)
