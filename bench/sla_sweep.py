"""The SLA sweep at scale (issue 11): many open tickets with pending timers, a burst of timers
falling due, and the beat's sweep (tickets/sla/timers.py) firing them.

It makes its own PostgreSQL database (`unidesk_sla_bench`, dropped and migrated at the start),
fills it with raw SQL (`--tickets` open tickets, each with a warning and a breach timer days
ahead, so the pending set is large), then adds `--burst` first-response breaches due at random
moments over the next `--burst-seconds`, and runs the sweep every `--interval` seconds as beat
would (in this process: what a worker does per sweep). It prints:

- per sweep: wall time, timers fired; per claimed batch: the claim's time and the whole batch's;
- lateness (fired_at minus fire_at) p50 / p99 / max of the burst, against the target: p99 below
  half the sweep interval plus one second;
- the process's RSS before the pending timers exist, after, and at its highest while sweeping;
- the claim as the ORM runs it against the same SQL run raw on a cursor (the statement the
  ORM sends, taken from the query log), median of repeated runs on the full table.

    .venv/bin/python bench/sla_sweep.py                    # 1,000,000 tickets, 50,000 over 300 s
    .venv/bin/python bench/sla_sweep.py --tickets 100000 --burst 5000 --burst-seconds 60
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import unidesk_fixtures  # noqa: E402


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def prepare(args) -> None:
    env = unidesk_fixtures.environment(args.database_url, args.redis_url)
    unidesk_fixtures.recreate_database(args.database_url)
    unidesk_fixtures.flush_redis(args.redis_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)


def fill(args) -> None:
    """Tickets and far-off timers in bulk, with SQL: the application's services would take hours
    for a million tickets, and what is measured here is the sweep, not their creation."""
    from django.db import connection

    from chat.models import Customer

    customer = Customer.objects.create(display_name="Bench")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticket (number, subject, description, status, priority, "
            "requester_id, source, custom_fields, csat_comment, created_at, updated_at) "
            "SELECT 'B-' || n, 'Bench ' || n, '', 'open', 2, %s, 'manual', '{}', '', now(), now() "
            "FROM generate_series(1, %s) AS n",
            [customer.pk, args.tickets],
        )
        # Two pending timers per ticket, days ahead: the resolution clock's warning and breach.
        cursor.execute(
            "INSERT INTO tickets_slatimer (ticket_id, target, phase, due_at, fire_at) "
            "SELECT id, 'resolution', phase, now() + interval '3 days', "
            "now() + interval '2 days' + mod(id, 86400) * interval '1 second' "
            "FROM tickets_ticket, (VALUES ('warning'), ('breach')) AS p(phase)"
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_slatimer")
    took = time.monotonic() - started
    log(f"{args.tickets} tickets and {2 * args.tickets} pending timers in {took:.0f} s")


def add_burst(args, start) -> None:
    """`--burst` first-response breaches due at random moments in the next `--burst-seconds`."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_slatimer (ticket_id, target, phase, due_at, fire_at) "
            "SELECT id, 'first_response', 'breach', t, t FROM ("
            "  SELECT id, %s::timestamptz + random() * %s * interval '1 second' AS t "
            "  FROM tickets_ticket ORDER BY id LIMIT %s) AS due",
            [start, args.burst_seconds, args.burst],
        )


def claim_orm_vs_raw(args) -> tuple[float, float, str]:
    """The sweep's claim (its SELECT … FOR UPDATE SKIP LOCKED of the due rows), as the ORM runs
    it and as the same SQL run raw, each in its own rolled-back transaction; median ms."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tickets.sla import timers

    def orm():
        return list(timers.due_timers(timezone.now() + timedelta(days=3), args.batch))

    with transaction.atomic(), CaptureQueriesContext(connection) as seen:
        orm()
        transaction.set_rollback(True)
    sql = seen.captured_queries[-1]["sql"]
    orm_ms, raw_ms = [], []
    for _ in range(args.repeat):
        with transaction.atomic():
            started = time.perf_counter()
            orm()
            orm_ms.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            raw_ms.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    return statistics.median(orm_ms), statistics.median(raw_ms), sql


def run(args) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from tickets.models import SlaTimer
    from tickets.sla import timers

    idle = rss_mb()
    fill(args)
    with_pending = rss_mb()
    orm_ms, raw_ms, sql = claim_orm_vs_raw(args)
    log(f"claim of {args.batch} due rows: ORM {orm_ms:.1f} ms, same SQL raw {raw_ms:.1f} ms")

    batches: list[float] = []
    original = timers._sweep_once

    def timed_sweep_once(now, batch):
        started = time.perf_counter()
        taken = original(now, batch)
        batches.append((time.perf_counter() - started) * 1000)
        return taken

    timers._sweep_once = timed_sweep_once
    start = timezone.now() + timedelta(seconds=5)
    add_burst(args, start)
    log(f"burst: {args.burst} timers due between now+5 s and now+{5 + args.burst_seconds} s")
    sweeps: list[tuple[float, int]] = []
    peak = rss_mb()
    deadline = time.monotonic() + 5 + args.burst_seconds + args.grace
    while time.monotonic() < deadline:
        began = time.monotonic()
        fired = timers.sweep()
        took = time.monotonic() - began
        sweeps.append((took * 1000, fired))
        peak = max(peak, rss_mb())
        left = SlaTimer.objects.filter(target="first_response", fired_at=None).count()
        if fired:
            log(f"sweep: {fired} fired in {took * 1000:.0f} ms; {left} of the burst still pending")
        if left == 0:
            break
        time.sleep(max(0.0, args.interval - took))
    timers._sweep_once = original

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXTRACT(EPOCH FROM fired_at - fire_at) FROM tickets_slatimer "
            "WHERE target = 'first_response' AND fired_at IS NOT NULL"
        )
        late = [float(row[0]) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT count(*) FROM tickets_slatimer WHERE target = 'first_response' "
            "AND fired_at IS NULL"
        )
        (missed,) = cursor.fetchone()
    target = args.interval / 2 + 1
    busy = [ms for ms, fired in sweeps if fired]
    p99 = percentile(late, 0.99)
    verdict = "meets" if late and p99 < target and not missed else "MISSES"
    lines = [
        f"tickets {args.tickets}, pending timers {2 * args.tickets}, burst {args.burst} over "
        f"{args.burst_seconds} s, sweep every {args.interval} s, claim batch {args.batch}",
        f"sweeps: {len(sweeps)}, of which firing {len(busy)}; sweep ms p50 "
        f"{percentile(busy, 0.5):.0f} max {max(busy or [0]):.0f}; batch ms p50 "
        f"{percentile(batches, 0.5):.0f} p99 {percentile(batches, 0.99):.0f}",
        f"per fired timer: {sum(busy) / max(len(late), 1):.1f} ms of sweep time",
        f"lateness of the burst (fired - due): p50 {percentile(late, 0.5):.2f} s, p99 {p99:.2f} "
        f"s, max {max(late or [0]):.2f} s; fired {len(late)}, still pending {missed}; target "
        f"p99 < {target:.1f} s: {verdict}",
        f"RSS: {idle:.0f} MB before the timers, {with_pending:.0f} MB with {2 * args.tickets} "
        f"pending, {peak:.0f} MB at most while sweeping",
        f"claim of {args.batch}: ORM {orm_ms:.1f} ms vs raw {raw_ms:.1f} ms\n  {sql[:300]}",
    ]
    print("\n" + "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--burst", type=int, default=50_000)
    parser.add_argument("--burst-seconds", type=int, default=300)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between sweeps")
    parser.add_argument("--batch", type=int, default=500, help="timers per claim")
    parser.add_argument("--grace", type=float, default=120.0, help="seconds after the burst")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each claim")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/unidesk_sla_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    args = parser.parse_args()
    prepare(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
    run(args)


if __name__ == "__main__":
    main()
