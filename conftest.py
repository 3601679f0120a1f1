"""Fixtures shared by every app's tests."""

import uuid

import pytest
from axes.handlers.proxy import AxesProxyHandler

from routing.tests.factories import PASSWORD, AgentProfileFactory, SupervisorProfileFactory

pytest_plugins = ["desk.tests.live_server"]  # the `daphne_server` fixture (a real ASGI server)


def pytest_sessionstart(session):
    """Plain `pytest` gets the same compiled translations as `manage.py test`."""
    from desk.management.commands.compile_translations import compile_translations

    compile_translations()


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Celery tasks (domain-event dispatch after commit) run in the calling thread, as the live
    daphne of the tests does (desk/tests/live_server.py): no worker in tests."""
    from desk.celery import app

    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _own_rate_limits(settings):
    """Rate-limit counters, socket slots, login failures (the cache) and the domain-event wake
    key of this test's own: they live in Redis, so they would otherwise add up across the tests
    of a run and across runs."""
    tag = uuid.uuid4().hex[:12]
    settings.RATE_LIMIT_PREFIX = f"{settings.REDIS_PREFIX}:rl-{tag}"
    settings.DOMAIN_EVENT_WAKE_KEY = f"{settings.REDIS_PREFIX}:domain-events:wake-{tag}"
    cache = settings.CACHES["default"]
    settings.CACHES = {"default": {**cache, "KEY_PREFIX": f"{cache['KEY_PREFIX']}-{tag}"}}
    AxesProxyHandler.get_implementation(force=True)  # it keeps the cache it was made with


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def agent(db):
    """An agent's profile (`agent.user` logs in)."""
    return AgentProfileFactory()


@pytest.fixture
def supervisor(db):
    """A supervisor's profile: staff, in the Supervisors group, can use the admin."""
    return SupervisorProfileFactory()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor.user)
    return client


@pytest.fixture
def own_channel_prefix(settings):
    """Channel-layer and Redis key prefixes of this test's own, so parallel runs (and the tests
    of one run) never hear each other. Socket tests use it with `usefixtures`."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    layer = dict(settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"] = {**layer["CONFIG"], "prefix": prefix}
    settings.CHANNEL_LAYERS = {"default": layer}
    settings.REDIS_PREFIX = prefix


@pytest.fixture(autouse=True)
def _fresh_online_answer():
    """ "Is anyone online?" is kept a few seconds per process (routing.selectors): a test must
    not inherit the answer about an earlier test's agents (the ids repeat across tests)."""
    from routing.selectors import team_has_agent_online_forget

    team_has_agent_online_forget()


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """Django keeps content type ids per process; a transactional test's flush makes the table
    anew with other ids, and an admin history row (LogEntry) written with a remembered id then
    fails its foreign key at commit (the KB draft's, in a full run)."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
