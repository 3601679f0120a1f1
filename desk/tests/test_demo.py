"""`load_demo` creates the demo once; a second run finds everything and creates nothing."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from desk.demo import ACCOUNTS, DEMO_PASSWORD, TEAMS
from tickets.models import Ticket, TicketEventKind

COUNTED_APPS = ("auth", "desk", "chat", "tickets", "routing")


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in COUNTED_APPS
        for model in apps.get_app_config(app).get_models()
    }


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_second_run_creates_nothing():
    _load()
    after_first = _row_counts()

    _load()

    assert _row_counts() == after_first
    assert after_first["auth.User"] == len(ACCOUNTS)
    assert after_first["chat.Customer"] > 0
    assert after_first["chat.Message"] > 0
    assert after_first["tickets.Ticket"] > 0


@pytest.mark.django_db
def test_demo_tickets_get_numbers_and_a_created_event():
    _load()

    for ticket in Ticket.objects.all():
        assert ticket.number.startswith("T-")
        assert list(ticket.events.values_list("kind", flat=True)) == [TicketEventKind.CREATED]


@pytest.mark.django_db
@pytest.mark.parametrize("account", ACCOUNTS, ids=lambda a: a.username)
def test_demo_logins_can_log_in(client, account):
    _load()

    assert client.login(username=account.username, password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_demo_supervisor_opens_the_admin_and_agents_do_not(client):
    _load()
    supervisor = next(a for a in ACCOUNTS if a.supervisor)
    agent = next(a for a in ACCOUNTS if not a.supervisor)

    client.login(username=supervisor.username, password=DEMO_PASSWORD)
    supervisor_response = client.get("/admin/")
    client.logout()
    client.login(username=agent.username, password=DEMO_PASSWORD)
    agent_response = client.get("/admin/")

    assert supervisor_response.status_code == 200
    assert agent_response.status_code == 302
    assert agent_response["Location"] == "/admin/login/?next=/admin/"


@pytest.mark.django_db
def test_demo_has_the_48_hour_rule_and_an_escalation_per_sla_policy():
    from tickets.models import AutomationRule, RuleTrigger, SlaPolicy, TeamHours

    _load()

    unhandled = AutomationRule.objects.get(trigger=RuleTrigger.HOURS_SINCE_CREATED)
    assert (unhandled.hours, unhandled.notify) == (48, "supervisors")
    escalated = AutomationRule.objects.filter(trigger=RuleTrigger.SLA_BREACHED)
    assert {rule.if_sla_policy_id for rule in escalated} == set(
        SlaPolicy.objects.values_list("pk", flat=True)
    )
    assert TeamHours.objects.count() == len(TEAMS)  # every team keeps the weekday calendar


@pytest.mark.django_db
def test_demo_has_the_routing_rules_in_order():
    from routing.models import RoutingRule

    _load()

    rules = list(RoutingRule.objects.select_related("team", "skill"))
    assert [(r.team.name, r.skill.name if r.skill else None) for r in rules] == [
        ("金牌客服组", None),
        ("财务组", None),
        ("售前 Sales", "English"),
        ("售后 Support", None),
    ]
    assert rules[1].keywords == ["退款", "refund"] and rules[3].channels == ["wechat"]
