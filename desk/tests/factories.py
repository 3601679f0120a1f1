import factory
from django.utils import timezone

from desk.models import (
    ArticleView,
    CannedReply,
    CannedReplyUsage,
    KbArticle,
    KbCategory,
    Notification,
    OutboxEvent,
)
from routing.tests.factories import AgentProfileFactory
from tickets.tests.factories import TicketFactory


class KbCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KbCategory

    name = factory.Sequence(lambda n: f"KB category {n}")


class KbArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KbArticle

    category = factory.SubFactory(KbCategoryFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    body = "How to do it."
    status = "published"


class ArticleViewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleView

    article = factory.SubFactory(KbArticleFactory)
    site = factory.SubFactory("chat.tests.factories.WidgetSiteFactory")
    customer = factory.SubFactory("chat.tests.factories.CustomerFactory")
    before_conversation = True


class CannedReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedReply

    shortcut = factory.Sequence(lambda n: f"reply{n}")
    title = factory.Sequence(lambda n: f"Reply {n}")
    body = "Thank you for waiting."
    team = None
    owner = None
    # The scope that fits: CannedReplyFactory(team=…) is a team reply, (owner=…) a personal one.
    scope = factory.LazyAttribute(
        lambda reply: "team" if reply.team else "personal" if reply.owner else "global"
    )


class CannedReplyUsageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedReplyUsage

    reply = factory.SubFactory(CannedReplyFactory)
    topic = factory.Sequence(lambda n: f"team:{n}")
    count = 3
    last_used_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.LazyFunction(lambda: AgentProfileFactory().user)
    kind = "mention"
    ticket = factory.SubFactory(TicketFactory)
    actor_name = "Carol"
    excerpt = "@lina please look at this"


class OutboxEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxEvent

    type = "message.created"
    conversation_id = factory.Sequence(lambda n: n + 1)
    message_id = factory.Sequence(lambda n: n + 1)
    payload = factory.LazyFunction(lambda: {"sender_type": "customer", "seq": 1})
