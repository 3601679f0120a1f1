"""Attachment downloads by expiring capability URL (see chat/attachments.py)."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chat.attachments import INLINE_TYPES, UrlCheck, attachment_url_check
from chat.models import Attachment


@require_GET
def attachment_download(
    request: HttpRequest, attachment_id: int, signature: str
) -> FileResponse | HttpResponse:
    """404 for a forged or unknown link, 410 for one that has expired (reload the chat for a
    fresh one)."""
    check = attachment_url_check(attachment_id, signature)
    if check is UrlCheck.INVALID:
        raise Http404
    if check is UrlCheck.EXPIRED:
        return HttpResponse(
            _("This link has expired. Reload the conversation to get a new one."),
            status=410,
            content_type="text/plain; charset=utf-8",
        )
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
