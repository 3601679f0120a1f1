"""Customer-to-agent latency over real WebSockets: Unidesk against a minimal baseline relay.

N widget clients send messages that M agent clients all hear (one team, agents online); the agent
owning a conversation answers every Nth message, so it is a conversation, not a one-way stream.
Both servers persist every message (Unidesk: the whole path: token, dedupe, seq, PostgreSQL, the
channel layer, its Celery worker and beat; baseline: an INSERT and a Redis PUBLISH). Figures per
step: customer→agent latency per delivery (p50/p99, the targets' figure), acks, agent→customer
latency, offered and sustained msg/s, CPU per process group, then the ratios to the baseline
against issue 10's targets. See bench/ws_clients.py for the exact definitions.

Scenarios (Unidesk; the baseline has no tickets, so it runs once per invocation):
  chatting   agents online; each customer's first message starts a conversation, no tickets.
  ticketed   every conversation has an open ticket already (fixtures), so each message
             continues a ticket.

    .venv/bin/python bench/ws_load.py                        # both scenarios, 200 x 5 msgs at ~10 s
    .venv/bin/python bench/ws_load.py --step                 # stepped load, knee of each
    .venv/bin/python bench/ws_load.py --procs 2              # two daphne behind HAProxy
    .venv/bin/python bench/ws_load.py --scenario chatting --only unidesk --customers 50

Needs PostgreSQL and Redis; uses its own database `unidesk_bench` and Redis db 5 (both wiped at
the start of each server's session), and HAProxy (`apt-get install -y haproxy`) for `--procs 2`.
Starts and stops every process itself; logs and results.json go to --run-dir. Bounded: each step
sends a fixed number of messages and drains for at most --drain seconds; stepping stops at the
first step whose p99 passes 1 s, or when --budget seconds are spent.
"""

import argparse
import asyncio
import fcntl
import json
import math
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import servers, unidesk_fixtures  # noqa: E402
from bench.ws_clients import Baseline, Session, Step, Unidesk  # noqa: E402

KNEE_P99_MS = 1000.0
TARGET_P50, TARGET_P99, TARGET_KNEE = 2.0, 3.0, 0.6
STARTED = time.monotonic()


def log(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f}s] {text}", flush=True)


def plan(args) -> list[tuple[float, int]]:
    """(interval, messages per customer) for each step."""
    if not args.step:
        return [(args.interval, args.messages)]
    intervals = [float(value) for value in args.intervals.split(",")]
    return [(i, max(2, round(args.step_seconds / i))) for i in intervals]


# ---- one server's session -----------------------------------------------------------------------


class MeasuredSession(Session):
    def __init__(self, *a, stack: servers.Stack, memory: dict, **kw):
        super().__init__(*a, **kw)
        self.stack = stack
        self.memory = memory

    async def after_agents(self) -> None:
        await asyncio.sleep(0.5)
        self.memory["after_agents"] = servers.rss_mb(self.stack.pids())


async def drive(label: str, proto, stack: servers.Stack, args, redis_url: str | None) -> dict:
    memory: dict = {}
    if isinstance(proto, Unidesk):  # first connections import modules: not memory per socket
        warm = Session(proto, 1, 1, 0)
        await warm.connect()
        await warm.close()
        await asyncio.sleep(1.0)
    memory["idle"] = servers.rss_mb(stack.pids())
    session = MeasuredSession(
        proto, args.customers, args.agents, args.reply_every, stack=stack, memory=memory
    )
    started = time.perf_counter()
    await session.connect()
    await asyncio.sleep(0.5)
    memory["after_customers"] = servers.rss_mb(stack.pids())
    log(
        f"{label}: {len(session.customer_sockets)} customers and {len(session.agent_sockets)} "
        f"agents connected in {time.perf_counter() - started:.1f} s "
        f"({session.connect_failures} failed)"
    )
    sampler = servers.CpuSampler(stack.pids(), urlparse(args.database_url).path.lstrip("/"))
    steps: list[Step] = []
    for interval, messages in plan(args):
        estimate = messages * interval + interval + 5
        if time.monotonic() - STARTED + estimate > args.budget:
            log(f"{label}: budget of {args.budget:.0f} s spent; no step at {interval} s")
            break
        stack.check_alive()
        # Other work on the same cores shows up as latency: give it a moment to finish (the
        # whole quiet wait before a session's first step, a few seconds before the others).
        wait = args.quiet_wait if not steps else min(args.quiet_wait, 5.0)
        busy = await asyncio.to_thread(servers.wait_quiet, wait, args.quiet_below)
        speed = await asyncio.to_thread(servers.speed_probe)
        sampler.begin()
        step = Step(interval, messages, busy_before=busy, speed_ms=speed)
        step = await session.run_step(step, args.drain)
        step.cpu = await asyncio.to_thread(sampler.end)
        if redis_url:
            step.celery_backlog = await asyncio.to_thread(servers.celery_backlog, redis_url)
        steps.append(step)
        log(f"{label}: {step_line(step)}")
        if args.step and step.p(99) > KNEE_P99_MS and not args.no_stop:
            log(f"{label}: p99 passed {KNEE_P99_MS:.0f} ms: past the knee, stepping stops")
            break
        await asyncio.sleep(2.0)
    await asyncio.sleep(3.0)  # late replies
    memory["end"] = servers.rss_mb(stack.pids())
    await session.close()
    return {
        "label": label,
        "procs": args.procs,
        "steps": [step.summary() for step in steps],
        "memory_mb": memory,
        "gaps": session.gaps(),
        "lost_sockets": session.lost_sockets,
        "connect_failures": session.connect_failures,
        "customers": len(session.customer_sockets),
        "agents": len(session.agent_sockets),
    }


def run_baseline(args, run_dir: Path) -> dict:
    log("baseline: fresh database, relay process(es)")
    unidesk_fixtures.recreate_database(args.database_url)
    unidesk_fixtures.flush_redis(args.redis_url)
    stack = servers.start_baseline(args, run_dir)
    try:
        proto = Baseline(stack.front_port)
        return asyncio.run(drive("baseline", proto, stack, args, None))
    finally:
        stack.stop()


def run_floor(args, run_dir: Path) -> dict:
    log("floor: fresh database, the baseline's protocol on daphne + Channels (frame_floor.py)")
    unidesk_fixtures.recreate_database(args.database_url)
    unidesk_fixtures.flush_redis(args.redis_url)
    stack = servers.start_floor(args, run_dir)
    try:
        return asyncio.run(drive("floor", Baseline(stack.front_port), stack, args, None))
    finally:
        stack.stop()


def run_unidesk(args, run_dir: Path, scenario: str) -> dict:
    label = f"unidesk/{scenario}"
    env = unidesk_fixtures.environment(args.database_url, args.redis_url)
    log(f"{label}: fixtures (migrate, {args.agents} online agents, {args.customers} visitors)")
    fixtures = unidesk_fixtures.prepare(env, args.customers, args.agents, scenario)
    log(f"{label}: fixtures ready in {fixtures['seconds']:.0f} s, {fixtures['tickets']} tickets")
    stack = servers.start_unidesk(args, env, run_dir, label.replace("/", "-"))
    try:
        backlog = servers.wait_celery_idle(args.redis_url)
        log(
            f"{label}: {', '.join(stack.procs)} up on port {stack.front_port}; "
            f"Celery backlog before the load: {backlog}"
        )
        proto = Unidesk(stack.front_port, fixtures["tokens"], fixtures["sessions"])
        report = asyncio.run(drive(label, proto, stack, args, args.redis_url))
        report["scenario"] = scenario
        return report
    finally:
        stack.stop()


# ---- printing -----------------------------------------------------------------------------------


def ms(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value / 1000:.1f} s" if value >= 10000 else f"{value:.1f}"


def step_line(step: Step) -> str:
    s = step.summary()
    return (
        f"interval {s['interval']:g} s: offered {s['offered']:.0f} msg/s (sent at "
        f"{s['offered_actual']:.1f}), sustained {s['sustained']:.1f} msg/s, p50 {ms(s['p50'])} "
        f"p99 {ms(s['p99'])} ms, delivered {s['deliveries']}/{s['expected']}, replies "
        f"{s['replies_acked']}/{s['replies_sent']} (p50 {ms(s['reply_p50'])} ms), "
        f"errors {s['errors'] or 0}, cpu {cpu_text(s['cpu'])}, machine busy before "
        f"{s['busy_before']}%, speed probe {s['speed_ms']} ms"
    )


def cpu_text(cpu: dict) -> str:
    def group(prefix):
        return sum(v for k, v in cpu.items() if k.startswith(prefix))

    parts = [
        ("server", group("daphne") + group("relay")),
        ("worker", group("worker")),
        ("beat", group("beat")),
        ("haproxy", group("haproxy")),
        ("pg", group("postgres")),
        ("pg-shared", group("pg-shared")),
        ("redis", group("redis")),
        ("loadgen", group("loadgen")),
        ("others", group("others")),
    ]
    shown = " ".join(f"{name} {value:.0f}%" for name, value in parts if value >= 0.5)
    total = f"total {cpu.get('total', 0):.0f}% of {os.cpu_count() * 100}%"
    return f"{shown} ({total}, iowait {cpu.get('iowait', 0):.0f}%)"


def print_table(report: dict) -> None:
    print(f"\n{report['label']} ({report['procs']} process(es)), customer→agent latency in ms:")
    print(
        "| interval s | offered msg/s | sent msg/s | sustained msg/s | p50 | p95 | p99 | ack p50 "
        "| ack p99 | first-send ack p50 | reply p50 | reply p99 | delivered | CPU (% of a core) "
        "| loadgen lag p99 | busy before | speed probe ms |"
    )
    print("|" + "---:|" * 17)
    for s in report["steps"]:
        print(
            f"| {s['interval']:g} | {s['offered']:.0f} | {s['offered_actual']:.1f} "
            f"| {s['sustained']:.1f} | {ms(s['p50'])} | {ms(s['p95'])} | {ms(s['p99'])} "
            f"| {ms(s['ack_p50'])} | {ms(s['ack_p99'])} | {ms(s['first_ack_p50'])} "
            f"| {ms(s['reply_p50'])} | {ms(s['reply_p99'])} | {s['deliveries']}/{s['expected']} "
            f"| {cpu_text(s['cpu'])} | {ms(s['loop_lag_p99'])} | {s['busy_before']}% "
            f"| {s['speed_ms']} |"
        )
    extra = [f"gaps {report['gaps']}", f"sockets lost {report['lost_sockets']}"]
    if report["connect_failures"]:
        extra.append(f"connect failures {report['connect_failures']}")
    backlog = [s["celery_backlog"] for s in report["steps"]]
    if any(backlog):
        extra.append(f"Celery backlog after each step {backlog}")
    errors = {}
    for s in report["steps"]:
        for code, count in s["errors"].items():
            errors[code] = errors.get(code, 0) + count
    extra.append(f"errors {errors or 0}")
    print("  " + ", ".join(extra))
    for s in report["steps"]:
        frames = s.get("agent_frames") or {}
        per = sum(frames.values()) / max(s["sent"] * s["agents"], 1)
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(frames.items(), key=lambda kv: -kv[1]))
        print(
            f"  step {s['interval']:g} s: {per:.2f} frames to each agent per customer message "
            f"({s['agent_kb_per_message']} KB to all agents per message; {kinds})"
        )
    memory = report["memory_mb"]
    for role in memory.get("idle", {}):
        print(
            f"  RSS {role}: idle {memory['idle'][role]:.0f} MB, with agents "
            f"{memory['after_agents'][role]:.0f} MB, with customers "
            f"{memory['after_customers'][role]:.0f} MB, at the end {memory['end'][role]:.0f} MB"
        )


def knee(report: dict) -> tuple[float, bool]:
    """Highest sustained msg/s of a step whose p99 stayed within 1 s; and whether some step
    passed 1 s (False: the knee lies beyond the steps run)."""
    good = [s["sustained"] for s in report["steps"] if s["p99"] <= KNEE_P99_MS]
    passed = any(s["p99"] > KNEE_P99_MS for s in report["steps"])
    return (max(good) if good else 0.0), passed


def at_interval(report: dict, interval: float) -> dict | None:
    return next((s for s in report["steps"] if s["interval"] == interval), None)


def verdict(base: dict, ours: dict, args) -> None:
    print(f"\n{ours['label']} against the {base['label']} ({args.procs} process(es)):")
    interval = 10.0 if args.step else args.interval
    b, o = at_interval(base, interval), at_interval(ours, interval)
    if b and o:
        if b["speed_ms"] and abs(o["speed_ms"] / b["speed_ms"] - 1) > 0.25:
            print(
                f"  WARNING: the machine's speed moved between the two (probe {b['speed_ms']} "
                f"-> {o['speed_ms']} ms): run again before trusting the ratios"
            )
        for name, target in (("p50", TARGET_P50), ("p99", TARGET_P99)):
            ratio = o[name] / b[name]
            mark = "meets" if ratio <= target else "MISSES"
            print(
                f"  {name} at one message per customer per ~{interval:g} s: "
                f"{ms(o[name])} vs {ms(b[name])} ms = x{ratio:.2f} "
                f"(target <= x{target:g}: {mark})"
            )
    if args.step:
        base_knee, base_passed = knee(base)
        our_knee, our_passed = knee(ours)
        ratio = our_knee / base_knee if base_knee else float("nan")
        mark = "meets" if ratio >= TARGET_KNEE else "MISSES"
        note = "" if base_passed else f" ({base['label']} never passed 1 s: its knee is higher)"
        print(
            f"  knee (highest sustained msg/s with p99 <= 1 s): {ours['label']} {our_knee:.1f}"
            f"{'' if our_passed else '+'} vs {base['label']} {base_knee:.1f}"
            f"{'' if base_passed else '+'} = x{ratio:.2f} (target >= x{TARGET_KNEE:g}: {mark})"
            f"{note}"
        )


def capacity(report: dict) -> None:
    """Cost per customer message at the busiest step under the knee, and memory per socket."""
    under = [s for s in report["steps"] if s["p99"] <= KNEE_P99_MS and s["sustained"] > 0]
    print(f"\ncapacity model, {report['label']} ({report['procs']} process(es)):")
    if under:
        s = max(under, key=lambda s: s["sustained"])
        rate = s["sustained"] + s["replies_sent"] / max(s["sent"], 1) * s["sustained"]
        cpu = s["cpu"]

        def per_message(prefix):
            used = sum(v for k, v in cpu.items() if k.startswith(prefix))
            return used / 100 * 1000 / rate  # CPU ms per stored message

        server = per_message("daphne") + per_message("relay")
        print(
            f"  at {s['sustained']:.1f} customer msg/s (+ replies: {rate:.1f} stored msg/s, "
            f"each fanned out to {s['agents']} agents): CPU ms per stored message: "
            f"server {server:.2f}, worker {per_message('worker'):.2f}, "
            f"PostgreSQL {per_message('postgres'):.2f} (+ shared {per_message('pg-shared'):.2f}), "
            f"Redis {per_message('redis'):.2f}"
        )
        if server and report["procs"] == 1:
            print(
                f"  one server process is one core at most (one GIL): "
                f"<= {1000 / server:.0f} stored msg/s per process at this fan-out, "
                f"if nothing else ran on its core"
            )
        for role, used in sorted(cpu.items()):
            if report["procs"] > 1 and role.startswith(("daphne", "relay")):
                side = "customers" if role.endswith("-1") else "agents"
                print(f"  {role} ({side}' sockets): {used:.0f}% of a core")
    memory = report["memory_mb"]
    for role in memory.get("idle", {}):
        if not role.startswith(("daphne", "relay")):
            continue
        idle, agents = memory["idle"][role], memory["after_agents"][role]
        customers = memory["after_customers"][role]
        per_customer = (customers - agents) / max(report["customers"], 1) * 1024
        print(
            f"  {role}: RSS idle {idle:.0f} MB; +{agents - idle:.1f} MB with "
            f"{report['agents']} agent sockets; +{customers - agents:.1f} MB with "
            f"{report['customers']} customer sockets (~{per_customer:.0f} KB each)"
        )


# ---- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["chatting", "ticketed", "both"], default="both")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--messages", type=int, default=5, help="per customer (without --step)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between sends")
    parser.add_argument("--reply-every", type=int, default=3, help="0: agents never answer")
    parser.add_argument("--step", action="store_true", help="raise the offered rate step by step")
    parser.add_argument("--intervals", default="10,7,5,3.5,2.5,1.5,1,0.75,0.5", help="with --step")
    parser.add_argument("--step-seconds", type=float, default=20.0, help="sending time per step")
    parser.add_argument("--no-stop", action="store_true", help="run every step, even past 1 s")
    parser.add_argument("--drain", type=float, default=15.0, help="max wait after a step's sends")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds for the whole run")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before a session's first step, wait up to this long for the machine to be quiet",
    )
    parser.add_argument(
        "--quiet-below", type=float, default=30.0, help="quiet: CPU use below this %% of one core"
    )
    parser.add_argument("--procs", type=int, choices=[1, 2], default=1)
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--only", choices=["unidesk", "baseline", "floor"])
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run the frame floor: the baseline's protocol on daphne + Channels",
    )
    parser.add_argument("--run-dir", type=Path, default=None, help="logs and results.json")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unidesk_bench"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    )
    args = parser.parse_args()
    # A terminated bench stops the servers it started (each runs in its own session).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Two runs at once share the database, the Redis db and the ports, and wreck each other.
    lock = open(Path(tempfile.gettempdir(), "unidesk-bench.lock"), "w")  # noqa: SIM115
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit("another bench/ws_load.py run is in progress; wait for it") from None
    run_dir = args.run_dir or Path(tempfile.gettempdir(), "unidesk-bench") / time.strftime(
        "%Y%m%d-%H%M%S"
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    scenarios = ["chatting", "ticketed"] if args.scenario == "both" else [args.scenario]
    steps = plan(args)
    log(
        f"load: {args.customers} customers, {args.agents} agents (all hear every conversation; "
        f"the owner answers every {args.reply_every or 'no'}th message), {args.procs} server "
        f"process(es); steps (interval s x messages each): "
        f"{', '.join(f'{i:g}x{m}' for i, m in steps)}; logs in {run_dir}"
    )
    reports: list[dict] = []
    if args.only in (None, "baseline"):
        reports.append(run_baseline(args, run_dir))
    if (args.floor and args.only is None) or args.only == "floor":
        reports.append(run_floor(args, run_dir))
    if args.only in (None, "unidesk"):
        for scenario in scenarios:
            reports.append(run_unidesk(args, run_dir, scenario))
    for report in reports:
        print_table(report)
    base = next((r for r in reports if r["label"] == "baseline"), None)
    floor = next((r for r in reports if r["label"] == "floor"), None)
    for report in reports:
        if args.step:
            best, passed = knee(report)
            print(
                f"\nknee {report['label']}: {best:.1f} msg/s sustained with p99 <= 1 s"
                + ("" if passed else " (no step passed 1 s: the knee is higher)")
            )
    if base:
        for report in reports:
            if report is not base:
                verdict(base, report, args)
    if floor:  # what Unidesk's own code costs over what the frame costs
        for report in reports:
            if report["label"].startswith("unidesk"):
                verdict(floor, report, args)
    for report in reports:
        capacity(report)
    (run_dir / "results.json").write_text(
        json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "reports": reports})
    )
    log(f"done; results in {run_dir / 'results.json'}")


if __name__ == "__main__":
    main()
