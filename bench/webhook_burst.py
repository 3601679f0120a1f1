"""A burst of provider webhooks against the real stack (issue 14): 1,000 signed Telegram updates
(some of them redeliveries, as Telegram retries) sent at once over HTTP to daphne on PostgreSQL,
with the Celery worker and beat running. It prints how fast each request was acknowledged
(p50 / p99 / max, and the whole burst), how long until every update was a message in the
workspace's tables, and checks that each update became exactly one message; and, in the same
run against the same server, the floor: the same number of requests to `/healthz` (no database
write), so the acknowledgement is read against what the server costs for nothing.

    .venv/bin/python bench/webhook_burst.py                      # 1,000 webhooks, 50 at a time
    .venv/bin/python bench/webhook_burst.py --webhooks 5000 --concurrency 100

Needs PostgreSQL and Redis; uses its own database `unidesk_webhooks_bench` and Redis db 6 (both
wiped at the start). Starts and stops every process itself; logs go to --run-dir.
"""

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import servers, unidesk_fixtures  # noqa: E402

SECRET = "bench-webhook-secret_0123456789"  # noqa: S105 (a bench account, wiped each run)
SETUP = r"""
import sys
import django
django.setup()
from chat.channels.models import ChannelAccount
account = ChannelAccount(channel="telegram", name="Bench bot")
account.set_secrets(token="123456:bench-token", webhook_secret=sys.argv[1])
account.save()
print(account.key)
"""


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def updates(count: int, users: int, redeliveries: int) -> list[bytes]:
    """`count` request bodies: `count - redeliveries` distinct updates from `users` users, then
    `redeliveries` of them sent again (Telegram retries what it thinks was not received)."""
    distinct = count - redeliveries
    bodies = []
    for n in range(distinct):
        user = {"id": 7_000_000 + n % users, "is_bot": False, "first_name": f"Bench {n % users}"}
        message = {"message_id": n + 1, "from": user, "date": int(time.time()),
                   "chat": {"id": user["id"], "type": "private"}, "text": f"burst {n}"}  # fmt: skip
        bodies.append(json.dumps({"update_id": 1_000_000 + n, "message": message}).encode())
    return bodies + bodies[:redeliveries]


def fire(port: int, path: str, bodies: list[bytes | None], concurrency: int) -> tuple:
    """Send every body (None: a GET) from `concurrency` threads, each on one keep-alive
    connection; returns (latencies in ms, statuses, seconds for the whole burst)."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def worker(mine: list[bytes | None]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        for body in mine:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            if body is not None:
                headers["Content-Type"] = "application/json"
            began = time.perf_counter()
            connection.request("POST" if body is not None else "GET", path, body, headers)
            response = connection.getresponse()
            response.read()
            took = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(took)
                statuses.append(response.status)
        connection.close()

    threads = [
        threading.Thread(target=worker, args=(bodies[index::concurrency],))
        for index in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - began


def stored(database_url: str) -> tuple[int, int, int, int]:
    """(raw events, events processed, customer messages, distinct provider ids of those)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM chat_inboundevent), "
            "(SELECT count(*) FROM chat_inboundevent WHERE processed_at IS NOT NULL), "
            "(SELECT count(*) FROM chat_message WHERE channel = 'telegram' "
            " AND sender_type = 'customer'), "
            "(SELECT count(DISTINCT provider_message_id) FROM chat_message "
            " WHERE channel = 'telegram' AND sender_type = 'customer')"
        ).fetchone()
    return tuple(int(value) for value in row)


def summary(label: str, latencies: list[float], seconds: float) -> str:
    return (
        f"{label}: {len(latencies)} requests in {seconds:.2f} s ({len(latencies) / seconds:.0f}/s);"
        f" ack p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f}"
        f" ms, max {max(latencies):.1f} ms"
    )


def run(args) -> int:
    env = unidesk_fixtures.environment(args.database_url, args.redis_url)
    unidesk_fixtures.recreate_database(args.database_url)
    unidesk_fixtures.flush_redis(args.redis_url)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True
    )
    key = subprocess.run(
        [sys.executable, "-c", SETUP, SECRET], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="webhook-burst-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    args.procs = 1
    stack = servers.start_unidesk(args, env, run_dir, "webhooks")
    try:
        port = stack.front_port
        log(f"daphne, worker and beat up on port {port}; logs in {run_dir}")
        fire(port, "/healthz", [None] * 50, 10)  # warm the server's imports
        floor, floor_statuses, floor_seconds = fire(
            port, "/healthz", [None] * args.webhooks, args.concurrency
        )
        bodies = updates(args.webhooks, args.users, args.redeliveries)
        path = f"/api/channels/v1/telegram/{key}/webhook/"
        acks, statuses, seconds = fire(port, path, bodies, args.concurrency)
        burst_done = time.monotonic()
        distinct = args.webhooks - args.redeliveries
        while time.monotonic() - burst_done < args.wait:
            events, processed, messages, ids = stored(args.database_url)
            if processed >= distinct and messages >= distinct:
                break
            time.sleep(0.2)
        all_in = time.monotonic() - burst_done
        events, processed, messages, ids = stored(args.database_url)
    finally:
        stack.stop()
    refused = len([status for status in statuses if status != 200])
    lines = [
        summary("floor (GET /healthz)", floor, floor_seconds),
        summary("webhooks (POST, signed)", acks, seconds),
        f"acknowledgement against the floor: p50 x{statistics.median(acks) / statistics.median(floor):.1f}, "  # noqa: E501
        f"p99 x{percentile(acks, 0.99) / percentile(floor, 0.99):.1f}",
        f"answers other than 200: {refused} (floor: "
        f"{len([s for s in floor_statuses if s != 200])})",
        f"stored: {events} raw events for {distinct} distinct updates ({args.redeliveries} "
        f"redeliveries), {processed} processed; {messages} messages, {ids} distinct",
        f"every update a message {all_in:.1f} s after the burst's last acknowledgement "
        f"({distinct / max(seconds + all_in, 0.001):.0f} messages/s from the first request)",
    ]
    print("\n" + "\n".join(lines))
    once = events == distinct == processed == messages == ids
    print(f"each update stored and shown once: {'yes' if once else 'NO'}")
    return 0 if once and not refused else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--redeliveries", type=int, default=200, help="of the webhooks")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--wait", type=float, default=300, help="seconds for the processing")
    parser.add_argument("--port", type=int, default=8950)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/unidesk_webhooks_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--run-dir")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
