"""`manage.py up` from a clean state: migrates, loads demo data, serves, and Ctrl-C stops it all."""

import os
import signal
import socket
import subprocess
import sys
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


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_up_runs_everything_and_ctrl_c_stops_every_process(tmp_path):
    port = _free_port()
    marker = f"UNIDESK_VAR_DIR={tmp_path}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"UNIDESK_NO_BOOTSTRAP": "1", "UNIDESK_VAR_DIR": str(tmp_path)})
    proc = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Press Ctrl-C to stop" in line:
                break
        banner = "".join(output)
        assert "Press Ctrl-C to stop" in banner, banner[-3000:]
        assert f"http://127.0.0.1:{port}/desk/" in banner
        assert f"http://127.0.0.1:{port}/admin/" in banner
        assert "supervisor" in banner and "alice" in banner and "unidesk-demo" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
        # daphne, worker (with its pool), beat and the embedded redis-server are all running.
        assert len(_processes_with_env(marker)) >= 4
        assert (tmp_path / "unidesk.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest[-3000:]
    assert "Stopping Unidesk" in rest
    time.sleep(0.5)
    assert _processes_with_env(marker) == []
