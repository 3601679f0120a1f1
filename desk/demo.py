"""Demo data: four teams, a supervisor, four agents, routing rules, customers with conversations
and tickets.

Loading twice changes nothing: every object is found by a natural key before it is created.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from chat import services as chat_services
from chat.models import Channel, CustomerIdentity, IdentityKind, SenderType
from desk.kb.demo_data import ARTICLES as KB_ARTICLES
from desk.kernel.choices import Priority
from desk.models import CannedReply, KbArticle, KbCategory, Language
from routing import services as routing_services
from routing.models import AgentProfile, RoutingRule, RuleAppliesTo, Skill, Team
from tickets import services as ticket_services
from tickets.models import (
    AutomationRule,
    BusinessHours,
    BusinessHoursInterval,
    Category,
    Holiday,
    KeywordTrigger,
    NotifyWhom,
    RuleTrigger,
    SlaPolicy,
    TeamHours,
    TicketStatus,
)

DEMO_PASSWORD = "unidesk-demo"  # noqa: S105  (published demo logins, loaded only on request)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    team: str
    supervisor: bool = False


TEAMS = {
    "售前 Sales": "Questions before buying",
    "售后 Support": "Orders, returns and repairs",
    "金牌客服组": "VIP customers",
    "财务组": "Refunds and invoices",
}
# Agents who also answer for another team (the routing rules' targets).
ALSO_IN_TEAM = {"alice": "金牌客服组", "dave": "财务组"}
ACCOUNTS = [
    DemoAccount("supervisor", "主管 Mei", "售后 Support", supervisor=True),
    DemoAccount("alice", "Alice 王", "售前 Sales"),
    DemoAccount("bob", "Bob 李", "售前 Sales"),
    DemoAccount("carol", "Carol 张", "售后 Support"),
    DemoAccount("dave", "Dave 陈", "售后 Support"),
]


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    kind: str
    external_id: str
    channel: str
    vip_level: int
    attributes: dict
    lines: tuple[tuple[str, str], ...]
    ticket: str = ""


CUSTOMERS = [
    DemoCustomer(
        "林晓 Lin Xiao", IdentityKind.WEB_VISITOR, "demo-visitor-1", Channel.WEB, 2,
        {"order_number": "SO-20261120-0042", "membership": "Gold"},
        (("customer", "你好，我的订单还没有发货。"), ("agent", "您好！我来帮您查一下订单。")),
        ticket="订单 SO-20261120-0042 未发货",
    ),
    DemoCustomer(
        "Tom Baker", IdentityKind.EMAIL, "tom.baker@example.com", Channel.EMAIL, 0,
        {"plan": "Starter"},
        (("customer", "Hi, how do I reset my password?"),),
    ),
    DemoCustomer(
        "王芳 Wang Fang", IdentityKind.WECHAT_OPENID, "o6_demo_openid_wangfang", Channel.WECHAT, 1,
        {"order_number": "SO-20261118-0007"},
        (("customer", "耳机左边没有声音，可以换货吗？"),),
        ticket="耳机故障换货",
    ),
]  # fmt: skip

CATEGORIES = ["售后 After-sales", "物流 Shipping", "账户 Account", "发票 Invoice"]
# Canned replies: (shortcut, language, scope: "global" / a team's name / an account's
# username, title, body). Type /退款, /refund, /物流 … in the composer.
CANNED = [
    ("greet", "zh-hans", "global", "问候 Greeting",
     "{{customer.name}}您好，很高兴为您服务！请问有什么可以帮您？"),
    ("wait", "zh-hans", "global", "请稍等 Please wait", "请稍等，我正在为您查询。"),
    ("thanks", "zh-hans", "global", "结束语 Closing",
     "感谢您的耐心，祝您生活愉快！如有其他问题，随时联系我们。"),
    ("hello", "en", "global", "Greeting",
     "Hi {{customer.name}}, thanks for contacting us. How can I help?"),
    ("退款", "zh-hans", "售后 Support", "退款说明 Refund",
     "{{customer.name}}您好，退款将在审核通过后 3–5 个工作日内原路退回，请留意账户到账通知。"),
    ("refund", "en", "售后 Support", "Refund timeline",
     "Hi {{customer.name}}, your refund will reach your original payment method within 3–5 "
     "business days after approval."),
    ("工单", "zh-hans", "售后 Support", "工单已创建 Ticket created",
     "已为您创建工单 {{ticket.number}}（{{ticket.subject}}），处理进度会在这里通知您。"),
    ("物流", "zh-hans", "售前 Sales", "物流查询 Shipping",
     "您的订单已发货，可在“我的订单”中查看物流单号与实时轨迹。"),
    ("sizes", "en", "售前 Sales", "Size guide",
     "You will find the size guide under each product's photos; between two sizes, take the "
     "larger one."),
    ("换货", "zh-hans", "carol", "换货流程（我的）My exchange steps",
     "{{customer.name}}您好，换货请在“我的订单”中选择“申请换货”，我是{{agent.name}}，会跟进到底。"),
]  # fmt: skip


def demo_load() -> dict[str, int]:
    """Create whatever of the demo data is missing; returns how many objects were created."""
    created = {"accounts": 0, "customers": 0}
    with transaction.atomic():
        teams = {name: Team.objects.get_or_create(name=name, defaults={"description": d})[0]
                 for name, d in TEAMS.items()}  # fmt: skip
        skills = {name: Skill.objects.get_or_create(name=name)[0]
                  for name in ("中文 Chinese", "English", "退换货 Returns")}  # fmt: skip
        for account in ACCOUNTS:
            if get_user_model().objects.filter(username=account.username).exists():
                continue
            routing_services.agent_create(
                username=account.username,
                password=DEMO_PASSWORD,
                display_name=account.display_name,
                email=f"{account.username}@demo.unidesk.invalid",
                teams=[teams[account.team]],
                skills={skills["中文 Chinese"]: 5, skills["English"]: 4},
                supervisor=account.supervisor,
            )
            created["accounts"] += 1
        _load_configuration()
        _load_automation(teams)
        _load_routing(teams, skills)
        demo_widget_site()
    for spec in CUSTOMERS:
        if CustomerIdentity.objects.filter(kind=spec.kind, external_id=spec.external_id).exists():
            continue
        _load_customer(spec, teams["售后 Support"])
        created["customers"] += 1
    return created


def _load_configuration() -> None:
    calendar, made = BusinessHours.objects.get_or_create(name="工作日 Weekdays 9-18")
    if made:
        for weekday in range(5):
            BusinessHoursInterval.objects.create(
                calendar=calendar, weekday=weekday,
                start=datetime.time(9, 0), end=datetime.time(18, 0),
            )  # fmt: skip
        Holiday.objects.create(calendar=calendar, date=datetime.date(2026, 10, 1), name="国庆节")
    targets = {Priority.P0: (15, 240), Priority.P1: (60, 480), Priority.P2: (240, 1440),
               Priority.P3: (480, 4320)}  # fmt: skip
    for priority, (first, resolve) in targets.items():
        SlaPolicy.objects.get_or_create(
            name=f"SLA {priority.label}",
            defaults={"priority": priority, "first_response_minutes": first,
                      "resolution_minutes": resolve, "business_hours": calendar},
        )  # fmt: skip
    for name in CATEGORIES:
        Category.objects.get_or_create(name=name)
    _load_knowledge_base()
    for shortcut, language, scope, title, body in CANNED:
        owner = get_user_model().objects.filter(username=scope).first()
        team = Team.objects.filter(name=scope).first()
        kind = "personal" if owner else "team" if team else "global"
        CannedReply.objects.get_or_create(
            shortcut=shortcut, language=language, scope=kind, owner=owner, team=team,
            defaults={"title": title, "body": body},
        )  # fmt: skip
    # 转工单 by keyword: try writing 退款 or "refund" in the demo widget.
    KeywordTrigger.objects.get_or_create(
        name="退款与投诉 Refunds and complaints",
        defaults={
            "keywords": "退款, 投诉, refund, complaint",
            "priority": Priority.P1,
            "category": Category.objects.get(name=CATEGORIES[0]),
        },
    )


def _load_knowledge_base() -> None:
    """Each demo article in Chinese, and its English translation (desk/kb/demo_data.py)."""
    for spec in KB_ARTICLES:
        category, _ = KbCategory.objects.get_or_create(name=spec.category, parent=None)
        common = {"category": category, "status": spec.status, "tags": spec.tags,
                  "keywords": spec.keywords}  # fmt: skip
        original, _ = KbArticle.objects.get_or_create(
            title=spec.zh_title, language=Language.ZH_HANS,
            defaults={**common, "body": spec.zh_body},
        )  # fmt: skip
        KbArticle.objects.get_or_create(
            title=spec.en_title, language=Language.EN,
            defaults={**common, "body": spec.en_body, "translation_of": original},
        )  # fmt: skip


def _load_routing(teams: dict[str, Team], skills: dict[str, Skill]) -> None:
    """Routing rules, tried in this order: VIP customers to 金牌客服组; 退款 (refund) to 财务组,
    chats and tickets; English chats to agents with the English skill; WeChat to 售后."""
    for username, team in ALSO_IN_TEAM.items():
        profile = AgentProfile.objects.filter(user__username=username).first()
        if profile is not None:
            profile.teams.add(teams[team])
    rules = [
        ("VIP 客户 VIP customers", {"min_vip_level": 3, "team": teams["金牌客服组"],
                                   "priority": Priority.P1, "applies_to": RuleAppliesTo.BOTH}),
        ("退款 Refunds", {"keywords": ["退款", "refund"], "team": teams["财务组"],
                        "applies_to": RuleAppliesTo.BOTH}),
        ("English", {"languages": ["en"], "team": teams["售前 Sales"],
                     "skill": skills["English"], "min_skill_level": 3}),
        ("微信 WeChat", {"channels": ["wechat"], "team": teams["售后 Support"]}),
    ]  # fmt: skip
    for position, (name, fields) in enumerate(rules, start=1):
        RoutingRule.objects.get_or_create(name=name, defaults={"position": 10 * position, **fields})


def _load_automation(teams: dict[str, Team]) -> None:
    """The teams keep the weekday calendar (escalation notices wait for it unless urgent); a
    breach of each SLA policy escalates to the supervisors and raises the priority; a ticket
    nobody touched for 48 hours goes to the supervisors."""
    calendar = BusinessHours.objects.get(name="工作日 Weekdays 9-18")
    for team in teams.values():
        TeamHours.objects.get_or_create(team=team, defaults={"business_hours": calendar})
    for position, policy in enumerate(SlaPolicy.objects.order_by("position", "id"), start=10):
        AutomationRule.objects.get_or_create(
            name=f"SLA 违约升级 Escalate breach · {policy.name}"[:100],
            defaults={"trigger": RuleTrigger.SLA_BREACHED, "if_sla_policy": policy,
                      "position": position, "raise_priority": True,
                      "notify": NotifyWhom.SUPERVISORS,
                      "notify_text": f"SLA 违约 breached: {policy.name}"[:200]},
        )  # fmt: skip
    AutomationRule.objects.get_or_create(
        name="48 h 未处理 → 主管 / 48 h unhandled → escalate to supervisor",
        defaults={"trigger": RuleTrigger.HOURS_SINCE_CREATED, "hours": 48, "position": 1,
                  "if_status": TicketStatus.NEW, "notify": NotifyWhom.SUPERVISORS,
                  "internal_note": "48 小时无人处理，已通知主管。 Unhandled for 48 hours: the "
                                   "supervisors were told."},
    )  # fmt: skip


@transaction.atomic
def _load_customer(spec: DemoCustomer, team: Team) -> None:
    customer = chat_services.customer_create(
        data=chat_services.CustomerData(
            display_name=spec.name, vip_level=spec.vip_level, attributes=spec.attributes,
            language="zh-hans",
        ),
        identities=[chat_services.IdentityRef(spec.kind, spec.external_id, verified=True)],
    )  # fmt: skip
    conversation = chat_services.conversation_start(
        customer=customer,
        channel=spec.channel,
        context=chat_services.ConversationContext(
            device="iPhone 15" if spec.channel == Channel.WEB else "",
            os="iOS 18" if spec.channel == Channel.WEB else "",
            browser="Safari 18" if spec.channel == Channel.WEB else "",
            page_url="https://shop.example.com/orders" if spec.channel == Channel.WEB else "",
        ),
    )
    agent = get_user_model().objects.get(username="carol")
    for index, (sender, body) in enumerate(spec.lines, start=1):
        chat_services.message_create(
            conversation=conversation,
            sender_type=SenderType.CUSTOMER if sender == "customer" else SenderType.AGENT,
            sender_user=agent if sender == "agent" else None,
            body=body,
            client_msg_id=f"demo-{index}",
        )
    if spec.ticket:
        ticket_services.ticket_create(
            actor=agent,
            requester=customer,
            conversation=conversation,
            data=ticket_services.TicketData(
                subject=spec.ticket,
                description="\n".join(body for _, body in spec.lines),
                priority=Priority.P1 if spec.vip_level else Priority.P2,
                category=Category.objects.get(name=CATEGORIES[0]),
                team=team,
                assignee=agent,
                tags=["demo"],
            ),
        )


def demo_widget_site(*, offline_tickets: bool = True):
    """The widget of the demo shop (/demo/): site key `demo`, routed to the sales team, with a
    small menu (报修 / 退换货 / 发票). `offline_tickets`: leave-a-message mode (tests that make
    their own tickets turn it off)."""
    from chat.models import PrechatField, WidgetSite

    site, created = WidgetSite.objects.get_or_create(
        key="demo",
        defaults={
            "name": "演示商店 Demo shop",
            "team": Team.objects.filter(name="售前 Sales").first(),
            "welcome_zh": "您好！欢迎光临演示商店，有什么可以帮您？",
            "welcome_en": "Hi! Welcome to the demo shop. How can we help?",
            "prechat_enabled": True,
            "prechat_name": PrechatField.REQUIRED,
            "prechat_email": PrechatField.OPTIONAL,
            "prechat_topic": PrechatField.OPTIONAL,
            "prechat_topics": "订单 Orders\n退换货 Returns\n其他 Other",
            "offline_tickets": offline_tickets,
        },
    )
    if created:
        demo_widget_menu(site)
    return site


def demo_widget_menu(site) -> None:
    from tickets.models import QuestionKind, WidgetMenuOption, WidgetMenuQuestion

    repair = WidgetMenuOption.objects.create(
        site=site, label_zh="报修", label_en="Repair", position=1
    )
    WidgetMenuQuestion.objects.create(
        option=repair, key="model", label_zh="产品型号", label_en="Product model", position=1
    )
    WidgetMenuQuestion.objects.create(
        option=repair,
        key="problem",
        label_zh="故障",
        label_en="Problem",
        kind=QuestionKind.CHOICE,
        choices="无法开机 Won't turn on\n漏水 Leaks\n其他 Other",
        position=2,
    )
    WidgetMenuQuestion.objects.create(
        option=repair,
        key="details",
        label_zh="详细描述",
        label_en="Details",
        kind=QuestionKind.TEXTAREA,
        required=False,
        position=3,
    )
    returns = WidgetMenuOption.objects.create(
        site=site, label_zh="退换货", label_en="Returns", position=2
    )
    WidgetMenuQuestion.objects.create(
        option=returns, key="order", label_zh="订单号", label_en="Order number", position=1
    )
    invoice = WidgetMenuOption.objects.create(
        site=site, label_zh="发票", label_en="Invoice", position=3
    )
    WidgetMenuQuestion.objects.create(
        option=invoice, key="order", label_zh="订单号", label_en="Order number", position=1
    )
    WidgetMenuQuestion.objects.create(
        option=invoice,
        key="title",
        label_zh="发票抬头",
        label_en="Invoice title",
        position=2,
    )
