"""Domain events (desk/kernel/domain_events): recorded in the transaction, handled after its
commit, each handler once, retried with backoff, picked up by the sweep when the process died."""

import logging
import threading
from datetime import timedelta
from unittest import mock

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from desk import event_handlers
from desk.kernel import domain_events
from desk.kernel.domain_events import dispatch
from desk.models import HandledEvent, KbCategory, OutboxEvent
from desk.tests.factories import OutboxEventFactory

# The registry the tests use instead of desk.event_handlers.HANDLERS.
TEST_REGISTRY = "desk.tests.test_domain_events.HANDLERS"
HANDLERS: dict[str, list[str]] = {
    "message.created": [
        "desk.tests.test_domain_events.fragile",
        "desk.tests.test_domain_events.count",
    ]
}
# The same handlers and one that takes only the first message of a conversation.
WITH_FIRST_ONLY: dict[str, list[str]] = {
    "message.created": [*HANDLERS["message.created"], "desk.tests.test_domain_events.first_only"]
}
calls: list[tuple[str, int]] = []
fragile_fails = {"times": 0}


def count(event: domain_events.Event) -> None:
    """A database effect that would add up if it ran twice: one more on the counter row."""
    calls.append(("count", event.id))
    KbCategory.objects.filter(name="counter").update(position=F("position") + 1)


def fragile(event: domain_events.Event) -> None:
    """Fails `fragile_fails["times"]` times, after writing (the write must roll back)."""
    calls.append(("fragile", event.id))
    KbCategory.objects.create(name=f"fragile {event.id} {len(calls)}")
    if fragile_fails["times"] > 0:
        fragile_fails["times"] -= 1
        raise RuntimeError("the fragile handler broke")


@domain_events.takes(lambda event: event.payload.get("seq") == 1)
def first_only(event: domain_events.Event) -> None:
    """Takes only the events with seq 1 (decided on the event, before any transaction)."""
    calls.append(("first_only", event.id))


@pytest.fixture(autouse=True)
def _test_registry(settings):
    settings.DOMAIN_EVENT_HANDLERS = TEST_REGISTRY
    settings.DOMAIN_EVENT_RETRY_SECONDS = 10
    settings.DOMAIN_EVENT_RETRY_MAX_SECONDS = 25
    settings.DOMAIN_EVENT_MAX_ATTEMPTS = 4
    calls.clear()
    fragile_fails["times"] = 0


@pytest.fixture
def counter(db):
    return KbCategory.objects.create(name="counter", position=0)


def counted(counter) -> int:
    counter.refresh_from_db()
    return counter.position


def record(**kwargs) -> int:
    return domain_events.record(
        "message.created", conversation_id=1, message_id=2, payload={"seq": 1}, **kwargs
    )


@pytest.mark.django_db(transaction=True)
def test_handlers_run_after_commit_never_inside_the_transaction(counter):
    with transaction.atomic():
        event_id = record()
        assert OutboxEvent.objects.filter(pk=event_id).exists()
        assert calls == []  # not yet: the transaction could still roll back

    assert calls == [("fragile", event_id), ("count", event_id)]
    assert counted(counter) == 1
    event = OutboxEvent.objects.get(pk=event_id)
    assert event.done_at is not None
    assert event.attempts == 0
    assert set(HandledEvent.objects.values_list("handler", flat=True)) == set(
        HANDLERS["message.created"]
    )


@pytest.mark.django_db(transaction=True)
def test_a_rollback_records_and_dispatches_nothing(counter):
    sent: list[list[int]] = []
    with mock.patch.object(dispatch, "send", side_effect=sent.append):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            record()
            1 / 0  # noqa: B018
        with transaction.atomic():
            kept = record()

    assert OutboxEvent.objects.count() == 1
    assert sent == [[kept]]  # nothing of the rolled-back transaction rides along


@pytest.mark.django_db(transaction=True)
def test_the_events_of_one_transaction_go_to_one_task(counter):
    with mock.patch.object(dispatch, "send", wraps=dispatch.send) as send, transaction.atomic():
        first = record()
        with transaction.atomic():
            second = record()
        try:
            with transaction.atomic():
                record()
                raise ValueError
        except ValueError:
            pass

    assert send.call_count == 1
    assert send.call_args.args[0][:2] == [first, second]
    assert [event_id for name, event_id in calls if name == "count"] == [first, second]
    assert counted(counter) == 2


@pytest.mark.django_db(transaction=True)
def test_commits_while_a_drain_is_queued_queue_no_second_one_and_it_takes_them_all(counter):
    with mock.patch("desk.kernel.tasks.domain_events_drain.delay") as queued:
        events = []
        for _ in range(3):
            with transaction.atomic():
                events.append(record())
        assert queued.call_count == 1  # one Celery message for three commits
        assert calls == []

        assert dispatch.drain() == 3  # the queued drain runs
        assert [event_id for name, event_id in calls if name == "count"] == events
        assert counted(counter) == 3
        assert OutboxEvent.objects.filter(done_at=None).count() == 0

        with transaction.atomic():
            record()  # the drain has started: the next commit queues the next one
        assert queued.call_count == 2


@pytest.mark.django_db(transaction=True)
def test_a_drain_claims_in_batches_until_no_new_event_is_left(counter, settings):
    settings.DOMAIN_EVENT_DRAIN_BATCH = 2
    with mock.patch.object(dispatch, "send"):
        for _ in range(5):
            with transaction.atomic():
                record()

    with CaptureQueriesContext(connection) as queries:
        assert dispatch.drain() == 5
    assert counted(counter) == 5
    claims = [q for q in queries if "WITH candidates" in q["sql"]]
    assert len(claims) == 3  # 2 + 2 + 1
    done = [q for q in queries if q["sql"].startswith("UPDATE") and "done_at" in q["sql"]]
    assert len(done) == 3  # one "done" per batch, not per event


@pytest.mark.django_db(transaction=True)
def test_a_drain_leaves_events_another_drain_holds_and_retries_that_are_not_due(counter):
    fragile_fails["times"] = 1
    with transaction.atomic():
        failed = record()  # its drain ran: failed once, retry in 10 s
    with mock.patch.object(dispatch, "send"), transaction.atomic():
        held = record()
    assert dispatch.claim(batch=10, fresh=True) == [held]  # another drain took it

    assert dispatch.drain() == 0
    assert dispatch.claim(batch=10, fresh=True) == []
    assert OutboxEvent.objects.get(pk=failed).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_redis_down_queues_the_drain_anyway(counter):
    broken = mock.Mock(**{"set.side_effect": redis.ConnectionError("down")})
    with (
        mock.patch("desk.kernel.redis_sync.client", return_value=broken),
        mock.patch("desk.kernel.tasks.domain_events_drain.delay") as queued,
    ):
        for _ in range(2):
            with transaction.atomic():
                record()
    assert queued.call_count == 2  # no key to say a drain is queued: every commit queues one


def test_record_outside_a_transaction_or_of_an_unknown_type_is_refused(db):
    with pytest.raises(ValueError, match="unknown domain event type"), transaction.atomic():
        domain_events.record("message.exploded", conversation_id=1)
    # pytest-django's `db` wraps the test in a transaction: leave it to test "outside".
    with (
        mock.patch.object(transaction.get_connection(), "in_atomic_block", False),
        pytest.raises(RuntimeError, match=r"inside transaction\.atomic"),
    ):
        domain_events.record("message.created", conversation_id=1)
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_retried_with_backoff_and_does_not_stop_the_others(counter, caplog):
    fragile_fails["times"] = 2
    before = timezone.now()
    with caplog.at_level(logging.ERROR, logger="desk.domain_events"), transaction.atomic():
        event_id = record()

    event = OutboxEvent.objects.get(pk=event_id)
    assert calls == [("fragile", event_id), ("count", event_id)]  # the other one ran
    assert counted(counter) == 1
    assert event.done_at is None
    assert event.attempts == 1
    assert "the fragile handler broke" in event.last_error
    assert "desk.tests.test_domain_events.fragile" in event.last_error
    assert timedelta(seconds=10) <= event.next_attempt_at - before < timedelta(seconds=12)
    assert f"domain event {event_id} (message.created): handler" in caplog.text
    assert not KbCategory.objects.filter(name__startswith="fragile").exists()  # rolled back

    # Not due yet: the sweep leaves it alone.
    assert dispatch.sweep(now=before + timedelta(seconds=5)) == 0
    # Due: the second round fails again, the wait doubles; `count` does not run again.
    second_round = before + timedelta(seconds=11)
    assert dispatch.sweep(now=second_round) == 1
    event.refresh_from_db()
    assert event.attempts == 2
    assert event.next_attempt_at - timezone.now() > timedelta(seconds=19)
    # The third round succeeds: done, and the counter still says once.
    assert dispatch.sweep(now=timezone.now() + timedelta(seconds=21)) == 1
    event.refresh_from_db()
    assert event.done_at is not None
    assert counted(counter) == 1
    assert [name for name, _ in calls] == ["fragile", "count", "fragile", "fragile"]
    assert KbCategory.objects.filter(name__startswith="fragile").count() == 1


def test_the_backoff_doubles_up_to_its_cap(settings):
    assert [dispatch.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 25, 25]


@pytest.mark.django_db(transaction=True)
def test_after_the_last_attempt_the_event_stays_failed_and_is_logged(counter, caplog, settings):
    settings.DOMAIN_EVENT_MAX_ATTEMPTS = 2
    fragile_fails["times"] = 10
    with caplog.at_level(logging.ERROR, logger="desk.domain_events"), transaction.atomic():
        event_id = record()
    assert dispatch.sweep(now=timezone.now() + timedelta(hours=1)) == 1

    event = OutboxEvent.objects.get(pk=event_id)
    assert event.attempts == 2
    assert event.done_at is None
    assert f"domain event {event_id} (message.created) failed 2 times" in caplog.text
    assert dispatch.sweep(now=timezone.now() + timedelta(days=1)) == 0  # no more retries
    assert dispatch.dispatch([event_id]) == 0


@pytest.mark.django_db(transaction=True)
def test_dispatching_the_same_event_twice_has_each_effect_once(counter):
    with transaction.atomic():
        event_id = record()
    OutboxEvent.objects.filter(pk=event_id).update(done_at=None)  # as if the "done" was lost

    dispatch.dispatch([event_id])
    dispatch.handle(OutboxEvent.objects.get(pk=event_id))

    assert counted(counter) == 1
    assert calls == [("fragile", event_id), ("count", event_id)]
    assert HandledEvent.objects.filter(event_id=event_id).count() == 2


@pytest.mark.django_db(transaction=True)
def test_an_event_whose_process_died_after_commit_is_picked_up_by_the_sweep(counter, settings):
    # The process dies right after the commit.
    with mock.patch.object(dispatch, "send"), transaction.atomic():
        event_id = record()
    assert calls == []
    created = OutboxEvent.objects.get(pk=event_id).created_at

    # The immediate dispatch has its head start; then the sweep takes the event.
    head_start = timedelta(seconds=settings.DOMAIN_EVENT_SWEEP_AFTER_SECONDS)
    assert dispatch.sweep(now=created + head_start - timedelta(seconds=1)) == 0
    assert dispatch.sweep(now=created + head_start) == 1

    assert counted(counter) == 1
    assert OutboxEvent.objects.get(pk=event_id).done_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_never_take_the_same_event(settings):
    later = timezone.now() + timedelta(minutes=1)
    events = [OutboxEventFactory(next_attempt_at=timezone.now()) for _ in range(3)]

    first = dispatch.claim(now=later, batch=2)
    second = dispatch.claim(now=later)
    third = dispatch.claim(now=later)

    assert first == [events[0].pk, events[1].pk]
    assert second == [events[2].pk]
    assert third == []
    # Each claimed event is leased: another sweep may take it only after the lease.
    lease = timedelta(seconds=settings.DOMAIN_EVENT_LEASE_SECONDS)
    assert sorted(dispatch.claim(now=later + lease)) == [event.pk for event in events]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_share_the_due_events_without_overlap():
    threads_count, batch = 6, 4
    events = [OutboxEventFactory(next_attempt_at=timezone.now()) for _ in range(20)]
    later = timezone.now() + timedelta(seconds=1)
    barrier = threading.Barrier(threads_count)
    taken: list[list[int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            ids = dispatch.claim(now=later, batch=batch)
            with lock:
                taken.append(ids)
        except BaseException as exc:  # reported below, a thread must not swallow it
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    flat = [pk for ids in taken for pk in ids]
    assert len(flat) == len(set(flat))  # no event taken twice
    assert all(len(ids) <= batch for ids in taken)
    rest = dispatch.claim(now=later, batch=100)  # whatever the race left is still due
    assert sorted(flat + rest) == [event.pk for event in events]


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_does_not_fail_the_committed_change(counter, caplog):
    with (
        mock.patch("desk.kernel.tasks.domain_events_drain.delay", side_effect=OSError("down")),
        caplog.at_level(logging.ERROR, logger="desk.domain_events"),
        transaction.atomic(),
    ):
        event_id = record()

    assert OutboxEvent.objects.get(pk=event_id).done_at is None
    assert f"domain events [{event_id}]: not handed to Celery" in caplog.text


@pytest.mark.django_db
def test_done_events_are_pruned_after_the_retention(settings):
    old = OutboxEventFactory(done_at=timezone.now() - timedelta(days=8))
    HandledEvent.objects.create(event=old, handler="x.y")
    recent = OutboxEventFactory(done_at=timezone.now() - timedelta(days=6))
    pending = OutboxEventFactory(created_at=timezone.now() - timedelta(days=30))

    from desk.kernel import tasks

    assert tasks.domain_events_prune() == 1

    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not HandledEvent.objects.exists()


# ---- the registry ---------------------------------------------------------------------------


def test_handlers_come_only_from_the_registry_in_settings(settings):
    assert [path for path, _ in dispatch.handlers_for("message.created")] == [
        "desk.tests.test_domain_events.fragile",
        "desk.tests.test_domain_events.count",
    ]
    settings.DOMAIN_EVENT_HANDLERS = "desk.event_handlers.HANDLERS"
    assert [path for path, _ in dispatch.handlers_for("message.created")] == (
        event_handlers.HANDLERS["message.created"]
    )
    assert count not in [handler for _, handler in dispatch.handlers_for("message.created")]


def test_the_registry_names_only_catalogued_types_and_importable_functions(settings):
    settings.DOMAIN_EVENT_HANDLERS = "desk.event_handlers.HANDLERS"
    assert set(event_handlers.HANDLERS) <= set(domain_events.EVENT_TYPES)
    for event_type in event_handlers.HANDLERS:
        for _path, handler in dispatch.handlers_for(event_type):
            assert callable(handler)
    settings.DOMAIN_EVENT_HANDLERS = "desk.tests.test_domain_events.BAD_HANDLERS"
    with pytest.raises(ImproperlyConfigured, match=r"ticket\.exploded"):
        dispatch.handlers_for("message.created")


BAD_HANDLERS = {"ticket.exploded": ["desk.tests.test_domain_events.count"]}


# ---- the admin --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "expected"), [("pending", "pending"), ("failed", "failed"), ("done", "done")]
)
def test_the_admin_lists_events_by_state(supervisor_client, settings, state, expected):
    settings.DOMAIN_EVENT_MAX_ATTEMPTS = 3
    rows = {
        "pending": OutboxEventFactory(attempts=1, last_error="boom"),
        "failed": OutboxEventFactory(attempts=3, last_error="boom for good"),
        "done": OutboxEventFactory(done_at=timezone.now()),
    }

    response = supervisor_client.get(reverse("admin:desk_outboxevent_changelist"), {"state": state})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [rows[expected]]


@pytest.mark.django_db
def test_agents_do_not_see_the_outbox(agent_client):
    response = agent_client.get(reverse("admin:desk_outboxevent_changelist"))

    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_handler_is_not_run_nor_marked_for_an_event_it_does_not_take(counter, settings):
    settings.DOMAIN_EVENT_HANDLERS = "desk.tests.test_domain_events.WITH_FIRST_ONLY"
    with transaction.atomic():
        first = domain_events.record("message.created", payload={"seq": 1})
    assert [name for name, _ in calls] == ["fragile", "count", "first_only"]
    calls.clear()

    with transaction.atomic():
        event_id = domain_events.record("message.created", payload={"seq": 2})

    assert [name for name, _ in calls] == ["fragile", "count"]
    assert HandledEvent.objects.filter(event_id=first).count() == 3
    assert set(
        HandledEvent.objects.filter(event_id=event_id).values_list("handler", flat=True)
    ) == {
        "desk.tests.test_domain_events.fragile",
        "desk.tests.test_domain_events.count",
    }
    assert OutboxEvent.objects.get(pk=event_id).done_at is not None
