"""`manage.py up` from a clean state: migrates, loads demo data, serves, and Ctrl-C stops it all."""

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes_with_env(marker: str) -> list[int]:
    """PIDs whose environment holds `marker` (every child `up` starts inherits it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _lines_until(lines: queue.Queue, text: str, seen: list[str], timeout: float) -> str:
    """Collect output lines into `seen` until one contains `text`; return what came meanwhile."""
    start = len(seen)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if text in line:
            break
    return "".join(seen[start:])


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_up_runs_everything_and_ctrl_c_stops_every_process(tmp_path):
    port = _free_port()
    marker = f"UNIDESK_VAR_DIR={tmp_path}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"UNIDESK_NO_BOOTSTRAP": "1", "UNIDESK_VAR_DIR": str(tmp_path)})
    proc = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "up", "--port", str(port)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()

    def read_output():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    output: list[str] = []
    try:
        banner = _lines_until(lines, "Press Ctrl-C to stop", output, timeout=120)
        assert "Press Ctrl-C to stop" in banner, banner[-3000:]
        assert f"http://127.0.0.1:{port}/desk/" in banner
        assert f"http://127.0.0.1:{port}/admin/" in banner
        assert f"http://127.0.0.1:{port}/healthz" in banner
        assert f"{tmp_path / 'log'}/" in banner
        assert "supervisor" in banner and "alice" in banner and "unidesk-demo" in banner
        for _ in range(3):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                assert response.status == 200
        # Enter shows the box again; the requests meanwhile went to the access log, not here.
        proc.stdin.write("\n")
        proc.stdin.flush()
        meanwhile = _lines_until(lines, "Press Ctrl-C to stop", output, timeout=30)
        assert f"http://127.0.0.1:{port}/healthz" in meanwhile, meanwhile[-3000:]
        assert "GET /healthz" not in meanwhile
        access_log = (tmp_path / "log" / "access.log").read_text()
        assert access_log.count('"GET /healthz" 200') >= 3
        worker_log = tmp_path / "log" / "worker.log"
        deadline = time.monotonic() + 90  # the worker may still be starting on a busy machine
        while time.monotonic() < deadline:
            if worker_log.exists() and "ready." in worker_log.read_text():
                break
            time.sleep(0.5)
        assert "ready." in worker_log.read_text()
        # daphne, worker (with its pool), beat and the embedded redis-server are all running.
        assert len(_processes_with_env(marker)) >= 4
        assert (tmp_path / "unidesk.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=10)
        rest = _lines_until(lines, "\0", output, timeout=1)
    assert proc.returncode == 0, rest[-3000:]
    assert "Stopping Unidesk" in rest
    assert "celery@" not in "".join(output)  # no worker banner pushing the box away
    time.sleep(0.5)
    assert _processes_with_env(marker) == []
