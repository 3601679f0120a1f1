"""转工单 way 3 (the widget menu) and way 4 offline (leave-a-message mode), through the services."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from chat.models import Message, SenderType
from chat.tests.factories import WidgetSiteFactory
from chat.widget import sessions as widget_sessions
from chat.widget.services import visitor_conversation_start, widget_message_send
from desk.kernel.choices import Priority
from routing import selectors as routing_selectors
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.models import Ticket, TicketSource
from tickets.models.menu import QuestionKind, WidgetMenuOption, WidgetMenuQuestion
from tickets.sources.menu.selectors import site_menu_json, visitor_menu_option
from tickets.sources.menu.services import MenuAnswersInvalid, ticket_create_from_menu
from tickets.tests.factories import CategoryFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_online_cache():
    routing_selectors.team_has_agent_online_forget()
    yield
    routing_selectors.team_has_agent_online_forget()


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Runs the callbacks of the commit (domain-event handlers: the offline ticket)."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def team():
    return TeamFactory(name="Sales")


@pytest.fixture
def site(team):
    return WidgetSiteFactory(key="shop", team=team)


def repair_option(site, **extra) -> WidgetMenuOption:
    option = WidgetMenuOption.objects.create(
        site=site,
        label_zh="报修",
        label_en="Repair",
        category=CategoryFactory(name="Repairs"),
        priority=Priority.P1,
        team=TeamFactory(name="After-sales"),
        **extra,
    )
    option.tags.set([TagFactory(name="repair")])
    WidgetMenuQuestion.objects.create(
        option=option, key="model", label_zh="型号", label_en="Model", position=1
    )
    WidgetMenuQuestion.objects.create(
        option=option,
        key="problem",
        label_zh="问题",
        label_en="Problem",
        kind=QuestionKind.CHOICE,
        choices="不开机 Won't start\n漏水 Leaks",
        position=2,
    )
    WidgetMenuQuestion.objects.create(
        option=option,
        key="note",
        label_zh="备注",
        label_en="Note",
        kind=QuestionKind.TEXTAREA,
        required=False,
        position=3,
    )
    return option


def visitor_of(site):
    return widget_sessions.widget_session_open(site=site).visitor


ANSWERS = {"model": "K-200 水壶", "problem": "漏水 Leaks", "note": ""}


def test_menu_answers_become_a_ticket_with_the_options_fields(site):
    option = repair_option(site)
    visitor = visitor_of(site)

    ticket = ticket_create_from_menu(visitor=visitor, option=option, answers=ANSWERS)

    assert ticket.source == TicketSource.MENU
    assert ticket.subject == "报修: K-200 水壶"
    assert (ticket.category.name, ticket.priority, ticket.team.name) == (
        "Repairs",
        Priority.P1,
        "After-sales",
    )
    assert [tag.name for tag in ticket.tags.all()] == ["repair"]
    assert ticket.custom_fields["menu"] == {
        "option_id": option.pk,
        "option": "报修 / Repair",
        "answers": {"model": "K-200 水壶", "problem": "漏水 Leaks"},
    }
    assert ticket.requester_id == visitor.customer_id
    said = Message.objects.get(conversation=ticket.conversation, sender_type=SenderType.CUSTOMER)
    assert said.body == "【报修 / Repair】\n型号 / Model: K-200 水壶\n问题 / Problem: 漏水 Leaks"
    card = Message.objects.get(conversation=ticket.conversation, content_type="ticket")
    assert card.payload["number"] == ticket.number


def test_a_second_menu_ticket_joins_the_same_conversation(site):
    option = repair_option(site)
    visitor = visitor_of(site)

    first = ticket_create_from_menu(visitor=visitor, option=option, answers=ANSWERS)
    second = ticket_create_from_menu(visitor=visitor, option=option, answers=ANSWERS)

    assert first.pk != second.pk
    assert first.conversation_id == second.conversation_id


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"problem": "漏水 Leaks"}, {"model": ["This field is required."]}),
        (
            {"model": "K", "problem": "Burnt"},
            {"problem": ["Choose one of the listed answers."]},
        ),
        ({"model": "x" * 1001, "problem": "漏水 Leaks"}, {"model": ["At most 1000 characters."]}),
        ({"model": 5, "problem": "漏水 Leaks"}, {"model": ["Answer with text."]}),
        (
            {"model": "K", "problem": "漏水 Leaks", "color": "red"},
            {"color": ["There is no such question."]},
        ),
        (["K"], {"answers": ["Send the answers as an object."]}),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(site, answers, errors):
    option = repair_option(site)
    visitor = visitor_of(site)

    with translation.override("en"), pytest.raises(MenuAnswersInvalid) as refused:
        ticket_create_from_menu(visitor=visitor, option=option, answers=answers)

    assert refused.value.errors == errors
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()
    assert not visitor.customer.conversations.exists()


def test_another_sites_or_an_inactive_option_is_not_found(site):
    other = repair_option(WidgetSiteFactory(key="other"))
    inactive = repair_option(site, is_active=False)
    visitor = visitor_of(site)

    assert visitor_menu_option(visitor, other.pk) is None
    assert visitor_menu_option(visitor, inactive.pk) is None
    with pytest.raises(LookupError):
        ticket_create_from_menu(visitor=visitor, option=other, answers=ANSWERS)
    assert not Ticket.objects.exists()


def test_the_site_menu_lists_active_options_in_order_with_their_questions(site):
    repair = repair_option(site, position=2)
    invoice = WidgetMenuOption.objects.create(
        site=site, label_zh="发票", label_en="Invoice", position=1
    )
    repair_option(site, is_active=False)

    with CaptureQueriesContext(connection) as queries:
        menu = site_menu_json(site.pk)

    assert len(queries) == 2
    assert [item["id"] for item in menu] == [invoice.pk, repair.pk]
    assert menu[1]["label"] == {"zh-hans": "报修", "en": "Repair"}
    assert menu[1]["questions"][1] == {
        "key": "problem",
        "label": {"zh-hans": "问题", "en": "Problem"},
        "kind": "choice",
        "choices": ["不开机 Won't start", "漏水 Leaks"],
        "required": True,
    }
    assert site_menu_json(None) == []


def test_a_choice_question_needs_choices():
    question = WidgetMenuQuestion(
        option=WidgetMenuOption(label_zh="a", label_en="a"),
        key="k",
        label_zh="a",
        label_en="a",
        kind=QuestionKind.CHOICE,
        choices=" \n",
    )

    with pytest.raises(ValidationError) as refused:
        question.clean()

    assert "choices" in refused.value.message_dict


# ---- leave-a-message mode -------------------------------------------------------------------


def test_first_message_with_nobody_online_becomes_one_offline_ticket(site, after_commit):
    site.offline_tickets = True
    site.save()
    site.team.any_agent_when_none_online = False  # the team keeps its chats to itself
    site.team.save()
    AgentProfileFactory(presence="online")  # online, but not in the site's team
    visitor = visitor_of(site)

    with after_commit(execute=True):
        first = widget_message_send(visitor=visitor, client_msg_id="c-1", body="Anyone there?")
        assert not Ticket.objects.exists()  # not in the message's transaction: after its commit
    assert Ticket.objects.count() == 1
    with after_commit(execute=True):
        widget_message_send(
            visitor=visitor,
            client_msg_id="c-2",
            body="Hello?",
            conversation_id=first.message.conversation_id,
        )

    ticket = Ticket.objects.get()
    assert ticket.source == TicketSource.OFFLINE
    assert ticket.conversation_id == first.message.conversation_id
    assert ticket.subject == "Anyone there?"


def test_no_offline_ticket_when_an_agent_of_the_team_is_online(site, team, after_commit):
    site.offline_tickets = True
    site.save()
    AgentProfileFactory(presence="online", teams=[team])

    with after_commit(execute=True):
        widget_message_send(visitor=visitor_of(site), client_msg_id="c-1", body="Hi")

    assert not Ticket.objects.exists()


def test_a_site_without_a_team_counts_any_online_agent(site, after_commit):
    site.offline_tickets = True
    site.team = None
    site.save()
    AgentProfileFactory(presence="online")

    with after_commit(execute=True):
        widget_message_send(visitor=visitor_of(site), client_msg_id="c-1", body="Hi")

    assert not Ticket.objects.exists()


def test_no_offline_ticket_when_the_site_does_not_ask_for_it(site, after_commit):
    with after_commit(execute=True):
        widget_message_send(visitor=visitor_of(site), client_msg_id="c-1", body="Hi")

    assert not Ticket.objects.exists()


def test_a_later_message_costs_no_online_check(site, after_commit):
    site.offline_tickets = True
    site.save()
    visitor = visitor_of(site)
    conversation, _ = visitor_conversation_start(visitor=visitor)
    with after_commit(execute=True):
        widget_message_send(visitor=visitor, client_msg_id="c-1", body="Hi", conversation_id=None)
    routing_selectors.team_has_agent_online_forget()

    with CaptureQueriesContext(connection) as queries, after_commit(execute=True):
        widget_message_send(
            visitor=visitor, client_msg_id="c-2", body="Hi", conversation_id=conversation.pk
        )

    online_checks = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and 'FROM "routing_agentprofile"' in q["sql"]
    ]
    assert online_checks == []
    assert Ticket.objects.count() == 1


def test_the_online_answer_is_kept_for_a_few_seconds(team):
    assert routing_selectors.team_has_agent_online(team_id=team.pk) is False
    AgentProfileFactory(presence="online", teams=[team])

    with CaptureQueriesContext(connection) as queries:
        cached = routing_selectors.team_has_agent_online(team_id=team.pk)
    routing_selectors.team_has_agent_online_forget()

    assert (cached, len(queries)) == (False, 0)
    assert routing_selectors.team_has_agent_online(team_id=team.pk) is True


# ---- the admin ------------------------------------------------------------------------------


def _option_form(site, questions):
    data = {
        "site": site.pk,
        "label_zh": "发票",
        "label_en": "Invoice",
        "position": 0,
        "is_active": "on",
        "priority": Priority.P2,
        "questions-TOTAL_FORMS": len(questions),
        "questions-INITIAL_FORMS": 0,
        "questions-MIN_NUM_FORMS": 0,
        "questions-MAX_NUM_FORMS": 1000,
    }
    for i, (key, kind, choices) in enumerate(questions):
        data.update(
            {
                f"questions-{i}-key": key,
                f"questions-{i}-label_zh": "问题",
                f"questions-{i}-label_en": "Question",
                f"questions-{i}-kind": kind,
                f"questions-{i}-choices": choices,
                f"questions-{i}-required": "on",
                f"questions-{i}-position": i,
            }
        )
    return data


@pytest.mark.parametrize(
    "questions",
    [
        [("order", "text", ""), ("order", "textarea", "")],
        [("kind", "choice", "  ")],
    ],
    ids=["duplicate key", "choice without choices"],
)
def test_the_admin_refuses_a_bad_menu(supervisor_client, site, questions):
    response = supervisor_client.post(
        "/admin/tickets/widgetmenuoption/add/", _option_form(site, questions)
    )

    assert response.status_code == 200  # the form again, with its errors
    assert not WidgetMenuOption.objects.exists()


def test_the_admin_saves_a_menu_option_with_its_questions(supervisor_client, site):
    response = supervisor_client.post(
        "/admin/tickets/widgetmenuoption/add/",
        _option_form(site, [("order", "text", ""), ("kind", "choice", "普票\n专票")]),
    )

    assert response.status_code == 302
    option = WidgetMenuOption.objects.get()
    assert [(q.key, q.choice_list()) for q in option.questions.all()] == [
        ("order", []),
        ("kind", ["普票", "专票"]),
    ]
