"""A scripted HTTP server in a thread (http.server) for the outbound client's and the channels'
tests: never the internet (house rule 11).

    with HttpStub() as stub:
        stub.script("/x", (429, {"Retry-After": "1"}, b""), (200, {}, b'{"ok": true}'))
        stub.url("/x")           # http://127.0.0.1:<port>/x
        stub.requests            # [(method, path, headers, body), ...] as received

A path's scripted answers are given in order; the last one repeats. `stub.handler(prefix, fn)`
answers every path under `prefix` with `fn(method, path, headers, body) -> (status, headers,
body)` (the Telegram Bot API stand-in uses it). Unscripted paths answer 404.
"""

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, dict[str, str], bytes]


class HttpStub:
    def __init__(self) -> None:
        self.scripts: dict[str, list[Answer]] = {}
        self.handlers: list[tuple[str, Callable[..., Answer]]] = []
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, data = stub.answer(
                    self.command, self.path, dict(self.headers), body
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "HttpStub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def script(self, path: str, *answers: Answer) -> None:
        self.scripts[path] = list(answers)

    def handler(self, prefix: str, fn: Callable[..., Answer]) -> None:
        self.handlers.append((prefix, fn))

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self.lock:
            self.requests.append((method, path, headers, body))
            answers = self.scripts.get(path.split("?")[0])
            if answers:
                return answers.pop(0) if len(answers) > 1 else answers[0]
        for prefix, fn in self.handlers:
            if path.startswith(prefix):
                return fn(method, path, headers, body)
        return 404, {}, b"not found"

    def paths(self) -> list[str]:
        return [path for _, path, _, _ in self.requests]
