"""Uploads: size and type limits, storage through Django storage, and capability URLs.

A file is uploaded first (it belongs to a conversation, not yet to a message), then a message
names it. Its URL carries a signature, so the widget (no session) and the workspace can both fetch
it, and nobody can guess another one.
"""

from dataclasses import dataclass

from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse

from chat.models import Attachment, ContentType, Conversation

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


class UploadRejected(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def attachment_kind(attachment: Attachment) -> str:
    kind = ALLOWED.get(attachment.content_type)
    return kind.content_type if kind else ContentType.FILE


def attachment_upload(*, conversation: Conversation, upload: UploadedFile) -> Attachment:
    """Check and store one uploaded file for `conversation`; refuses before anything is saved."""
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    kind = ALLOWED.get(content_type)
    if kind is None:
        raise UploadRejected(
            "unsupported_type", f"Files of type {content_type!r} are not accepted."
        )
    if upload.size > kind.max_bytes:
        raise UploadRejected(
            "file_too_large", f"{content_type} files are limited to {kind.max_bytes // MB} MB."
        )
    if upload.size == 0:
        raise UploadRejected("empty_file", "The file is empty.")
    signatures = IMAGE_SIGNATURES.get(content_type)
    if signatures:
        head = upload.read(16)
        upload.seek(0)
        if not head.startswith(signatures):
            raise UploadRejected("type_mismatch", "The file's content does not match its type.")
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    return Attachment.objects.create(
        conversation=conversation,
        file=upload,
        content_type=content_type,
        size=upload.size,
        original_name=name,
    )


def attachment_signature(attachment_id: int) -> str:
    return signing.Signer(salt=_SALT).sign(str(attachment_id)).rsplit(":", 1)[1]


def attachment_signature_valid(attachment_id: int, signature: str) -> bool:
    try:
        signing.Signer(salt=_SALT).unsign(f"{attachment_id}:{signature}")
    except signing.BadSignature:
        return False
    return True


def attachment_url(attachment: Attachment) -> str:
    return reverse("attachment", args=[attachment.pk, attachment_signature(attachment.pk)])
