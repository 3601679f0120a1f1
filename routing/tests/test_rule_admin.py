"""The routing rules' admin (issue 12): edited with checkboxes and lines, reordered from the list,
and a team or skill a rule uses cannot be deleted."""

import pytest
from django.urls import reverse

from desk.tests.admin_helpers import admin_form_data
from routing.models import RoutingRule, Skill, Team
from routing.tests.factories import RoutingRuleFactory, SkillFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_a_supervisor_adds_a_rule_with_checkboxes_and_one_keyword_per_line(supervisor_client):
    team = TeamFactory(name="财务组")
    url = reverse("admin:routing_routingrule_add")
    data = admin_form_data(supervisor_client.get(url))
    data.update(
        name="退款",
        team=str(team.pk),
        channels=["web", "wechat"],
        languages=["zh"],
        keywords="退款\n refund \n\n",
        categories="",
        customer_attributes='{"plan": "Gold"}',
        weekdays=["0", "1"],
        timezone="Asia/Shanghai",
        hours="any",
        min_skill_level="1",
        position="5",
        applies_to="both",
    )

    response = supervisor_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = RoutingRule.objects.get(name="退款")
    assert (rule.channels, rule.languages, rule.keywords) == (
        ["web", "wechat"],
        ["zh"],
        ["退款", "refund"],
    )
    assert (rule.weekdays, rule.customer_attributes) == ([0, 1], {"plan": "Gold"})


def test_hours_that_end_before_they_start_are_refused(supervisor_client):
    rule = RoutingRuleFactory(name="Night")
    url = reverse("admin:routing_routingrule_change", args=[rule.pk])
    data = admin_form_data(supervisor_client.get(url))
    data.update(hours="inside", start_time="18:00", end_time="09:00", keywords="", categories="")

    response = supervisor_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end_time"]
    assert RoutingRule.objects.get(pk=rule.pk).hours == "any"


def test_the_list_is_in_position_order_and_reorders_in_place(supervisor_client):
    second = RoutingRuleFactory(name="second", position=20)
    first = RoutingRuleFactory(name="first", position=10)
    url = reverse("admin:routing_routingrule_changelist")

    response = supervisor_client.get(url)
    assert [r.pk for r in response.context["cl"].result_list] == [first.pk, second.pk]

    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": str(first.pk),
        "form-0-position": "30",
        "form-0-is_active": "on",
        "form-1-id": str(second.pk),
        "form-1-position": "20",
        "_save": "Save",
    }
    response = supervisor_client.post(url, data)

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.position, first.is_active, second.is_active) == (30, True, False)


@pytest.mark.parametrize("model", ["team", "skill"])
def test_a_team_or_skill_a_rule_uses_cannot_be_deleted(supervisor_client, settings, model):
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    team, skill = TeamFactory(name="金牌客服组"), SkillFactory(name="English")
    RoutingRuleFactory(name="VIP", team=team, skill=skill)
    target = team if model == "team" else skill
    url = reverse(f"admin:routing_{model}_delete", args=[target.pk])

    page = supervisor_client.get(url)
    response = supervisor_client.post(url, {"post": "yes"})

    assert page.status_code == response.status_code == 200
    for answer in (page, response):
        html = answer.content.decode()
        assert "would require deleting the following protected related objects" in html
        assert "<li>Routing rule: <a " in html and ">VIP</a></li>" in html
        assert answer.context["protected"]
    assert Team.objects.filter(pk=team.pk).exists() and Skill.objects.filter(pk=skill.pk).exists()
    assert RoutingRule.objects.filter(name="VIP", team=team, skill=skill).exists()


def test_an_unused_team_can_still_be_deleted(supervisor_client):
    team = TeamFactory(name="Spare")
    url = reverse("admin:routing_team_delete", args=[team.pk])

    response = supervisor_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()
