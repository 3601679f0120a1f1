"""Every registered admin renders for a supervisor, searches and filters; agents are kept out."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chat.models import Attachment, Conversation, Message
from chat.tests import factories as chat_f
from desk.tests import factories as desk_f
from routing.models import PresenceLog
from routing.tests import factories as routing_f
from tickets.models import TicketEvent
from tickets.tests import factories as tickets_f

User = get_user_model()
OUR_APPS = ("desk", "chat", "tickets", "routing")
# Not in the admin index: the number sequence; menu questions are edited on their option; a
# domain event's handled markers are shown on the event.
# Not registered on their own: a counter, the event log's markers, and rows edited inline on
# their parent (a menu's questions, a category's keywords, an agent's channel limits).
NOT_IN_ADMIN = {
    "tickets.ticketnumbersequence",
    "tickets.widgetmenuquestion",
    "tickets.categorykeywords",
    "routing.agentchannelcapacity",
    "desk.handledevent",
    "chat.messageterm",  # the message term index (chat/search)
    "tickets.ticketsearch",  # a ticket's search row (tickets/search)
    "desk.kbterm",  # the knowledge base's term index (desk/kb/terms.py)
    "chat.earlyreceipt",  # statuses waiting for their reply's id (chat/channels/receipts.py)
}

FACTORIES = {
    "desk.kbcategory": desk_f.KbCategoryFactory,
    "desk.kbarticle": desk_f.KbArticleFactory,
    "desk.articleview": desk_f.ArticleViewFactory,
    "desk.cannedreply": desk_f.CannedReplyFactory,
    "desk.cannedreplyusage": desk_f.CannedReplyUsageFactory,
    "desk.notification": desk_f.NotificationFactory,
    "desk.outboxevent": desk_f.OutboxEventFactory,
    "chat.customer": chat_f.CustomerFactory,
    "chat.customeridentity": chat_f.CustomerIdentityFactory,
    "chat.conversation": chat_f.ConversationFactory,
    "chat.message": chat_f.MessageFactory,
    "chat.offerdecline": chat_f.OfferDeclineFactory,
    "chat.attachment": chat_f.AttachmentFactory,
    "chat.widgetsite": chat_f.WidgetSiteFactory,
    "chat.widgetvisitor": chat_f.WidgetVisitorFactory,
    "chat.channelaccount": chat_f.ChannelAccountFactory,
    "chat.inboundevent": chat_f.InboundEventFactory,
    "chat.outbounddelivery": chat_f.OutboundDeliveryFactory,
    "tickets.category": tickets_f.CategoryFactory,
    "tickets.categoryclassifier": tickets_f.CategoryClassifierFactory,
    "tickets.tag": tickets_f.TagFactory,
    "tickets.businesshours": tickets_f.BusinessHoursFactory,
    "tickets.businesshoursinterval": tickets_f.BusinessHoursIntervalFactory,
    "tickets.holiday": tickets_f.HolidayFactory,
    "tickets.makeupworkday": tickets_f.MakeUpWorkdayFactory,
    "tickets.slatimer": tickets_f.SlaTimerFactory,
    "tickets.slapolicy": tickets_f.SlaPolicyFactory,
    "tickets.keywordtrigger": tickets_f.KeywordTriggerFactory,
    "tickets.widgetmenuoption": tickets_f.WidgetMenuOptionFactory,
    "tickets.ticket": tickets_f.TicketFactory,
    "tickets.ticketevent": tickets_f.TicketEventFactory,
    "tickets.ticketview": tickets_f.TicketViewFactory,
    "tickets.automationrule": tickets_f.AutomationRuleFactory,
    "tickets.ruleexecution": tickets_f.RuleExecutionFactory,
    "tickets.teamhours": tickets_f.TeamHoursFactory,
    "tickets.heldnotice": tickets_f.HeldNoticeFactory,
    "routing.team": routing_f.TeamFactory,
    "routing.skill": routing_f.SkillFactory,
    "routing.agentprofile": routing_f.AgentProfileFactory,
    "routing.agentskill": routing_f.AgentSkillFactory,
    "routing.routingrule": routing_f.RoutingRuleFactory,
    "routing.presencelog": routing_f.PresenceLogFactory,
    "auth.user": routing_f.UserFactory,
    "auth.group": lambda: Group.objects.create(name="Night shift"),
}
# Written only by services: the admin shows them and nothing more (Attachment may be deleted).
NO_ADD = {
    "desk.cannedreplyusage",
    "desk.articleview",
    "chat.conversation",
    "chat.message",
    "chat.offerdecline",
    "chat.attachment",
    "chat.widgetvisitor",
    "chat.inboundevent",
    "chat.outbounddelivery",
    "tickets.ticketevent",
    "tickets.slatimer",
    "tickets.ruleexecution",
    "tickets.heldnotice",
    "tickets.categoryclassifier",  # versions come from training, not from a form
    "routing.presencelog",
    "desk.notification",
    "desk.outboxevent",
    "auth.group",  # supervisors view groups; only a superuser defines what a group may do
}
# One row of settings: its list and add page lead to the row's change page.
SINGLE_ROW: set[str] = set()


def _url(label: str, view: str, *args) -> str:
    return reverse(f"admin:{label.replace('.', '_')}_{view}", args=args)


def test_every_model_of_our_apps_is_registered():
    ours = {
        model._meta.label_lower
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
    }
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert ours - NOT_IN_ADMIN <= registered
    assert not NOT_IN_ADMIN & registered
    assert ours - NOT_IN_ADMIN <= set(FACTORIES)


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_supervisor_sees_changelist_and_change_page(supervisor_client, label):
    obj = FACTORIES[label]()

    changelist = supervisor_client.get(_url(label, "changelist"))
    change = supervisor_client.get(_url(label, "change", obj.pk))

    if label in SINGLE_ROW:
        assert changelist["Location"] == _url(label, "change", obj.pk)
    else:
        assert changelist.status_code == 200
        assert obj in changelist.context["cl"].result_list
    assert change.status_code == 200
    assert change.context["original"] == obj


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_add_page_only_where_adding_is_allowed(supervisor_client, label):
    response = supervisor_client.get(_url(label, "add"))

    assert response.status_code == (403 if label in NO_ADD else 302 if label in SINGLE_ROW else 200)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "factory", "can_delete"),
    [
        (Message, chat_f.MessageFactory, False),
        (TicketEvent, tickets_f.TicketEventFactory, False),
        (PresenceLog, routing_f.PresenceLogFactory, False),
        (Attachment, chat_f.AttachmentFactory, True),
    ],
)
def test_append_only_rows_cannot_be_changed_and_only_attachments_deleted(
    supervisor_client, model, factory, can_delete
):
    obj = factory()
    label = model._meta.label_lower

    change_post = supervisor_client.post(_url(label, "change", obj.pk), {})
    delete_post = supervisor_client.post(_url(label, "delete", obj.pk), {"post": "yes"})

    assert change_post.status_code == 403
    assert delete_post.status_code == (302 if can_delete else 403)
    assert model.objects.filter(pk=obj.pk).exists() is not can_delete


@pytest.mark.django_db
def test_conversation_can_be_edited_but_not_deleted(supervisor_client):
    conversation = chat_f.ConversationFactory()

    response = supervisor_client.post(
        _url("chat.conversation", "delete", conversation.pk), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Conversation.objects.filter(pk=conversation.pk).exists()


def _tickets_by_status():
    hit = tickets_f.TicketFactory(status="open")
    miss = tickets_f.TicketFactory(status="new")
    return "tickets.ticket", {"status__exact": "open"}, hit, miss


def _tickets_by_priority():
    hit = tickets_f.TicketFactory(priority=0)
    miss = tickets_f.TicketFactory(priority=2)
    return "tickets.ticket", {"priority__exact": "0"}, hit, miss


def _tickets_by_team():
    hit = tickets_f.TicketFactory(team=routing_f.TeamFactory(name="Billing"))
    miss = tickets_f.TicketFactory()
    return "tickets.ticket", {"team__id__exact": hit.team_id}, hit, miss


def _tickets_search_number():
    hit = tickets_f.TicketFactory(number="T-20260101-0042")
    miss = tickets_f.TicketFactory(number="T-20260101-0043")
    return "tickets.ticket", {"q": "T-20260101-0042"}, hit, miss


def _tickets_search_requester_identity():
    identity = chat_f.CustomerIdentityFactory(external_id="wx-openid-777")
    hit = tickets_f.TicketFactory(requester=identity.customer)
    miss = tickets_f.TicketFactory()
    return "tickets.ticket", {"q": "wx-openid-777"}, hit, miss


def _conversations_by_channel():
    hit = chat_f.ConversationFactory(channel="wechat")
    miss = chat_f.ConversationFactory(channel="web")
    return "chat.conversation", {"channel__exact": "wechat"}, hit, miss


def _conversations_search_customer():
    hit = chat_f.ConversationFactory(customer__display_name="Wang Fang")
    miss = chat_f.ConversationFactory(customer__display_name="Li Lei")
    return "chat.conversation", {"q": "Wang"}, hit, miss


def _customers_by_vip():
    hit = chat_f.CustomerFactory(vip_level=3)
    miss = chat_f.CustomerFactory(vip_level=0)
    return "chat.customer", {"vip_level__exact": "3"}, hit, miss


def _customers_search_identity():
    hit = chat_f.CustomerIdentityFactory(external_id="alice@example.com", kind="email").customer
    miss = chat_f.CustomerFactory()
    return "chat.customer", {"q": "alice@example"}, hit, miss


def _identities_by_kind():
    hit = chat_f.CustomerIdentityFactory(kind="email", external_id="bob@example.com")
    miss = chat_f.CustomerIdentityFactory(kind="phone", external_id="+8613800000000")
    return "chat.customeridentity", {"kind__exact": "email"}, hit, miss


def _messages_of_one_conversation():
    hit = chat_f.MessageFactory()
    miss = chat_f.MessageFactory()
    return "chat.message", {"conversation__id__exact": hit.conversation_id}, hit, miss


def _articles_by_status_and_language():
    hit = desk_f.KbArticleFactory(status="draft", language="en")
    miss = desk_f.KbArticleFactory(status="draft", language="zh-hans")
    return "desk.kbarticle", {"status__exact": "draft", "language__exact": "en"}, hit, miss


def _articles_search_keywords():
    hit = desk_f.KbArticleFactory(keywords="refund invoice")
    miss = desk_f.KbArticleFactory(keywords="password")
    return "desk.kbarticle", {"q": "invoice"}, hit, miss


def _canned_replies_by_team():
    hit = desk_f.CannedReplyFactory(team=routing_f.TeamFactory(name="VIP"))
    miss = desk_f.CannedReplyFactory()
    return "desk.cannedreply", {"team__id__exact": hit.team_id}, hit, miss


def _agents_by_presence():
    hit = routing_f.AgentProfileFactory(presence="online")
    miss = routing_f.AgentProfileFactory(presence="offline")
    return "routing.agentprofile", {"presence__exact": "online"}, hit, miss


def _agents_by_team():
    hit = routing_f.AgentProfileFactory(teams=[routing_f.TeamFactory(name="Returns")])
    miss = routing_f.AgentProfileFactory()
    return "routing.agentprofile", {"teams__id__exact": hit.teams.get().pk}, hit, miss


def _users_search_display_name():
    hit = routing_f.AgentProfileFactory(display_name="Zhang Wei").user
    miss = routing_f.AgentProfileFactory(display_name="Chen Jing").user
    return "auth.user", {"q": "Zhang"}, hit, miss


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_case",
    [
        _tickets_by_status,
        _tickets_by_priority,
        _tickets_by_team,
        _tickets_search_number,
        _tickets_search_requester_identity,
        _conversations_by_channel,
        _conversations_search_customer,
        _customers_by_vip,
        _customers_search_identity,
        _identities_by_kind,
        _messages_of_one_conversation,
        _articles_by_status_and_language,
        _articles_search_keywords,
        _canned_replies_by_team,
        _agents_by_presence,
        _agents_by_team,
        _users_search_display_name,
    ],
    ids=lambda make_case: make_case.__name__.strip("_"),
)
def test_search_and_filters(supervisor_client, make_case):
    label, params, hit, miss = make_case()

    response = supervisor_client.get(_url(label, "changelist"), params)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert hit in rows
    assert miss not in rows


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", "/admin/tickets/ticket/", "/admin/chat/conversation/"])
def test_agent_is_sent_to_the_admin_login(agent_client, path):
    response = agent_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "label",
    [
        "tickets.ticket",
        "tickets.ticketevent",
        "chat.conversation",
        "chat.message",
        "chat.customer",
        "chat.attachment",
        "desk.kbarticle",
        "desk.articleview",
        "desk.cannedreply",
        "routing.agentprofile",
        "routing.presencelog",
        "auth.user",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(supervisor_client, label):
    url = _url(label, "changelist")
    FACTORIES[label]()
    FACTORIES[label]()
    with CaptureQueriesContext(connection) as few:
        supervisor_client.get(url)
    for _ in range(5):
        FACTORIES[label]()
    with CaptureQueriesContext(connection) as more:
        response = supervisor_client.get(url)

    assert len(response.context["cl"].result_list) >= 7
    assert len(more) == len(few)
