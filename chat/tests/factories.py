import factory
from django.core.files.base import ContentFile

from chat.models import (
    Attachment,
    Channel,
    ChannelAccount,
    Conversation,
    Customer,
    CustomerIdentity,
    IdentityKind,
    InboundEvent,
    Message,
    OfferDecline,
    OutboundDelivery,
    SenderType,
    WidgetSite,
    WidgetVisitor,
)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    display_name = factory.Sequence(lambda n: f"Customer {n}")
    language = "zh-hans"


class CustomerIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerIdentity

    customer = factory.SubFactory(CustomerFactory)
    kind = IdentityKind.WEB_VISITOR
    external_id = factory.Sequence(lambda n: f"visitor-{n}")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    customer = factory.SubFactory(CustomerFactory)
    channel = Channel.WEB


class OfferDeclineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfferDecline

    conversation = factory.SubFactory(ConversationFactory)
    user = factory.SubFactory("routing.tests.factories.UserFactory")
    reason = "declined"


class MessageFactory(factory.django.DjangoModelFactory):
    """A message with the conversation's next seq (bypasses the service, for fixtures only)."""

    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    channel = factory.SelfAttribute("conversation.channel")
    sender_type = SenderType.CUSTOMER
    body = factory.Sequence(lambda n: f"message {n}")

    @factory.lazy_attribute
    def seq(self):
        last = Message.objects.filter(conversation=self.conversation).order_by("-seq").first()
        return (last.seq if last else 0) + 1


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    conversation = factory.SubFactory(ConversationFactory)
    uploader_type = SenderType.CUSTOMER  # an agent's: uploader_type="agent", uploader_user=…
    file = factory.LazyFunction(lambda: ContentFile(b"hello", name="hello.txt"))
    content_type = "text/plain"
    size = 5
    original_name = "hello.txt"


class WidgetSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WidgetSite
        django_get_or_create = ("key",)

    name = factory.Sequence(lambda n: f"Shop {n}")
    key = factory.Sequence(lambda n: f"shop-{n}")
    welcome_zh = "您好！有什么可以帮您？"
    welcome_en = "Hello! How can we help?"
    offline_tickets = False  # tests of leave-a-message mode turn it on


class WidgetVisitorFactory(factory.django.DjangoModelFactory):
    """A visitor row; real visitors come from chat.widget.sessions.widget_session_open."""

    class Meta:
        model = WidgetVisitor

    site = factory.SubFactory(WidgetSiteFactory)
    customer = factory.SubFactory(CustomerFactory)


class ChannelAccountFactory(factory.django.DjangoModelFactory):
    """A Telegram bot's account with a token and webhook secret (chat/channels)."""

    class Meta:
        model = ChannelAccount

    channel = "telegram"
    name = factory.Sequence(lambda n: f"Bot {n}")

    @factory.post_generation
    def secrets(self, create, extracted, **kwargs):
        self.set_secrets(token="123456:TEST-token", webhook_secret="webhook-secret", **kwargs)
        if create:
            self.save()


class InboundEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundEvent

    account = factory.SubFactory(ChannelAccountFactory)
    provider_event_id = factory.Sequence(str)
    body = factory.LazyAttribute(lambda event: {"update_id": int(event.provider_event_id)})


class OutboundDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundDelivery

    message = factory.SubFactory(MessageFactory)
    account = factory.SubFactory(ChannelAccountFactory)
