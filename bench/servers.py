"""The server side of bench/ws_load.py: the processes production runs, started and stopped here,
and what they cost (CPU per process group, RSS), measured with psutil.

Unidesk: `--procs` daphne processes (`python -m desk.server`), one Celery worker and one beat on
the same database and Redis, and with two processes HAProxy in front (customers' sockets to one,
agents' to the other). Baseline: `--procs` relay processes, behind the same HAProxy when two.
"""

import os
import shutil
import socket
import string
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg.template"
CELERY_QUEUE_PREFIX = "unidesk-bench:celery:"  # REDIS_PREFIX of the bench + ":celery:"


def wait_port(port: int, stack: "Stack | None" = None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if stack is not None:
            stack.check_alive()
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


class Stack:
    """Processes started for one bench session, by role; stopped in reverse order."""

    def __init__(self, run_dir: Path, label: str):
        self.run_dir = run_dir
        self.label = label
        self.procs: dict[str, subprocess.Popen] = {}
        self.front_port = 0

    def start(self, role: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.run_dir / f"{self.label}-{role}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[role] = proc
        return proc

    def pids(self) -> dict[str, int]:
        return {role: proc.pid for role, proc in self.procs.items()}

    def check_alive(self) -> None:
        dead = [role for role, proc in self.procs.items() if proc.poll() is not None]
        if dead:
            raise RuntimeError(f"{self.label}: {', '.join(dead)} exited (logs in {self.run_dir})")

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(list(self.procs.values())):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def haproxy_config(
    port: int, customer_path: str, agent_path: str, customer_port: int, agent_port: int
) -> str:
    return string.Template(HAPROXY_TEMPLATE.read_text()).substitute(
        port=port,
        customer_path=customer_path,
        agent_path=agent_path,
        customer_server=f"127.0.0.1:{customer_port}",
        agent_server=f"127.0.0.1:{agent_port}",
    )


def start_haproxy(stack: Stack, port: int, paths: tuple[str, str], ports: tuple[int, int]) -> None:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.path.exists(binary):
        raise SystemExit(
            "--procs 2 needs HAProxy in front of the two processes: apt-get install -y haproxy"
        )
    config = stack.run_dir / f"{stack.label}-haproxy.cfg"
    config.write_text(haproxy_config(port, paths[0], paths[1], ports[0], ports[1]))
    subprocess.run([binary, "-c", "-q", "-f", str(config)], check=True)
    stack.start("haproxy", [binary, "-db", "-f", str(config)])
    wait_port(port, stack)


def start_floor(args, run_dir: Path) -> Stack:
    stack = Stack(run_dir, "floor")
    try:
        env = {
            **os.environ,
            "FLOOR_DATABASE_URL": args.database_url,
            "FLOOR_REDIS_URL": args.redis_url,
        }
        port = args.port + 31
        stack.start(
            "daphne-1",
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "bench.frame_floor:application"],
            env,
        )  # fmt: skip
        wait_port(port, stack)
        stack.front_port = port
    except BaseException:
        stack.stop()
        raise
    return stack


def start_baseline(args, run_dir: Path) -> Stack:
    stack = Stack(run_dir, "baseline")
    try:
        _start_baseline(stack, args)
    except BaseException:
        stack.stop()
        raise
    return stack


def _start_baseline(stack: Stack, args) -> None:
    ports = [args.port + 11 + index for index in range(args.procs)]
    for index, port in enumerate(ports, 1):
        stack.start(
            f"relay-{index}",
            [sys.executable, str(ROOT / "bench/baseline_relay.py"), "--port", str(port),
             "--database-url", args.database_url, "--redis-url", args.redis_url],
        )  # fmt: skip
        wait_port(port, stack)  # one at a time: each creates the table if missing
    if args.procs == 1:
        stack.front_port = ports[0]
    else:
        start_haproxy(stack, args.port + 1, ("/c", "/a"), (ports[0], ports[1]))
        stack.front_port = args.port + 1


def start_unidesk(args, env: dict, run_dir: Path, label: str) -> Stack:
    stack = Stack(run_dir, label)
    try:
        _start_unidesk(stack, args, env, run_dir, label)
    except BaseException:
        stack.stop()
        raise
    return stack


def _start_unidesk(stack: Stack, args, env: dict, run_dir: Path, label: str) -> None:
    ports = [args.port + 21 + index for index in range(args.procs)]
    for index, port in enumerate(ports, 1):
        stack.start(
            f"daphne-{index}",
            [sys.executable, "-m", "desk.server", "-b", "127.0.0.1", "-p", str(port),
             "desk.asgi:application"],
            env,
        )  # fmt: skip
    celery = [sys.executable, "-m", "celery", "-A", "desk.celery"]
    stack.start("worker", [*celery, "worker", "-l", "info", "-n", "bench@%h"], env)
    stack.start(
        "beat",
        [*celery, "beat", "-l", "info", "-s", str(run_dir / f"{label}-celerybeat-schedule"),
         "--pidfile", str(run_dir / f"{label}-celerybeat.pid")],
        env,
    )  # fmt: skip
    for port in ports:
        wait_port(port, stack)
    wait_log(run_dir / f"{label}-worker.log", " ready.", stack)
    if args.procs == 1:
        stack.front_port = ports[0]
    else:
        start_haproxy(stack, args.port, ("/ws/widget/", "/ws/desk/"), (ports[0], ports[1]))
        stack.front_port = args.port


def wait_log(path: Path, needle: str, stack: Stack, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text(errors="replace"):
            return
        stack.check_alive()
        time.sleep(0.3)
    raise RuntimeError(f"{path.name}: no {needle!r} within {timeout:.0f} s")


def celery_backlog(redis_url: str) -> int:
    """Tasks waiting in the bench's Celery queues (the worker's backlog)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    total = 0
    for key in client.scan_iter(match=f"{CELERY_QUEUE_PREFIX}*", count=500):
        if client.type(key) == b"list":
            total += client.llen(key)
    return total


def wait_celery_idle(redis_url: str, timeout: float = 120.0) -> int:
    deadline = time.monotonic() + timeout
    backlog = celery_backlog(redis_url)
    while backlog and time.monotonic() < deadline:
        time.sleep(0.5)
        backlog = celery_backlog(redis_url)
    return backlog


def speed_probe() -> float:
    """Milliseconds for a fixed piece of pure-Python work, best of three: how fast this machine
    runs Python right now. On a shared VM it drifts (neighbours on the host), and every CPU
    figure and latency drifts with it; compare runs only at a similar probe."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(300_000):
            total += number * number % 7
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def wait_quiet(max_wait: float, below: float) -> float:
    """Wait (at most `max_wait` s) until the whole machine uses less than `below` % of one
    core over 2 s: other work on the same cores (test runs) shows up as latency. Returns the
    last reading."""
    cores = psutil.cpu_count() or 1
    deadline = time.monotonic() + max_wait
    busy = psutil.cpu_percent(interval=2.0) * cores
    while busy >= below and time.monotonic() < deadline:
        busy = psutil.cpu_percent(interval=2.0) * cores
    return busy


# ---- what it costs ------------------------------------------------------------------------------


Snapshot = dict[str, dict[tuple[int, float], float]]  # group -> (pid, started) -> CPU seconds


def _cpu(proc: psutil.Process) -> tuple[tuple[int, float], float] | None:
    try:
        times = proc.cpu_times()
        return (proc.pid, proc.create_time()), times.user + times.system
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _postgres_group(name: str, cmdline: list[str], database: str) -> str | None:
    """ "postgres" for a backend of the bench's database, "pg-shared" for the server's own
    processes (WAL writer, checkpointer...: every database's commits), None for the rest (other
    databases' backends count as others)."""
    if name != "postgres":
        return None
    title = " ".join(cmdline)
    if f" {database} " in title:
        return "postgres"
    if "127.0.0.1(" in title or "[local]" in title:
        return None  # a backend of another database
    return "pg-shared"


def _is_redis_6379(name: str, cmdline: list[str]) -> bool:
    return name.startswith("redis-server") and any(":6379" in part for part in cmdline)


class CpuSampler:
    """CPU seconds per group over a step, as % of one core (the machine has `cores` x 100 %).
    Groups: the stack's roles (children included), PostgreSQL (the bench database's backends;
    the server's shared processes apart), the Redis on 6379, this load generator, and everything
    else. Counted per process and polled every second, so a process that starts during the step
    counts from zero and one that ends (a backend of a connection Django recycles after
    DB_CONN_MAX_AGE) keeps what it had used by the last poll."""

    POLL_SECONDS = 1.0

    def __init__(self, stack_pids: dict[str, int], database: str):
        self.stack_pids = stack_pids
        self.database = database
        self.cores = psutil.cpu_count() or 1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _snapshot(self) -> Snapshot:
        groups: dict[str, list[psutil.Process]] = {
            role: _tree(pid) for role, pid in self.stack_pids.items()
        }
        groups["loadgen"] = [psutil.Process(os.getpid())]  # not its children: the stack
        groups["postgres"], groups["pg-shared"], groups["redis"] = [], [], []
        for proc in psutil.process_iter(["name", "cmdline"]):
            name, cmdline = proc.info["name"] or "", proc.info["cmdline"] or []
            postgres = _postgres_group(name, cmdline, self.database)
            if postgres:
                groups[postgres].append(proc)
            elif _is_redis_6379(name, cmdline):
                groups["redis"].append(proc)
        return {
            group: dict(found for found in map(_cpu, procs) if found is not None)
            for group, procs in groups.items()
        }

    @staticmethod
    def _busy() -> tuple[float, float]:
        times = psutil.cpu_times()
        busy = times.user + times.nice + times.system + times.irq + times.softirq
        return busy, getattr(times, "iowait", 0.0)

    def _merge(self, snap: Snapshot) -> None:
        for group, procs in snap.items():
            self.latest.setdefault(group, {}).update(procs)

    def _poll(self) -> None:
        while not self._stop.wait(self.POLL_SECONDS):
            self._merge(self._snapshot())

    def begin(self) -> None:
        self.first = self._snapshot()
        self.latest = {group: dict(procs) for group, procs in self.first.items()}
        self.busy0, self.wall0 = self._busy(), time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def end(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._merge(self._snapshot())
        wall = time.monotonic() - self.wall0
        if wall <= 0:
            return {}
        used = {}
        for group, procs in self.latest.items():
            earlier = self.first.get(group, {})
            seconds = sum(cpu - earlier.get(key, 0.0) for key, cpu in procs.items())
            used[group] = max(0.0, seconds) / wall * 100
        busy, iowait = self._busy()
        busy = (busy - self.busy0[0]) / wall * 100
        used["others"] = max(0.0, busy - sum(used.values()))
        used["total"] = busy
        used["iowait"] = (iowait - self.busy0[1]) / wall * 100  # idle, waiting for the disk
        return used


def rss_mb(pids: dict[str, int]) -> dict[str, float]:
    """Resident memory of each role's process tree, MB."""
    found = {}
    for role, pid in pids.items():
        try:
            root = psutil.Process(pid)
            found[role] = sum(
                proc.memory_info().rss for proc in [root, *root.children(recursive=True)]
            ) / (1024 * 1024)
        except psutil.NoSuchProcess:
            found[role] = float("nan")
    return found
