"""Running the handlers of domain events: right after commit, again from the beat sweep, with
retries and the idempotency markers. See the package docstring for the rules."""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from desk.kernel import redis_sync
from desk.kernel.domain_events import EVENT_TYPES, Event
from desk.kernel.domain_events.models import HandledEvent, OutboxEvent

logger = logging.getLogger("desk.domain_events")

Handler = Callable[[Event], None]
SWEEP_BATCH = 200
ERROR_MAX_CHARS = 2000


# ---- the registry ---------------------------------------------------------------------------


def registry() -> dict[str, list[str]]:
    """The handler table named by `settings.DOMAIN_EVENT_HANDLERS` (`desk.event_handlers.HANDLERS`
    unless overridden): the only place handlers come from."""
    table = import_string(settings.DOMAIN_EVENT_HANDLERS)
    unknown = sorted(set(table) - set(EVENT_TYPES))
    if unknown:
        raise ImproperlyConfigured(f"handlers registered for unknown event types: {unknown}")
    return table


def handlers_for(event_type: str) -> list[tuple[str, Handler]]:
    """(dotted path, function) of each handler of `event_type`, in registry order."""
    return [(path, import_string(path)) for path in registry().get(event_type, [])]


# ---- after commit: wake the drain --------------------------------------------------


class _Pending:
    """The ids recorded in the current transaction of one connection, sent together by the first
    of their on-commit callbacks (one is registered per record, so a savepoint rolled back with
    its callback never loses the others')."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def is_current(self, conn) -> bool:
        """False once the transaction has ended: committed (flushed) or rolled back (Django
        dropped its callbacks)."""
        return any(getattr(entry[1], "__self__", None) is self for entry in conn.run_on_commit)

    def flush(self) -> None:
        ids, self.ids = self.ids, []
        if ids:
            send(ids)


def after_commit(conn, event_id: int) -> None:
    pending = getattr(conn, "_domain_events_pending", None)
    if pending is None or not pending.is_current(conn):
        pending = _Pending()
        conn._domain_events_pending = pending
    pending.ids.append(event_id)
    transaction.on_commit(pending.flush, using=conn.alias)


def send(event_ids: list[int]) -> None:
    """Make sure a drain task is on its way for these committed events. One drain takes every new
    event there is, so a commit queues a task only when none is queued already (a Redis key says
    so: one `SET NX` instead of a Celery message per commit). If Redis fails the task is sent
    anyway; if Celery fails the events are committed anyway and the sweep takes them: the
    message path never fails after its commit."""
    if not _claim_wake():
        return
    try:
        from desk.kernel.tasks import domain_events_drain

        domain_events_drain.delay()
    except Exception:
        _release_wake()
        logger.exception(
            "domain events %s: not handed to Celery; the sweep will run them", event_ids
        )


def _claim_wake() -> bool:
    """True when this commit must queue the drain (no drain is queued, or Redis cannot say)."""
    ttl_ms = settings.DOMAIN_EVENT_SWEEP_AFTER_SECONDS * 1000
    try:
        return bool(redis_sync.client().set(settings.DOMAIN_EVENT_WAKE_KEY, 1, nx=True, px=ttl_ms))
    except redis.RedisError:
        return True


def _release_wake() -> None:
    try:
        redis_sync.client().delete(settings.DOMAIN_EVENT_WAKE_KEY)
    except redis.RedisError:
        logger.warning("domain events: the wake key stays until it expires")


def drain(*, batch: int | None = None) -> int:
    """The task after commit: handle every new event, a claimed batch at a time, until none is
    left. The wake key goes first, so a commit from now on queues the next drain: an event
    committed while this one runs is taken here or by that one, never by neither. Returns how
    many events were taken."""
    _release_wake()
    batch = batch or settings.DOMAIN_EVENT_DRAIN_BATCH
    total = 0
    while True:
        claimed = claim(batch=batch, fresh=True)
        total += len(claimed)
        _handle_claimed(claimed)
        if len(claimed) < batch:
            return total


# ---- handling ---------------------------------------------------------------------------------


def dispatch(event_ids: Iterable[int]) -> int:
    """Run the handlers of these events (those not done nor given up). Returns how many events
    were looked at."""
    rows = list(
        OutboxEvent.objects.filter(
            pk__in=list(event_ids),
            done_at=None,
            attempts__lt=settings.DOMAIN_EVENT_MAX_ATTEMPTS,
        ).order_by("pk")
    )
    _handle_rows(rows)
    return len(rows)


def _handle_claimed(ids: list[int]) -> None:
    rows = OutboxEvent.objects.filter(pk__in=ids, done_at=None).order_by("pk")
    _handle_rows(list(rows))


def _handle_rows(rows: list[OutboxEvent]) -> None:
    """Handle the events in order; the ones that succeeded are marked done in one UPDATE."""
    done = [row.pk for row in rows if handle(row, mark_done=False)]
    if done:
        OutboxEvent.objects.filter(pk__in=done).update(done_at=timezone.now())


def handle(row: OutboxEvent, *, mark_done: bool = True) -> bool:
    """Run each handler of the event once; True when all have succeeded (the event is done;
    marked so here unless the caller marks a batch at once)."""
    event = Event(
        id=row.pk,
        type=row.type,
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        ticket_id=row.ticket_id,
        payload=row.payload,
        created_at=row.created_at,
        attempts=row.attempts,
    )
    errors: list[str] = []
    for path, handler in handlers_for(row.type):
        accepts = getattr(handler, "accepts", None)
        if accepts is not None and not accepts(event):
            continue  # not its kind of event (domain_events.takes): no transaction, no marker
        try:
            _run_once(event, path, handler)
        except Exception as exc:
            logger.exception("domain event %s (%s): handler %s failed", row.pk, row.type, path)
            errors.append(f"{path}: {type(exc).__name__}: {exc}")
    now = timezone.now()
    if not errors:
        if mark_done:
            OutboxEvent.objects.filter(pk=row.pk).update(done_at=now)
        return True
    attempts = row.attempts + 1
    OutboxEvent.objects.filter(pk=row.pk).update(
        attempts=F("attempts") + 1,
        next_attempt_at=now + backoff(attempts),
        last_error="\n".join(errors)[:ERROR_MAX_CHARS],
    )
    if attempts >= settings.DOMAIN_EVENT_MAX_ATTEMPTS:
        logger.error(
            "domain event %s (%s) failed %s times; no more retries: %s",
            row.pk,
            row.type,
            attempts,
            "; ".join(errors),
        )
    return False


def _run_once(event: Event, path: str, handler: Handler) -> None:
    """The handler and its marker commit together or not at all. A marker that exists already
    (another dispatch of the same event handled it, or is handling it: the insert waits for
    that transaction) means there is nothing to do."""
    with transaction.atomic():
        if _mark(event.id, path):
            handler(event)


def _mark(event_id: int, path: str) -> bool:
    """Insert the handler's marker; False when it is there already. One statement (`ON CONFLICT
    DO NOTHING`, PostgreSQL and SQLite alike) instead of a savepoint around an insert that may
    fail: the worker runs one per handler of every message."""
    table = connection.ops.quote_name(HandledEvent._meta.db_table)
    sql = (
        f"INSERT INTO {table} (event_id, handler, handled_at) VALUES (%s, %s, %s) "  # noqa: S608
        "ON CONFLICT (event_id, handler) DO NOTHING RETURNING id"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [event_id, path, now])
        return cursor.fetchone() is not None


def backoff(attempts: int) -> timedelta:
    """Wait before retry number `attempts` (1, 2, …): the first delay doubling, capped."""
    first = settings.DOMAIN_EVENT_RETRY_SECONDS
    seconds = min(first * 2 ** max(attempts - 1, 0), settings.DOMAIN_EVENT_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


# ---- the sweep and the prune (beat) -----------------------------------------------------------


def claim(
    *, now: datetime | None = None, batch: int = SWEEP_BATCH, fresh: bool = False
) -> list[int]:
    """Take up to `batch` due events: one conditional UPDATE pushes their due time a lease ahead
    and returns their ids. `fresh` (the drain after commit) takes the new events instead, those
    never tried whose sweep head start has not run out: not due yet, and not taken by another
    drain (its lease put their due time past the head start). A concurrent claim's UPDATE
    re-checks the condition on the rows this one changed (PostgreSQL re-evaluates the WHERE of a
    row it waited for; SQLite has one writer), so two claims never take the same event. The
    candidates are a materialised CTE: PostgreSQL may re-run an `IN (SELECT … LIMIT … SKIP
    LOCKED)` subquery and, skipping the rows the UPDATE has just locked, take more than
    `batch`."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.DOMAIN_EVENT_LEASE_SECONDS)
    table = connection.ops.quote_name(OutboxEvent._meta.db_table)
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    due = "done_at IS NULL AND next_attempt_at <= %s"
    horizon = now
    if fresh:
        due += " AND attempts = 0"
        horizon = now + timedelta(seconds=settings.DOMAIN_EVENT_SWEEP_AFTER_SECONDS)
    sql = (
        f"WITH candidates AS MATERIALIZED (SELECT id FROM {table} "  # noqa: S608 (no input)
        f"WHERE {due} AND attempts < %s ORDER BY next_attempt_at, id LIMIT %s{skip_locked}) "
        f"UPDATE {table} SET next_attempt_at = %s "
        f"WHERE {due} AND id IN (SELECT id FROM candidates) RETURNING id"
    )
    at = connection.ops.adapt_datetimefield_value
    params = [at(horizon), settings.DOMAIN_EVENT_MAX_ATTEMPTS, batch, at(lease), at(horizon)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Re-dispatch due events (a process died after commit, a retry is due). Returns how many
    were taken."""
    claimed = claim(now=now, batch=batch)
    _handle_claimed(claimed)
    return len(claimed)


def prune(*, older_than: timedelta, batch: int = 1000) -> int:
    """Delete events done longer than `older_than` ago (their markers too). Returns how many."""
    cutoff = timezone.now() - older_than
    total = 0
    while True:
        ids = list(
            OutboxEvent.objects.filter(done_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return total
        with transaction.atomic():
            HandledEvent.objects.filter(event_id__in=ids).delete()
            OutboxEvent.objects.filter(pk__in=ids).delete()
        total += len(ids)
