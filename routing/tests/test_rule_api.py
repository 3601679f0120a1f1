"""The supervisors' routing rule API: /api/v1/routing/rules/ (issue 12)."""

import pytest
from django.contrib.admin.models import LogEntry

from routing.models import RoutingRule
from routing.tests.factories import RoutingRuleFactory, SkillFactory, TeamFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/routing/rules/"


def post(client, data):
    return client.post(URL, data, content_type="application/json")


@pytest.fixture
def gold():
    return TeamFactory(name="金牌客服组")


def test_a_supervisor_creates_reads_updates_and_deletes_a_rule(supervisor_client, gold):
    english = SkillFactory(name="English")

    created = post(supervisor_client, {
        "name": "VIP", "min_vip_level": 3, "team": gold.pk, "skill": english.pk,
        "min_skill_level": 3, "priority": 1, "keywords": ["退款"], "channels": ["wechat"],
        "hours": "inside", "weekdays": [0, 1, 2, 3, 4], "start_time": "09:00",
        "end_time": "18:00", "timezone": "Asia/Shanghai", "applies_to": "both",
    })  # fmt: skip

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["team"], body["team_name"], body["skill_name"]) == (
        gold.pk,
        "金牌客服组",
        "English",
    )
    assert (body["priority"], body["min_skill_level"], body["keywords"]) == (1, 3, ["退款"])
    rule_url = f"{URL}{body['id']}/"
    assert supervisor_client.get(URL).json()[0]["name"] == "VIP"
    assert supervisor_client.get(rule_url).json()["start_time"] == "09:00:00"

    changed = supervisor_client.patch(
        rule_url, {"position": 5, "skill": None}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.json()
    rule = RoutingRule.objects.get(pk=body["id"])
    assert (rule.position, rule.skill_id, rule.min_vip_level) == (5, None, 3)

    assert supervisor_client.delete(rule_url).status_code == 204
    assert not RoutingRule.objects.exists()
    assert LogEntry.objects.filter(object_id=str(body["id"])).count() == 3


def test_the_list_is_in_position_order(supervisor_client):
    RoutingRuleFactory(name="b", position=20)
    RoutingRuleFactory(name="a", position=10)
    assert [r["name"] for r in supervisor_client.get(URL).json()] == ["a", "b"]


def test_an_agent_who_is_not_a_supervisor_gets_403(agent_client):
    rule = RoutingRuleFactory()
    for response in (
        agent_client.get(URL),
        post(agent_client, {"name": "x", "team": rule.team_id}),
        agent_client.delete(f"{URL}{rule.pk}/"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert RoutingRule.objects.filter(pk=rule.pk).exists()


def test_an_unknown_rule_is_404(supervisor_client):
    assert supervisor_client.get(f"{URL}99999/").status_code == 404


BAD = [
    ({"team": 99999}, "team"),
    ({"skill": 99999}, "skill"),
    ({"channels": ["fax"]}, "channels"),
    ({"languages": ["tlh"]}, "languages"),
    ({"skill_level": None, "min_skill_level": 0}, "min_skill_level"),
    ({"min_skill_level": 6}, "min_skill_level"),
    ({"priority": 7}, "priority"),
    ({"hours": "inside", "start_time": "18:00", "end_time": "09:00"}, "end_time"),
    ({"hours": "inside", "start_time": "09:00", "end_time": "09:00"}, "end_time"),
    ({"start_time": "18:00", "end_time": "09:00"}, "end_time"),
    ({"hours": "inside", "start_time": "09:00"}, "end_time"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"keywords": ["退款"] * 51}, "keywords"),
    ({"keywords": ["x" * 51]}, "keywords"),
    ({"min_vip_level": 10}, "min_vip_level"),
    ({"hours": "sometimes"}, "hours"),
]


@pytest.mark.parametrize("bad,field", BAD)
def test_bad_input_is_400_with_the_field_and_changes_nothing(supervisor_client, gold, bad, field):
    existing = RoutingRuleFactory(name="Keep", team=gold, keywords=["a"])
    data = {"name": "New", "team": gold.pk, **bad}
    data.pop("skill_level", None)

    created = post(supervisor_client, data)
    changed = supervisor_client.patch(
        f"{URL}{existing.pk}/", {k: v for k, v in data.items() if k != "name"},
        content_type="application/json",
    )  # fmt: skip

    for response in (created, changed):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert field in error["fields"], error
        assert all(isinstance(text, str) and text for text in error["fields"][field])
    assert list(RoutingRule.objects.values_list("name", "keywords")) == [("Keep", ["a"])]
    assert not LogEntry.objects.exists()


def test_the_messages_name_what_is_wrong(supervisor_client, gold, settings):
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post(supervisor_client, {
        "name": "x", "team": 99999, "channels": ["fax"], "keywords": ["k"] * 51,
        "hours": "inside", "start_time": "18:00", "end_time": "09:00", "timezone": "Mars/X",
    })  # fmt: skip

    fields = response.json()["error"]["fields"]
    assert fields["team"] == ["There is no team with id 99999."]
    # the rule's own checks run once the fields themselves are readable
    response = post(supervisor_client, {
        "name": "x", "team": gold.pk, "channels": ["fax"], "keywords": ["k"] * 51,
        "hours": "inside", "start_time": "18:00", "end_time": "09:00", "timezone": "Mars/X",
    })  # fmt: skip
    fields = response.json()["error"]["fields"]
    assert fields["channels"] == [
        "Unknown: fax. Known: web, app, wechat, whatsapp, telegram, email."
    ]
    assert fields["keywords"] == ["At most 50 entries."]
    assert fields["end_time"] == ["The end of the hours must be after their start."]
    assert fields["timezone"] == ["Unknown time zone; use a name like Asia/Shanghai."]


def test_a_patch_keeps_the_hours_consistent_with_what_is_stored(supervisor_client):
    rule = RoutingRuleFactory(hours="inside", start_time="09:00", end_time="18:00")
    response = supervisor_client.patch(
        f"{URL}{rule.pk}/", {"start_time": "19:00"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "end_time" in response.json()["error"]["fields"]
