"""How chat's refusals are answered, in the one error table (desk/kernel/errors.py).

Refusals whose classes derive from `DomainError` declare it themselves (uploads:
chat/attachments.py; the widget session: chat/widget/sessions.py); these are named here because
their modules keep them as they are. Loaded once by `ChatConfig.ready`.
"""

from django.utils.translation import gettext_lazy as _

from chat import services
from chat.widget import services as widget_services
from desk.kernel.errors import error_register

error_register(services.ConversationClosed, status=409, code="conversation_closed")
error_register(services.InvalidAttachment, status=400, code="invalid_attachment")
error_register(
    widget_services.PrechatRequired,
    status=400,
    code="prechat_required",
    message=_("Fill in the form first."),
)
