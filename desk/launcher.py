"""Process supervision shared by `manage.py up` and `manage.py test`."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from desk.embedded_redis import EmbeddedRedis

ROOT = Path(settings.BASE_DIR)


def manage(*args: str, env: dict[str, str]) -> None:
    """Run `manage.py <args>` in a child process with `env` (so settings see it)."""
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


@contextlib.contextmanager
def redis_env(base: dict[str, str], echo=print) -> Iterator[dict[str, str]]:
    """The environment with REDIS_URL set: the given one, or an embedded Redis for the block."""
    env = dict(base)
    if env.get("REDIS_URL"):
        yield env
        return
    server = EmbeddedRedis(Path(settings.VAR_DIR) / "redis").start()
    echo(f"Embedded Redis on {server.url} (set REDIS_URL to use your own)")
    env["REDIS_URL"] = server.url
    try:
        yield env
    finally:
        server.stop()


class Supervisor:
    """Starts named child processes, stops them all on Ctrl-C or when any one dies."""

    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        # A new process group per child: Ctrl-C reaches us once, and we stop them in order.
        self.children[name] = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True)

    def first_exit(self) -> tuple[str, int] | None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def wait_http(self, url: str, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.first_exit():
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.3)
        return False

    def stop_all(self, grace: float = 10.0) -> None:
        for proc in self.children.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.children.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
