"""Data for bench/ws_load.py: a migrated bench database, agent sessions and widget tokens."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent

SETUP = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from chat.widget import sessions as widget_sessions
from chat.models import WidgetSite
from routing.models import AgentProfile
from routing.tests.factories import AgentProfileFactory

customers, agents = int(sys.argv[1]), int(sys.argv[2])
sessions = []
for index in range(agents):
    profile = AgentProfileFactory(user__username=f"bench-agent-{index}")
    store = SessionStore()
    store[SESSION_KEY] = str(profile.user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = profile.user.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
site, _ = WidgetSite.objects.get_or_create(key="bench", defaults={"name": "Bench"})
tokens = [widget_sessions.visitor_token_for_new_visitor(site=site) for _ in range(customers)]
print(json.dumps({"sessions": sessions, "tokens": tokens}))
"""


def environment(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": "unidesk-bench",
        "UNIDESK_NO_BOOTSTRAP": "1",
        "DB_CONN_MAX_AGE": "60",  # as `manage.py up` and deployments run it
        # Hundreds of visitors of one site start at once: a flood the site limits would refuse.
        "RATE_NEW_VISITORS_PER_SITE": "0/60",
        "RATE_NEW_CONVERSATIONS_PER_SITE": "0/60",
        "DJANGO_SETTINGS_MODULE": "desk.settings",
        "PYTHONPATH": str(ROOT),
    }


def recreate_database(database_url: str) -> None:
    """An empty database (the baseline's table and Unidesk's schema each start from nothing)."""
    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(env: dict[str, str], customers: int, agents: int) -> dict:
    """A fresh database with `agents` logged-in agents and `customers` visitor tokens."""
    recreate_database(env["DATABASE_URL"])
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True
    )
    out = subprocess.run(
        [sys.executable, "-c", SETUP, str(customers), str(agents)],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])
