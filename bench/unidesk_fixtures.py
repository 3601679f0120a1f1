"""Data for bench/ws_load.py: a migrated bench database, agent sessions and widget tokens.

Every row is made through the application's own services, as in production:

- a team, and a widget site whose new conversations go to it (`offline_tickets` left on, as a
  merchant has it: a chat becomes a leave-a-message ticket only when nobody is online);
- agents of that team (`routing.services.agent_create`), each set online through
  `routing.services.agent_set_presence` (the workspace socket's `presence.set` frame calls the
  same service), with a logged-in session;
- one widget visitor per customer (`chat.widget.sessions.visitor_token_for_new_visitor`);
- scenario "ticketed" only: each visitor's first message (`widget_message_send`) and an open
  ticket made from the conversation (`tickets.services.ticket_create_from_conversation`, as the
  ticket button does), so every message of the run continues a ticket.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("chatting", "ticketed")

SETUP = r"""
import json, sys, uuid
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from chat.widget import services as widget_services
from chat.widget import sessions as widget_sessions
from chat.widget.models import WidgetSite
from routing import services as routing_services
from routing.models import Presence
from tickets.models import TicketSource
from tickets.services import TicketData, ticket_create_from_conversation

customers, agents, scenario = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
team = routing_services.team_create(name="Bench")
sessions, users = [], []
for index in range(agents):
    profile = routing_services.agent_create(
        username=f"bench-agent-{index}",
        password=uuid.uuid4().hex,
        display_name=f"Bench agent {index}",
        teams=[team],
    )
    routing_services.agent_set_presence(
        actor=profile.user, profile=profile, presence=Presence.ONLINE
    )
    store = SessionStore()
    store[SESSION_KEY] = str(profile.user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = profile.user.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
    users.append(profile.user)
site = WidgetSite.objects.create(key="bench", name="Bench", team=team, offline_tickets=True)
tokens = [widget_sessions.visitor_token_for_new_visitor(site=site) for _ in range(customers)]
tickets = 0
if scenario == "ticketed":
    for index, token in enumerate(tokens):
        visitor = widget_sessions.visitor_from_token(token)
        result = widget_services.widget_message_send(
            visitor=visitor, client_msg_id=uuid.uuid4().hex, body="I need help with my order"
        )
        made = ticket_create_from_conversation(
            actor=users[index % agents],
            conversation=result.message.conversation,
            data=TicketData(subject=""),
            source=TicketSource.BUTTON,
        )
        tickets += made.created
print(json.dumps({"sessions": sessions, "tokens": tokens, "tickets": tickets}))
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
        # The per-sender message limits stay checked (one Redis call each, as in production) but
        # high enough that the stepped load (up to 2 messages a second per customer, and the
        # agents' replies) is never refused.
        "RATE_VISITOR_MESSAGES": "100000/5",
        "RATE_AGENT_MESSAGES": "100000/10",
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


def flush_redis(redis_url: str) -> None:
    """The bench's own Redis database starts empty: no Celery backlog, rate-limit windows or
    socket slots left over from an earlier run."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def prepare(env: dict[str, str], customers: int, agents: int, scenario: str) -> dict:
    """A fresh database with `agents` logged-in online agents and `customers` visitor tokens
    (and, for "ticketed", a conversation with an open ticket for each)."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}")
    started = time.monotonic()
    recreate_database(env["DATABASE_URL"])
    flush_redis(env["REDIS_URL"])
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True
    )
    out = subprocess.run(
        [sys.executable, "-c", SETUP, str(customers), str(agents), scenario],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["seconds"] = time.monotonic() - started
    return data
