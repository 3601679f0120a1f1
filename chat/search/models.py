"""The message term index (imported by chat.models so Django finds it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageTerm(models.Model):
    """One term of a message (desk.kernel.search.text: the same segmentation as the knowledge
    base), written after the message's transaction commits (chat.search.index), never inside
    it. `conversation` is copied so a search ranks conversations without reading messages. A
    search reads each of its terms' newest postings from the (term, message) b-tree: a bounded
    number of rows however many messages have the term (chat/search/terms.py)."""

    # indexed by the (message, term) constraint
    message = models.ForeignKey(
        "chat.Message", on_delete=models.CASCADE, db_index=False, related_name="+"
    )
    # a copy of the message's: no index, no constraint (the rows go with their message)
    conversation = models.ForeignKey(
        "chat.Conversation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # PostgreSQL: collation "C" (migration 0018), so a prefix's terms are one range of the index
    term = models.CharField(max_length=64)

    class Meta:
        app_label = "chat"
        verbose_name = _("message term")
        constraints = [
            models.UniqueConstraint(fields=["message", "term"], name="message_term_once")
        ]
        indexes = [
            # newest first per term; the conversation in the index (PostgreSQL) so a search
            # reads no table rows
            models.Index(
                fields=["term", "-message"], include=["conversation"], name="message_term_newest"
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.message_id}"
