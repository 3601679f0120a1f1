import factory

from desk.models import CannedReply, KbArticle, KbCategory, Notification, OutboxEvent
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


class CannedReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedReply

    shortcut = factory.Sequence(lambda n: f"reply{n}")
    title = factory.Sequence(lambda n: f"Reply {n}")
    body = "Thank you for waiting."


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
