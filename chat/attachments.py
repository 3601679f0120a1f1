"""Uploads: size and type limits, storage through Django storage, and expiring capability URLs.

A file is uploaded first (it belongs to a conversation and to its uploader, not yet to a message),
then a message of the same sender names it. Its URL carries a signature, so the widget (no session)
and the workspace can both fetch it and nobody can guess another one, and the time it was issued:
it works for `ATTACHMENT_URL_MAX_AGE_SECONDS`, then the download answers 410. The time is rounded
down to a twenty-fourth of that age, so one URL serves every receiver of a push and a history page
loaded again soon after (the browser's cache keeps working); clients get fresh URLs from every
history page, `sync` and push.
"""

import time
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _

from chat.models import Attachment, ContentType, Conversation, SenderType
from desk.kernel.errors import DomainError

MB = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    content_type: str  # the message content type it becomes
    max_bytes: int


ALLOWED: dict[str, Kind] = {
    "image/jpeg": Kind(ContentType.IMAGE, 10 * MB),
    "image/png": Kind(ContentType.IMAGE, 10 * MB),
    "image/gif": Kind(ContentType.IMAGE, 10 * MB),
    "image/webp": Kind(ContentType.IMAGE, 10 * MB),
    "video/mp4": Kind(ContentType.VIDEO, 25 * MB),
    "video/webm": Kind(ContentType.VIDEO, 25 * MB),
    "video/quicktime": Kind(ContentType.VIDEO, 25 * MB),
    "audio/mpeg": Kind(ContentType.AUDIO, 10 * MB),
    "audio/ogg": Kind(ContentType.AUDIO, 10 * MB),
    "application/pdf": Kind(ContentType.FILE, 20 * MB),
    "text/plain": Kind(ContentType.FILE, 5 * MB),
    "application/zip": Kind(ContentType.FILE, 20 * MB),
    "application/msword": Kind(ContentType.FILE, 20 * MB),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Kind(
        ContentType.FILE, 20 * MB
    ),
    "application/vnd.ms-excel": Kind(ContentType.FILE, 20 * MB),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": Kind(
        ContentType.FILE, 20 * MB
    ),
}
# The largest upload body: the largest file any type may be, plus room for the multipart envelope
# (the upload views' `max_body_bytes`, see desk/kernel/body_limits.py).
MAX_UPLOAD_BODY = max(kind.max_bytes for kind in ALLOWED.values()) + MB
# Magic numbers of the image types, so an HTML file cannot be uploaded as "image/png".
IMAGE_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm",
                "video/quicktime", "audio/mpeg", "audio/ogg"}  # fmt: skip
_SALT = "unidesk.attachment"


class UploadRejected(DomainError, ValueError):
    """A refused upload: 400 with its `code` (desk/kernel/errors.py), the message in the
    uploader's language; the same for the agent's and the widget's upload endpoints."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


def attachment_kind(attachment: Attachment) -> str:
    kind = ALLOWED.get(attachment.content_type)
    return kind.content_type if kind else ContentType.FILE


def attachment_upload(
    *, conversation: Conversation, upload: UploadedFile, actor: AbstractBaseUser | None
) -> Attachment:
    """Check and store one uploaded file for `conversation`, made by the agent `actor` (None:
    the conversation's customer, through the widget); refuses before anything is saved."""
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    kind = ALLOWED.get(content_type)
    if kind is None:
        raise UploadRejected("unsupported_type", _("Files of this type cannot be sent."))
    if upload.size > kind.max_bytes:
        limit = kind.max_bytes // MB
        message = _("Files of this type may be at most %(limit)d MB.") % {"limit": limit}
        raise UploadRejected("file_too_large", message)
    if upload.size == 0:
        raise UploadRejected("empty_file", _("The file is empty."))
    signatures = IMAGE_SIGNATURES.get(content_type)
    if signatures:
        head = upload.read(16)
        upload.seek(0)
        if not head.startswith(signatures):
            raise UploadRejected("type_mismatch", _("The file's content does not match its type."))
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    return Attachment.objects.create(
        conversation=conversation,
        uploader_type=SenderType.CUSTOMER if actor is None else SenderType.AGENT,
        uploader_user=actor,
        file=upload,
        content_type=content_type,
        size=upload.size,
        original_name=name,
    )


class UrlCheck(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def _now() -> float:
    return time.time()


def _url_step(max_age: int) -> int:
    return max(1, max_age // 24)


def _signature(attachment_id: int, issued: int) -> str:
    return signing.Signer(salt=_SALT).signature(f"{attachment_id}:{issued}")


def attachment_url(attachment: Attachment, *, now: float | None = None) -> str:
    """A URL that fetches the file until ATTACHMENT_URL_MAX_AGE_SECONDS after it was issued."""
    step = _url_step(settings.ATTACHMENT_URL_MAX_AGE_SECONDS)
    issued = int(_now() if now is None else now) // step * step
    token = f"{signing.b62_encode(issued)}.{_signature(attachment.pk, issued)}"
    return reverse("attachment", args=[attachment.pk, token])


def attachment_url_check(attachment_id: int, token: str, *, now: float | None = None) -> UrlCheck:
    """Whether `token` (from `attachment_url`) opens the attachment now."""
    issued_text, _, signature = token.partition(".")
    try:
        issued = signing.b62_decode(issued_text)
    except (ValueError, IndexError):
        return UrlCheck.INVALID
    if not signature or not signing.constant_time_compare(
        signature, _signature(attachment_id, issued)
    ):
        return UrlCheck.INVALID
    age = (_now() if now is None else now) - issued
    if age > settings.ATTACHMENT_URL_MAX_AGE_SECONDS:
        return UrlCheck.EXPIRED
    return UrlCheck.VALID
