"""The search row of one message (imported by chat.models so Django finds it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from desk.kernel.search.backends import FullTextIndex


class MessageSearch(models.Model):
    """A message's pre-segmented text (desk.kernel.search.text.index_text), written after the
    message's transaction commits (chat.search.index), never inside it. `conversation` is copied
    so a conversation is ranked by its messages without reading the message table."""

    # the row's primary key column is `id`, the message's id (FullTextIndex reads `id`)
    message = models.OneToOneField(
        "chat.Message",
        on_delete=models.CASCADE,
        primary_key=True,
        db_column="id",
        related_name="+",
    )
    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    search_body = models.TextField(blank=True)

    class Meta:
        app_label = "chat"
        verbose_name = _("message search row")

    def __str__(self) -> str:
        return f"{self.message_id}"


MESSAGE_SEARCH_INDEX = FullTextIndex(
    table="chat_messagesearch", title="", body="search_body", stored_vector="search_vector"
)
