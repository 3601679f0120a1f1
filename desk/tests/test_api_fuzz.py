"""Schemathesis against the live OpenAPI schema, on a real daphne: every operation of /api/v1/
as a signed-in agent and of /api/widget/v1/ with a visitor token, valid and invalid input. No
answer may be a 5xx, and every documented answer must match its schema.

Bounded and reproducible: a few examples per operation and mode, derandomized, no example
database: about a minute on an idle 2-core machine, and the same cases every time.
"""

import contextlib

import pytest
import requests
import schemathesis
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from chat import services as chat_services
from chat.models import Channel, SenderType
from chat.tests.factories import ConversationFactory, WidgetSiteFactory
from chat.widget.sessions import widget_session_open
from desk.tests.live_server import new_redis_prefix
from routing.tests.factories import TeamFactory
from tickets.tests.factories import TicketFactory

EXAMPLES = 6  # per operation and generation mode
CHECKS = [not_a_server_error, response_schema_conformance]
SETTINGS = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected, not raised
    suppress_health_check=list(HealthCheck),
)


def _agent_session(daphne_url: str, agent) -> requests.Session:
    """A requests session with the agent's session cookie and a CSRF token (cookie + header)."""
    client = Client()
    client.force_login(agent.user)
    session = requests.Session()
    session.cookies.set(
        django_settings.SESSION_COOKIE_NAME,
        client.cookies[django_settings.SESSION_COOKIE_NAME].value,
    )
    page = session.get(f"{daphne_url}/desk/", timeout=10)
    assert page.status_code == 200
    session.headers["X-CSRFToken"] = session.cookies[django_settings.CSRF_COOKIE_NAME]
    session.headers["Referer"] = f"{daphne_url}/desk/"
    return session


def _path_ids(path: str, ids: dict[str, int]) -> dict[str, int] | None:
    """`{"id": …}` of a row that exists, for paths under a prefix of `ids`; else None."""
    for prefix, pk in ids.items():
        if path.startswith(prefix + "{id}"):
            return {"id": pk}
    return None


def _run_operation(operation, mode, session, base_url, failures, statuses, ids, headers, cookies):
    # Valid cases aim at rows that exist (random ids are only 404s); invalid ones make their own.
    path = _path_ids(operation.path, ids) if mode == GenerationMode.POSITIVE else None
    strategy = operation.as_strategy(
        generation_mode=mode, headers=headers, cookies=cookies, path_parameters=path
    )

    @SETTINGS
    @given(case=strategy)
    def run(case):
        response = case.call(base_url=base_url, session=session, timeout=30)
        statuses.append(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Failure, FailureGroup) as exc:  # every failure is reported, not only the first
            found = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
            for failure in found:
                failures.append(
                    f"{operation.label} [{mode.value}] -> {response.status_code}: "
                    f"{failure.title}: {' '.join(failure.message.split())[:400]}"
                    f"\n    {case.as_curl_command()}"
                )

    run()


def _fuzz(schema, session: requests.Session, base_url: str, *, ids, headers=None, cookies=None):
    """Runs every operation of `schema`; returns one line per failing case (empty: all good)
    and the status of every answer."""
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda operation: "sign-out" in operation.path)  # it revokes the token
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # Unsatisfiable: nothing of it can be made invalid (e.g. only a fixed header).
            with contextlib.suppress(Unsatisfiable):
                _run_operation(
                    operation, mode, session, base_url, failures, statuses, ids, headers, cookies
                )
    return failures, statuses


@pytest.fixture
def fuzz_server(daphne_processes, agent):
    """A daphne of this test's own (its own rate-limit counters), and rows to find."""
    server = daphne_processes(redis_prefix=new_redis_prefix())
    team = TeamFactory(name="Support")
    agent.teams.add(team)
    conversation = ConversationFactory(team=team)
    chat_services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="hello 你好"
    )
    ticket = TicketFactory(team=team, conversation=conversation)
    server.ids = {
        "/api/v1/conversations/": conversation.pk,
        "/api/v1/customers/": conversation.customer_id,
        "/api/v1/tickets/": ticket.pk,
    }
    return server


def test_agent_api_never_errors_and_answers_as_documented(fuzz_server, agent):
    session = _agent_session(fuzz_server.url, agent)
    schema = schemathesis.openapi.from_url(
        f"{fuzz_server.url}/api/schema/?format=json",
        cookies=session.cookies.get_dict(),
        timeout=30,
    ).include(path_regex="^/api/v1/")
    # The schema's cookie auth, else generated, would replace the session cookie in valid cases.
    cookies = session.cookies.get_dict()
    failures, statuses = _fuzz(
        schema, session, fuzz_server.url, ids=fuzz_server.ids, cookies=cookies
    )
    assert failures == [], "\n".join(failures)
    assert sum(200 <= status < 300 for status in statuses) >= 50  # signed in, rows found


def test_widget_api_never_errors_and_answers_as_documented(fuzz_server, agent):
    site = WidgetSiteFactory(key="shop")
    visitor = widget_session_open(site=site)
    conversation = ConversationFactory(
        customer=visitor.visitor.customer, widget_site=site, channel=Channel.WEB
    )
    chat_services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="hello 你好"
    )
    ticket = TicketFactory(conversation=conversation, requester=visitor.visitor.customer)
    ids = {
        "/api/widget/v1/conversations/": conversation.pk,
        "/api/widget/v1/tickets/": ticket.pk,
    }
    session = _agent_session(fuzz_server.url, agent)  # to read the schema only
    schema = schemathesis.openapi.from_url(
        f"{fuzz_server.url}/api/schema/?format=json",
        cookies=session.cookies.get_dict(),
        timeout=30,
    ).include(path_regex="^/api/widget/v1/")
    failures, statuses = _fuzz(
        schema,
        requests.Session(),
        fuzz_server.url,
        ids=ids,
        headers={"X-Visitor-Token": visitor.token},
    )
    assert failures == [], "\n".join(failures)
    assert sum(200 <= status < 300 for status in statuses) >= 5  # the token worked
