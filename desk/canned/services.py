"""Writes on canned replies: counting a use, and an agent's own personal replies.

Supervisors keep team and global replies in the admin; an agent writes only personal ones here.
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.canned.topics import ReplyContext
from desk.kernel.errors import DomainError, ErrorAnswer, invalid_fields
from desk.models import CannedReply, CannedReplyScope, CannedReplyUsage

EDITABLE_FIELDS = ("shortcut", "title", "body", "language")


class CannedReplyInvalid(DomainError):
    """The reply breaks a model rule (shortcut characters, scope, a shortcut already taken):
    400 `invalid` with the fields, nothing written."""

    code = "invalid"
    status = 400

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(str(fields))
        self.fields = fields

    def answer(self) -> ErrorAnswer:
        return invalid_fields(self.fields, self.status)


SHORTCUT_TAKEN = _("You already have a reply with this shortcut in this language.")


@transaction.atomic
def canned_reply_use(*, actor: AbstractBaseUser, reply: CannedReply, context: ReplyContext) -> int:
    """Count one use of `reply` overall and for each topic of `context`. Every count is an
    `UPDATE … SET count = count + 1` (a missing topic row is inserted, and a concurrent insert
    of the same row falls back to the update), so uses from several processes at once all count
    (house rule 6). Returns the reply's new total. The counts are the record (no audit row)."""
    now = timezone.now()
    CannedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
    for topic in context.topics:
        rows = CannedReplyUsage.objects.filter(reply=reply, topic=topic)
        if rows.update(count=F("count") + 1, last_used_at=now):
            continue
        try:
            with transaction.atomic():
                CannedReplyUsage.objects.create(reply=reply, topic=topic, count=1, last_used_at=now)
        except IntegrityError:  # another process inserted it first: count on top of theirs
            rows.update(count=F("count") + 1, last_used_at=now)
    return CannedReply.objects.values_list("usage_count", flat=True).get(pk=reply.pk)


def _save(reply: CannedReply) -> CannedReply:
    try:
        reply.full_clean()
    except ValidationError as error:
        fields = error.message_dict
        if "__all__" in fields:  # the only table-wide rule left is the unique shortcut
            fields = {"shortcut": [str(SHORTCUT_TAKEN)]}
        raise CannedReplyInvalid(fields) from None
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:  # the same shortcut saved by a concurrent request
        raise CannedReplyInvalid({"shortcut": [str(SHORTCUT_TAKEN)]}) from None
    return reply


@transaction.atomic
def canned_reply_create_personal(*, actor: AbstractBaseUser, data: dict[str, Any]) -> CannedReply:
    """A personal reply of `actor`'s own."""
    reply = CannedReply(
        scope=CannedReplyScope.PERSONAL,
        owner=actor,
        created_by=actor,
        **{key: data[key] for key in EDITABLE_FIELDS if key in data},
    )
    return _save(reply)


@transaction.atomic
def canned_reply_update_personal(
    *, actor: AbstractBaseUser, reply: CannedReply, data: dict[str, Any]
) -> CannedReply:
    """Change `actor`'s own personal reply (anything else is not theirs to change: 404)."""
    for key in EDITABLE_FIELDS:
        if key in data:
            setattr(reply, key, data[key])
    return _save(reply)


@transaction.atomic
def canned_reply_delete_personal(*, actor: AbstractBaseUser, reply: CannedReply) -> None:
    reply.delete()
