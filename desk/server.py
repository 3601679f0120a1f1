"""Unidesk's ASGI server: daphne with request bodies capped at the edge.

Run it as daphne, with daphne's arguments: `python -m desk.server -b 127.0.0.1 -p 8000
desk.asgi:application`. Two things differ from plain daphne, both on Twisted's event loop, where a
large body would stall every socket of the process:

- Form bodies are never parsed there. Twisted parses multipart and urlencoded POST bodies into
  `request.args` (which daphne never reads), holding the whole body several times over in memory.
- A body over its path's limit (desk/kernel/body_limits.py) is refused before it is buffered: a
  Content-Length over the limit gets 413 at once; a chunked body is counted as it arrives and
  gets 413 as soon as it passes the limit. The rest of a refused body is read and dropped (so the
  client sees the answer instead of a reset) for at most `DRAIN_SECONDS`, then the connection
  closes.
"""

import sys

import daphne.server
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from django.conf import settings
from django.http import HttpRequest
from twisted.internet import reactor

from desk.kernel.body_limits import body_limit_for_target, refusal_body

DRAIN_SECONDS = 10.0


class LimitedRequest(WebRequest):
    """daphne's request, without form parsing and with a body limit (see the module docs)."""

    def __init__(self, *args, **kwargs):
        kwargs["parsePOSTFormSubmission"] = False
        super().__init__(*args, **kwargs)
        self.body_limit = 0
        self.body_received = 0
        self.refused = False
        self._drain_timer = None

    def gotLength(self, length):
        # The channel has read the request line and headers, not yet the body. Views only ever
        # raise the default limit, so only a body that may pass it (chunked: length None) needs
        # its path's own limit; most requests (GETs, handshakes, small posts) skip the URL lookup.
        self.body_limit = settings.REQUEST_BODY_MAX_BYTES
        if length is None or length > self.body_limit:
            self.body_limit = body_limit_for_target(getattr(self.channel, "_path", b""))
        if length is not None and length > self.body_limit:
            expects_continue = self.requestHeaders.getRawHeaders(b"Expect")
            # No "100 Continue" for a body we refuse: the client then never sends it.
            self.requestHeaders.removeHeader(b"Expect")
            self.refuse(body_follows=not expects_continue)
            return
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.refused:
            return  # dropped
        self.body_received += len(data)
        if self.body_received > self.body_limit:
            self.refuse(body_follows=True)
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if self.refused:
            self.close()  # the whole refused body has been read and dropped
            return
        if self.requestHeaders.hasHeader(b"Transfer-Encoding"):
            # The chunked body is all here, decoded: tell Django its length, without which it
            # reads no form or upload at all.
            self.requestHeaders.removeHeader(b"Transfer-Encoding")
            self.requestHeaders.setRawHeaders(b"Content-Length", [b"%d" % self.body_received])
        super().requestReceived(command, path, version)

    def refuse(self, *, body_follows: bool) -> None:
        """Answer 413 now; read and drop what the client still sends, then close."""
        self.refused = True
        if self.content is not None:
            self.content.close()
            self.content = None
        body = refusal_body(self.body_limit, self.language_request())
        head = (
            "HTTP/1.1 413 Content Too Large\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        self.channel.transport.write(head.encode() + body)
        self.channel.persistent = False
        if body_follows:
            self._drain_timer = reactor.callLater(DRAIN_SECONDS, self.close)
        else:
            self.close()

    def close(self) -> None:
        if self._drain_timer is not None and self._drain_timer.active():
            self._drain_timer.cancel()
        self._drain_timer = None
        self.loseConnection()

    def language_request(self) -> HttpRequest:
        """Just enough of a Django request to pick the answer's language."""
        request = HttpRequest()
        accept = self.requestHeaders.getRawHeaders(b"Accept-Language") or [b""]
        request.META["HTTP_ACCEPT_LANGUAGE"] = accept[0].decode("latin-1")
        request.COOKIES = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in self.received_cookies.items()
        }
        return request


class LimitedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = LimitedRequest
        return protocol


class Server(daphne.server.Server):
    def run(self):
        # daphne's Server.run builds its HTTP factory from this module-level name.
        daphne.server.HTTPFactory = LimitedHTTPFactory
        super().run()


class Cli(CommandLineInterface):
    server_class = Server


def main(argv: list[str] | None = None) -> None:
    Cli().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
