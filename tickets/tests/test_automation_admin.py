"""The supervisors' admin of automation rules: bad input is refused with a clear message and
nothing saved; the dry run lists the open tickets a rule would touch now and changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from desk.kernel.choices import Priority
from routing.tests.factories import TeamFactory
from tickets.models import AutomationRule, RuleExecution, RuleTrigger, Ticket, TicketStatus
from tickets.tests.factories import AutomationRuleFactory, TicketFactory

pytestmark = pytest.mark.django_db
ADD = reverse("admin:tickets_automationrule_add")


def made():
    """The rules these tests made (migration 0011's waiting rule is there too)."""
    return AutomationRule.objects.exclude(trigger=RuleTrigger.CONVERSATION_WAITING)


def form(**fields) -> dict:
    data = {
        "name": "Rule",
        "is_active": "on",
        "position": "0",
        "trigger": RuleTrigger.TICKET_CREATED,
        "hours": "",
        "if_status": "",
        "if_priority": "",
        "if_team": "",
        "if_category": "",
        "if_channel": "",
        "if_assigned": "",
        "if_min_vip_level": "",
        "if_sla_policy": "",
        "set_assignee": "",
        "set_team": "",
        "set_priority": "",
        "set_status": "",
        "internal_note": "",
        "customer_reply": "",
        "notify": "",
        "notify_text": "",
    }
    data.update(fields)
    return data


def refused(response) -> set[str]:
    """The fields the form refused (`__all__`: the rule as a whole); nothing was saved. The
    messages themselves follow the supervisor's language, so the tests look at the fields."""
    assert response.status_code == 200, "the form was accepted"
    assert not made().exists()
    return set(response.context["adminform"].form.errors)


def test_a_good_rule_is_saved(supervisor_client):
    response = supervisor_client.post(ADD, form(set_priority=str(Priority.P0)))
    assert response.status_code == 302
    assert made().get().set_priority == Priority.P0


def test_a_rule_with_no_action_is_refused(supervisor_client):
    assert refused(supervisor_client.post(ADD, form())) == {"__all__"}


def test_a_time_rule_needs_its_hours_in_range(supervisor_client):
    time_rule = {"trigger": RuleTrigger.HOURS_SINCE_CREATED, "set_priority": "1"}
    assert refused(supervisor_client.post(ADD, form(**time_rule))) == {"hours"}
    assert refused(supervisor_client.post(ADD, form(hours="0", **time_rule))) == {"hours"}
    assert refused(supervisor_client.post(ADD, form(hours="100000", **time_rule))) == {"hours"}
    event_rule_with_hours = form(hours="5", set_priority="1")
    assert refused(supervisor_client.post(ADD, event_rule_with_hours)) == {"hours"}


def test_a_status_change_the_state_machine_forbids_is_refused(supervisor_client):
    closed_to_pending = form(if_status=TicketStatus.CLOSED, set_status=TicketStatus.PENDING)
    assert refused(supervisor_client.post(ADD, closed_to_pending)) == {"set_status"}
    back_to_new = form(set_status=TicketStatus.NEW)
    assert refused(supervisor_client.post(ADD, back_to_new)) == {"set_status"}


def test_an_inactive_or_deleted_team_is_refused(supervisor_client):
    gone = TeamFactory(name="Gone", is_active=False)
    assert refused(supervisor_client.post(ADD, form(set_team=str(gone.pk)))) == {"set_team"}
    assert "set_team" in refused(supervisor_client.post(ADD, form(set_team="999999")))


def test_setting_and_raising_the_priority_at_once_is_refused(supervisor_client):
    both = form(set_priority="1", raise_priority="on")
    assert refused(supervisor_client.post(ADD, both)) == {"raise_priority"}


def test_the_dry_run_lists_the_tickets_a_rule_would_touch_and_changes_nothing(supervisor_client):
    old = TicketFactory(subject="Old and new")
    TicketFactory(subject="Old but done", status=TicketStatus.RESOLVED)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=50))
    Ticket.objects.exclude(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=50))
    fresh = TicketFactory(subject="Fresh one")
    time_rule = AutomationRuleFactory(
        name="48 h", trigger=RuleTrigger.HOURS_SINCE_CREATED, hours=48, set_priority=Priority.P0
    )
    event_rule = AutomationRuleFactory(name="Every new one", set_priority=Priority.P0)
    before = list(Ticket.objects.order_by("pk").values_list("priority", "updated_at"))

    page = supervisor_client.get(
        reverse("admin:tickets_automationrule_dry_run", args=[time_rule.pk])
    )
    listed = supervisor_client.post(
        reverse("admin:tickets_automationrule_changelist"),
        {"action": "dry_run", "_selected_action": [time_rule.pk, event_rule.pk]},
    )

    assert [t.pk for _rule, found in page.context["results"] for t in found] == [old.pk]
    assert "Old and new" in page.content.decode()
    results = {rule.name: [t.pk for t in found] for rule, found in listed.context["results"]}
    assert results == {"48 h": [old.pk], "Every new one": [fresh.pk, old.pk]}
    assert list(Ticket.objects.order_by("pk").values_list("priority", "updated_at")) == before
    assert not RuleExecution.objects.exists()


def test_the_change_page_links_to_the_dry_run(supervisor_client):
    rule = AutomationRuleFactory(name="Linked")
    page = supervisor_client.get(reverse("admin:tickets_automationrule_change", args=[rule.pk]))
    assert reverse("admin:tickets_automationrule_dry_run", args=[rule.pk]) in page.content.decode()


def test_agents_cannot_dry_run(agent_client):
    rule = AutomationRuleFactory(name="Secret")
    response = agent_client.get(reverse("admin:tickets_automationrule_dry_run", args=[rule.pk]))
    assert response.status_code in (302, 403)
