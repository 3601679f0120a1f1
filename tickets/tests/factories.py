import datetime

import factory
from django.utils import timezone

from chat.tests.factories import CustomerFactory, WidgetSiteFactory
from desk.kernel.choices import Priority
from tickets.models import (
    AutomationRule,
    BusinessHours,
    BusinessHoursInterval,
    Category,
    CategoryClassifier,
    HeldNotice,
    Holiday,
    KeywordTrigger,
    MakeUpWorkday,
    RuleExecution,
    RuleTrigger,
    SlaPolicy,
    SlaTimer,
    Tag,
    TeamHours,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketView,
    WidgetMenuOption,
    WidgetMenuQuestion,
)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"T-TEST-{n:05d}")
    subject = factory.Sequence(lambda n: f"Ticket {n}")
    requester = factory.SubFactory(CustomerFactory)


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    kind = TicketEventKind.NOTE
    body = "note"


class TicketViewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketView

    owner = factory.SubFactory("routing.tests.factories.UserFactory")
    name = factory.Sequence(lambda n: f"View {n}")
    filters = factory.LazyFunction(lambda: {"status": ["open"]})


class BusinessHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessHours
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Calendar {n}")


class BusinessHoursIntervalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessHoursInterval

    calendar = factory.SubFactory(BusinessHoursFactory)
    weekday = 0
    start = datetime.time(9, 0)
    end = datetime.time(18, 0)


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(BusinessHoursFactory)
    date = datetime.date(2026, 10, 1)
    name = "National Day"


class MakeUpWorkdayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MakeUpWorkday

    calendar = factory.SubFactory(BusinessHoursFactory)
    date = factory.Sequence(lambda n: datetime.date(2026, 1, 3) + datetime.timedelta(days=7 * n))
    name = "调休"


class SlaTimerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaTimer

    ticket = factory.SubFactory(TicketFactory)
    target = "resolution"
    phase = "breach"
    due_at = factory.LazyFunction(timezone.now)
    fire_at = factory.LazyFunction(timezone.now)


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"SLA {n}")
    first_response_minutes = 30
    resolution_minutes = 480


class KeywordTriggerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeywordTrigger

    name = factory.Sequence(lambda n: f"Rule {n}")
    keywords = "退款, refund"


class WidgetMenuOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WidgetMenuOption

    site = factory.SubFactory(WidgetSiteFactory)
    label_zh = "报修"
    label_en = "Repair"


class WidgetMenuQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WidgetMenuQuestion

    option = factory.SubFactory(WidgetMenuOptionFactory)
    key = factory.Sequence(lambda n: f"q{n}")
    label_zh = "型号"
    label_en = "Model"


def conversation_ticket(conversation, **kwargs) -> Ticket:
    """A ticket made from `conversation` (its customer is the requester), without the service."""
    kwargs.setdefault("requester", conversation.customer)
    return TicketFactory(conversation=conversation, **kwargs)


class AutomationRuleFactory(factory.django.DjangoModelFactory):
    """An event rule on ticket creation that sets the priority to P1 (override at will)."""

    class Meta:
        model = AutomationRule
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rule {n}")
    trigger = RuleTrigger.TICKET_CREATED
    set_priority = Priority.P1

    @factory.post_generation
    def add_tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.add_tags.set(extracted)

    @factory.post_generation
    def if_tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.if_tags.set(extracted)


class RuleExecutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleExecution

    rule = factory.SubFactory(AutomationRuleFactory)
    ticket = factory.SubFactory(TicketFactory)
    event_id = factory.Sequence(lambda n: n + 1)


class TeamHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamHours

    team = factory.SubFactory("routing.tests.factories.TeamFactory")
    business_hours = factory.SubFactory(BusinessHoursFactory)


class HeldNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HeldNotice

    ticket = factory.SubFactory(TicketFactory)
    rule_name = "Escalate"
    recipient_ids = factory.LazyFunction(list)
    text = "Overdue"
    send_at = factory.LazyFunction(timezone.now)


class CategoryClassifierFactory(factory.django.DjangoModelFactory):
    """A stored version's row (its model bytes are not a model: the admin never loads them)."""

    class Meta:
        model = CategoryClassifier

    version = factory.Sequence(lambda n: n + 1)
    model = b"not a model"
    sample_count = 40
    class_counts = factory.LazyFunction(lambda: {"财务问题": 20, "物流问题": 20})
    accuracy = 0.9
