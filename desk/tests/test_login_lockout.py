"""Login failures are limited per username and per IP address (django-axes, counters in Redis):
after LOGIN_FAILURE_LIMIT failures even the right password is refused with a 429 page, on the
workspace login and the admin login alike, until the cool-off ends or a supervisor unlocks it."""

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = ["/accounts/login/", "/admin/login/"]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 20
    settings.AXES_COOLOFF_TIME = 0.25  # hours


def log_in(client, page, username, password, ip="203.0.113.7", **extra):
    return client.post(
        page, {"username": username, "password": password}, REMOTE_ADDR=ip, **EN, **extra
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("page", PAGES)
def test_twenty_one_wrong_passwords_then_the_right_one_is_refused(page, supervisor, password):
    client = Client()
    for _ in range(21):
        log_in(client, page, supervisor.user.username, "wrong")
    response = log_in(client, page, supervisor.user.username, password)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many failed sign-ins" in response.content.decode()
    assert "Try again in 15 minutes." in response.content.decode()
    assert not signed_in(client)


@pytest.mark.parametrize("page", PAGES)
def test_a_few_wrong_passwords_do_not_lock_anyone_out(page, supervisor, password):
    client = Client()
    for _ in range(19):
        assert log_in(client, page, supervisor.user.username, "wrong").status_code == 200
    response = log_in(client, page, supervisor.user.username, password)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_username_is_locked_from_every_address(agent, password):
    for n in range(20):
        log_in(Client(), PAGES[n % 2], agent.user.username, "wrong", ip=f"198.51.100.{n}")
    client = Client()
    response = log_in(client, PAGES[0], agent.user.username, password, ip="192.0.2.1")
    assert response.status_code == 429
    assert not signed_in(client)


def test_one_address_is_locked_across_usernames(agent, supervisor, password):
    for n in range(20):
        log_in(Client(), PAGES[0], f"guess{n}", "wrong")
    client = Client()
    assert log_in(client, PAGES[0], agent.user.username, password).status_code == 429
    assert not signed_in(client)
    # The same user from another address is not held back (their username has no failures).
    other = Client()
    assert log_in(other, PAGES[0], agent.user.username, password, ip="192.0.2.1").status_code == 302
    assert signed_in(other)


def test_the_locked_out_page_speaks_chinese(agent):
    client = Client()
    for _ in range(20):
        log_in(client, PAGES[0], agent.user.username, "wrong")
    response = client.post(
        PAGES[0],
        {"username": agent.user.username, "password": "x"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录失败次数过多" in page
    assert "15 分钟后再试" in page


def test_a_supervisor_unlocks_a_username_and_an_address(agent, password):
    for _ in range(20):
        log_in(Client(), PAGES[0], agent.user.username, "wrong")
    call_command("axes_reset_username", agent.user.username)
    call_command("axes_reset_ip", "203.0.113.7")
    client = Client()
    assert log_in(client, PAGES[0], agent.user.username, password).status_code == 302
    assert signed_in(client)


def test_force_login_and_sessions_keep_working(agent_client):
    assert agent_client.get("/desk/").status_code == 200
