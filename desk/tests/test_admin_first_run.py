"""What a supervisor trying the admin for the first time clicks: the waiting timeout among the
automation rules, rule forms that say what they do, the widget menu in one place."""

import json
import logging
import re
from pathlib import Path

import django
import pytest
from django.urls import reverse

from chat.tests.factories import WidgetSiteFactory
from desk.tests.admin_helpers import admin_form_data
from tickets.models import AutomationRule, RuleTrigger
from tickets.tests.factories import (
    WidgetMenuOptionFactory,
    WidgetMenuQuestionFactory,
)

pytestmark = pytest.mark.django_db


def _index_entry(client, object_name: str) -> dict:
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    models = [model for app in index.context["app_list"] for model in app["models"]]
    return next(model for model in models if model["object_name"] == object_name)


def _index_links(client, object_name: str) -> list[str]:
    entry = _index_entry(client, object_name)
    return [url for url in (entry["admin_url"], entry.get("add_url")) if url]


def _problems(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def _waiting_rule() -> AutomationRule:
    """The rule migration 0011 makes (made again here if a transactional test emptied it)."""
    rule = AutomationRule.objects.filter(trigger=RuleTrigger.CONVERSATION_WAITING).first()
    return rule or AutomationRule.objects.create(
        name="等待超时转工单 Ticket after waiting", trigger=RuleTrigger.CONVERSATION_WAITING
    )


def test_the_waiting_timeout_is_a_rule_among_the_automation_rules(supervisor_client, caplog):
    rule = _waiting_rule()
    caplog.set_level(logging.INFO)
    change = reverse("admin:tickets_automationrule_change", args=[rule.pk])

    (listing,) = _index_links(supervisor_client, "AutomationRule")[:1]
    page = supervisor_client.get(listing)
    assert rule in page.context["cl"].result_list
    form = supervisor_client.get(change).context["adminform"].form
    assert form["trigger"].value() == RuleTrigger.CONVERSATION_WAITING
    assert form["minutes"].value() is None  # follows TICKET_AFTER_WAITING_MINUTES

    data = admin_form_data(supervisor_client.get(change))
    saved = supervisor_client.post(change, {**data, "minutes": "45"})

    assert saved.status_code == 302
    assert AutomationRule.objects.get(pk=rule.pk).minutes == 45
    assert _problems(caplog) == []


def test_a_waiting_rule_refuses_conditions_a_conversation_does_not_have(supervisor_client):
    rule = _waiting_rule()
    change = reverse("admin:tickets_automationrule_change", args=[rule.pk])
    data = admin_form_data(supervisor_client.get(change))

    refused = supervisor_client.post(change, {**data, "if_status": "open", "hours": "3"})

    assert refused.status_code == 200
    assert set(refused.context["adminform"].form.errors) == {"if_status", "hours"}


def test_an_agent_does_not_reach_the_automation_rules(agent_client):
    response = agent_client.get(reverse("admin:tickets_automationrule_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# ---- keyword triggers: name → when it matches → what happens -----------------------------------

TRIGGER_ADD = "/admin/tickets/keywordtrigger/add/"


@pytest.mark.parametrize(
    ("language", "titles", "says"),
    [
        (
            "en",
            ["Rule", "When a customer message matches", "A ticket is created"],
            "When a customer message matches, a ticket is created with these values",
        ),
        (
            "zh-hans",
            ["规则", "客户消息匹配时", "创建工单"],
            "客户消息匹配时，系统会用以下值创建工单",
        ),
    ],
)
def test_the_keyword_trigger_form_reads_name_keywords_then_the_ticket_it_creates(
    supervisor_client, settings, language, titles, says
):
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = supervisor_client.get(TRIGGER_ADD)

    fieldsets = list(page.context["adminform"])
    assert [str(fieldset.name) for fieldset in fieldsets] == titles
    fields = [field.field.name for fieldset in fieldsets for line in fieldset for field in line]
    assert fields == [
        "name", "is_active", "position",
        "match", "keywords", "pattern",
        "priority", "category", "tags", "team",
    ]  # fmt: skip
    html = page.content.decode()
    assert says in html
    assert html.index('name="name"') < html.index('name="keywords"') < html.index('name="priority"')


# ---- the widget menu: a site's options, each with its questions --------------------------------


def test_menu_questions_are_edited_on_their_option_not_in_a_list_of_their_own(supervisor_client):
    option = WidgetMenuOptionFactory(label_zh="报修", label_en="Repair")
    WidgetMenuQuestionFactory(option=option, key="problem", label_en="Problem", position=2)
    WidgetMenuQuestionFactory(option=option, key="model", label_en="Model", position=1)
    WidgetMenuQuestionFactory(key="elsewhere")  # another option's
    entries = {
        model["object_name"]
        for app in supervisor_client.get(reverse("admin:index")).context["app_list"]
        for model in app["models"]
    }
    assert "WidgetMenuOption" in entries
    assert "WidgetMenuQuestion" not in entries

    url = reverse("admin:tickets_widgetmenuoption_change", args=[option.pk])
    page = supervisor_client.get(url)
    (inline,) = page.context["inline_admin_formsets"]
    assert [form.instance.key for form in inline.formset.initial_forms] == ["model", "problem"]
    data = admin_form_data(page)
    data["questions-0-label_en"] = "Model number"
    data["questions-1-position"] = "0"  # "problem" first now
    saved = supervisor_client.post(url, data)

    assert saved.status_code == 302
    assert [(q.key, q.label_en) for q in option.questions.all()] == [
        ("problem", "Problem"),
        ("model", "Model number"),
    ]
    listing = supervisor_client.get(reverse("admin:tickets_widgetmenuoption_changelist"))
    assert '<td class="field-question_count">2</td>' in listing.content.decode()


def test_a_sites_menu_is_listed_on_the_site_with_links_to_each_option(supervisor_client):
    site = WidgetSiteFactory(name="Shop")
    second = WidgetMenuOptionFactory(site=site, label_en="Invoice", position=2)
    first = WidgetMenuOptionFactory(site=site, label_en="Repair", position=1)
    WidgetMenuOptionFactory(label_en="Other site's")
    url = reverse("admin:chat_widgetsite_change", args=[site.pk])

    page = supervisor_client.get(url)

    (inline,) = page.context["inline_admin_formsets"]
    assert [form.instance for form in inline.formset.initial_forms] == [first, second]
    html = page.content.decode()
    assert reverse("admin:tickets_widgetmenuoption_change", args=[first.pk]) in html
    # Reordering the menu on the site page saves, and the site form still saves with it.
    data = admin_form_data(page)
    data["menu_options-0-position"] = "3"
    assert supervisor_client.post(url, data).status_code == 302
    assert [o.label_en for o in site.menu_options.order_by("position")] == ["Invoice", "Repair"]


# ---- the tag picker (filter_horizontal) speaks the page's language ----------------------------

SELECT_FILTER_JS = Path(django.__file__).parent / "contrib/admin/static/admin/js/SelectFilter2.js"
CHOOSE = 'Choose %s by selecting them and then select the "Choose" arrow button.'


def _js_catalog(client, page_html: str) -> dict:
    """The catalogue the page's own jsi18n script gives its `gettext`."""
    (src,) = re.findall(r'<script src="([^"]*jsi18n[^"]*)"', page_html)
    script = client.get(src).content.decode()
    found = re.search(r"const newcatalog = (\{.*?\});", script, re.S)
    return json.loads(found.group(1)) if found else {}  # English: no catalogue, the msgids


PICKER_STRINGS = re.compile(r"""gettext\((['"])(.+?)\1\)""")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("language", "tags", "choose"),
    [
        ("en", "tags", 'Choose tags by selecting them and then select the "Choose" arrow button.'),
        ("zh-hans", "标签", "选择标签：选中后点击“选择”箭头按钮。"),
    ],
)
def test_the_tag_picker_is_in_the_pages_language(
    supervisor_client, settings, language, tags, choose
):
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = supervisor_client.get(TRIGGER_ADD).content.decode()
    catalog = _js_catalog(supervisor_client, html)

    (field_name,) = re.findall(r'<select name="tags"[^>]*data-field-name="([^"]*)"', html)
    assert field_name == tags
    assert catalog.get(CHOOSE, CHOOSE).replace("%s", field_name) == choose
    if language == "zh-hans":  # every string of the picker, not just this one
        strings = [text for _, text in PICKER_STRINGS.findall(SELECT_FILTER_JS.read_text())]
        assert len(strings) >= 10
        assert [text for text in strings if not CHINESE.search(catalog.get(text, ""))] == []
