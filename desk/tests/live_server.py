"""A real daphne process (desk/server.py: daphne with body limits) serving the test database, for
socket and browser tests.

`daphne_server` (function scope, with `transactional_db`) yields the base URL of one daphne
process started once per test session. The process reads the test database and the same Redis as
the tests; what a test commits, the server sees. Its log is printed after each test that uses it,
and pytest shows that output only when the test fails.

`daphne_processes` (function scope, with `transactional_db`) makes processes a test owns: it may
stop and start them again on the same port, run two that share channel groups (one
`redis_prefix`), or point one at a Redis of its own (`redis_url`). They are stopped after the test.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database the tests use right now (the test database, once set up)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("a live server needs a file test database, not an in-memory one")
        return f"sqlite:///{Path(name).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"
    raise RuntimeError(f"no live-server support for {db['ENGINE']}")


def server_password(user, password: str) -> None:
    """Give `user` a password the server can check: tests hash with MD5, which it does not know."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(password, hasher.salt())
    user.save(update_fields=["password"])


def new_redis_prefix() -> str:
    """A prefix of its own: a server's pushes and cache never mix with other test runs."""
    return f"{settings.REDIS_PREFIX}-live-{uuid.uuid4().hex[:8]}"


class DaphneProcess:
    """One daphne. `start()` after `stop()` serves again on the same port (a restart).

    Processes given the same `redis_prefix` share channel groups, viewers and cache: a push
    published by one reaches the sockets of the other. `redis_url` defaults to the tests' Redis.
    """

    def __init__(self, *, redis_prefix: str | None = None, redis_url: str | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="unidesk-daphne-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None
        self.redis_prefix = redis_prefix or new_redis_prefix()
        self.redis_url = redis_url or settings.REDIS_URL

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "DEBUG"}
        env.update(
            DJANGO_SETTINGS_MODULE="desk.settings",
            DATABASE_URL=database_url(),
            REDIS_URL=self.redis_url,
            REDIS_PREFIX=self.redis_prefix,
            SECRET_KEY=settings.SECRET_KEY,
            UNIDESK_NO_BOOTSTRAP="1",
            PYTHONUNBUFFERED="1",
            CELERY_TASK_ALWAYS_EAGER="1",  # domain-event handlers run in the server: no worker
            # The server outlives each test; its answers must not (the ids repeat across tests).
            ONLINE_CACHE_SECONDS="0",
        )
        return env

    def start(self) -> "DaphneProcess":
        with self.log.open("ab") as log:  # a restart adds to the same log
            self.process = subprocess.Popen(
                [sys.executable, "-m", "desk.server", "-b", "127.0.0.1", "-p", str(self.port),
                 "desk.asgi:application"],
                cwd=settings.BASE_DIR,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.fail(f"daphne exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.fail(f"daphne did not answer /healthz within {STARTUP_SECONDS} s")
        return self

    def fail(self, reason: str) -> None:
        self.stop()
        pytest.fail(f"{reason}\n--- daphne log ---\n{self.read_log()}", pytrace=False)

    def read_log(self, offset: int = 0) -> str:
        with self.log.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log.stat().st_size

    def wait_for_log(self, text: str, *, offset: int = 0, timeout: float = 10) -> None:
        """Until `text` appears in the log after `offset` (something the server noticed)."""
        deadline = time.monotonic() + timeout
        while text not in self.read_log(offset):
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} not in the daphne log after {timeout} s", pytrace=False)
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def _daphne_process(django_db_setup):
    server = DaphneProcess().start()
    yield server
    exit_code = server.process.poll() if server.process else None
    server.stop()
    if exit_code is not None:
        print(f"daphne had exited with {exit_code}\n{server.read_log()}")
    server.log.unlink(missing_ok=True)


@pytest.fixture
def daphne_server(transactional_db, _daphne_process):
    """Base URL of a real daphne serving this test's (committed) data."""
    if _daphne_process.process is None or _daphne_process.process.poll() is not None:
        pytest.fail(f"daphne is not running\n{_daphne_process.read_log()}", pytrace=False)
    offset = _daphne_process.log_size()
    yield _daphne_process.url
    new_lines = _daphne_process.read_log(offset)
    if new_lines:
        print(f"--- daphne log during this test ---\n{new_lines}")


@pytest.fixture
def daphne_pushes(settings, daphne_server, _daphne_process):
    """Events published by this test (services, after commit) reach the daphne server's
    sockets: the test uses the server's channel-layer prefix. Yields the base URL."""
    layer = dict(settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"] = {**layer["CONFIG"], "prefix": f"{_daphne_process.redis_prefix}:ws"}
    settings.CHANNEL_LAYERS = {"default": layer}
    settings.REDIS_PREFIX = _daphne_process.redis_prefix
    return daphne_server


@pytest.fixture
def daphne_processes(transactional_db):
    """`start(**kwargs)` starts a DaphneProcess this test owns (see DaphneProcess for the
    options) and returns it; every one is stopped after the test and its log printed."""
    owned: list[DaphneProcess] = []

    def start(**kwargs) -> DaphneProcess:
        server = DaphneProcess(**kwargs)
        owned.append(server)
        return server.start()

    yield start
    for server in owned:
        server.stop()
        print(f"--- daphne on port {server.port} ---\n{server.read_log()}")
        server.log.unlink(missing_ok=True)
