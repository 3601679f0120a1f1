"""Attachment downloads by capability URL (see chat/attachments.py)."""

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from chat.attachments import INLINE_TYPES, attachment_signature_valid
from chat.models import Attachment


@require_GET
def attachment_download(request: HttpRequest, attachment_id: int, signature: str) -> FileResponse:
    if not attachment_signature_valid(attachment_id, signature):
        raise Http404
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or not attachment.file:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=attachment.content_type not in INLINE_TYPES,
        filename=attachment.original_name,
    )
    # Never let an uploaded file run as a page of this site.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
