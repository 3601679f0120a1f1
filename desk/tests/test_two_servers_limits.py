"""Rate limits and login lockouts hold across two daphne processes sharing one Redis: an attacker
cannot double their budget by spreading requests over the servers behind the proxy."""

import http.cookiejar
import json
import re
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from chat.models import Customer
from chat.tests.factories import WidgetSiteFactory
from desk.tests.live_server import new_redis_prefix
from routing.tests.factories import AgentProfileFactory

PASSWORD = "correct horse battery staple"


def post(url: str, data: bytes, headers: dict, opener=None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def two_servers(daphne_processes, monkeypatch):
    monkeypatch.setenv("RATE_NEW_VISITORS_PER_IP", "2/600")
    monkeypatch.setenv("LOGIN_FAILURE_LIMIT", "3")
    prefix = new_redis_prefix()
    return daphne_processes(redis_prefix=prefix), daphne_processes(redis_prefix=prefix)


def test_new_visitors_per_ip_are_counted_across_servers(two_servers):
    server_a, server_b = two_servers
    WidgetSiteFactory(key="kettles")
    body = json.dumps({"site": "kettles"}).encode()
    headers = {"Content-Type": "application/json", "Origin": server_a.url}
    answers = [post(f"{server.url}/api/widget/v1/sessions/", body, headers)
               for server in (server_a, server_b, server_a)]  # fmt: skip
    assert [status for status, _, _ in answers] == [200, 200, 429]
    _, refused_headers, refused_body = answers[-1]
    error = json.loads(refused_body)["error"]
    assert error["code"] == "rate_limited"
    assert refused_headers["Retry-After"] == str(error["retry_after"])
    assert Customer.objects.count() == 2


def login(server, username: str, password: str) -> tuple[int, dict, bytes]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirects())
    with opener.open(f"{server.url}/accounts/login/", timeout=10) as page:
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read()).group(1)
    form = urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.decode()}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"{server.url}/accounts/login/",
        "Accept-Language": "en",
    }
    return post(f"{server.url}/accounts/login/", form.encode(), headers, opener)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_login_failures_are_counted_across_servers(two_servers):
    from desk.tests.live_server import server_password

    server_a, server_b = two_servers
    agent = AgentProfileFactory()
    server_password(agent.user, PASSWORD)
    name = agent.user.username
    statuses = [login(server, name, "wrong")[0] for server in (server_a, server_b)]
    assert statuses == [200, 200]
    assert login(server_a, name, "wrong")[0] == 429  # the third failure locks the username
    status, headers, page = login(server_b, name, PASSWORD)
    assert status == 429
    assert "Retry-After" in headers
    assert b"Too many failed sign-ins" in page
