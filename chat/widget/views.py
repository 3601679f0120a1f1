"""The widget's page inside the iframe: /widget/frame/?site=KEY.

The page is allowed in frames of the site's allowed origins and our own pages only (CSP
`frame-ancestors`; X-Frame-Options does not apply to it) and may run nothing but our own scripts.
It carries the site's public config and every string the widget shows, in both languages; the
script picks one.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from chat.models import WidgetSite
from chat.widget.serializers import site_config

WIDGET_LANGUAGES = ("zh-hans", "en")

# Every string the widget script shows; the script holds no text of its own.
WIDGET_STRINGS = {
    "title": _("Chat with us"),
    "close": _("Minimize chat"),
    "connecting": _("Connecting…"),
    "reconnecting": _("Connection lost. Reconnecting…"),
    "offline": _("You are offline. Messages will be sent when you are back online."),
    "ended": _("This chat is no longer available. Reload the page to start again."),
    "signIn": _("Please sign in to chat with us."),
    "placeholder": _("Type a message…"),
    "send": _("Send"),
    "attach": _("Attach a file"),
    "uploading": _("Uploading…"),
    "sending": _("Sending"),
    "delivered": _("Delivered"),
    "read": _("Read"),
    "failed": _("Not sent"),
    "retry": _("Retry"),
    "typing": _("%(name)s is typing…"),
    "agent": _("Customer service"),
    "you": _("You"),
    "waiting": _("Waiting for an agent to join"),
    "queuePosition": _("You are number %(position)s in line · about %(minutes)s min"),
    "nobodyOnline": _("No agent is online now. We will answer as soon as one is."),
    "assigned": _("%(name)s is here to help"),
    "closed": _("This conversation has ended. Write again to start a new one."),
    "newConversation": _("New conversation"),
    "earlier": _("Show earlier messages"),
    "newMessages": _("New messages ↓"),
    "download": _("Download"),
    "prechatTitle": _("Before we start"),
    "prechatIntro": _("Tell us a little about yourself so we can help faster."),
    "prechatStart": _("Start chat"),
    "fieldName": _("Name"),
    "fieldEmail": _("Email address"),
    "fieldPhone": _("Phone"),
    "fieldTopic": _("Topic"),
    "chooseTopic": _("Choose a topic"),
    "optional": _("optional"),
    "required": _("This field is required."),
    "unsupported_type": _("This kind of file cannot be sent."),
    "file_too_large": _("The file is too large."),
    "payload_too_large": _("The file is too large."),
    "type_mismatch": _("The file's content does not match its type."),
    "empty_file": _("The file is empty."),
    "uploadFailed": _("The file could not be sent. Please try again."),
    "rate_limited": _("You are sending messages too fast. Please wait a moment."),
    "invalid_message": _("The message could not be sent."),
    "tooLong": _("Messages are limited to 5000 characters."),
    "poweredBy": _("Powered by Unidesk"),
    # ticket cards (转工单) and their rating; statuses as the customer reads them
    "status_new": pgettext_lazy("ticket status", "New"),
    "status_open": pgettext_lazy("ticket status", "Open"),
    "status_in_progress": pgettext_lazy("ticket status", "In progress"),
    "status_pending": pgettext_lazy("ticket status", "Pending"),
    "status_resolved": pgettext_lazy("ticket status", "Resolved"),
    "status_closed": pgettext_lazy("ticket status", "Closed"),
    "handledBy": _("Handled by %(name)s"),
    "rateTitle": _("How did we do?"),
    "rateStars": _("%(n)s of 5 stars"),
    "rateComment": _("Anything else to tell us? (optional)"),
    "rateSubmit": _("Submit rating"),
    "rateThanks": _("Thanks for your rating"),
    "rateFailed": _("The rating could not be sent. Please try again."),
    # the menu (转工单) and leave-a-message mode
    "menuTitle": _("Quick help"),
    "menuSubmit": _("Submit"),
    "menuCancel": _("Cancel"),
    "menuFailed": _("The form could not be sent. Please try again."),
    "invalidChoice": _("Choose one of the listed answers."),
    "chooseOne": _("Choose…"),
    "agentsOffline": _("No agent is online now; leave a message and we'll reply by ticket."),
    # self-service help (the knowledge base's published articles; static/widget/help.js)
    "help": _("Help"),
    "helpSearch": _("Search help articles"),
    "helpEmpty": _("No articles found. Try other words, or chat with us."),
    "helpBack": _("Back to chat"),
    "helpResults": _("Back to results"),
    "helpHelpful": _("Was this helpful?"),
    "helpYes": _("Helpful"),
    "helpNo": _("Not helpful"),
    "helpThanks": _("Thanks for your feedback."),
    "helpFailed": _("Help could not be loaded. Please try again."),
}


def widget_strings() -> dict[str, dict[str, str]]:
    """Every widget string in each widget language."""
    catalogue = {}
    for language in WIDGET_LANGUAGES:
        with translation.override(language):
            catalogue[language] = {key: str(text) for key, text in WIDGET_STRINGS.items()}
    return catalogue


def frame_ancestors(site: WidgetSite) -> str:
    """The CSP source list of pages that may embed this site's widget: our own pages (the demo
    page at /demo/) and the origins the site lists; no other site when it lists none."""
    return " ".join(["'self'", *site.origin_list()])


def frame_policy(site: WidgetSite, host: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob: https:",
            "media-src 'self' blob:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {frame_ancestors(site)}",
        ]
    )


def frame_context(site: WidgetSite) -> dict:
    """What the frame template needs (also used by bench/widget_size.py)."""
    return {
        "site": site,
        "widget_config": {
            "site": site_config(site),
            "sessionUrl": reverse("widget-api:session"),
            "attachmentUrl": reverse("widget-api:attachments"),
            "messagesUrl": reverse("widget-api:messages", args=[0]).replace("/0/", "/{id}/"),
            "ticketUrl": reverse("widget-api:ticket", args=[0]).replace("/0/", "/{id}/"),
            "menuUrl": reverse("widget-api:menu", args=[0]).replace("/0/", "/{id}/"),
            # the help's endpoints are desk.kb's (above chat), mounted in the same namespace
            "kbSearchUrl": reverse("widget-api:kb-search"),
            "kbViewUrl": reverse("widget-api:kb-article-view", args=[0]).replace("/0/", "/{id}/"),
            "kbVoteUrl": reverse("widget-api:kb-vote", args=[0]).replace("/0/", "/{id}/"),
            "socketPath": "/ws/widget/",
        },
        "widget_i18n": widget_strings(),
    }


@require_GET
@xframe_options_exempt
def widget_frame(request: HttpRequest) -> HttpResponse:
    site = WidgetSite.objects.filter(key=request.GET.get("site", ""), is_active=True).first()
    if site is None:
        raise Http404("No such widget site.")
    response = render(request, "widget/frame.html", frame_context(site))
    response["Content-Security-Policy"] = frame_policy(site, request.get_host())
    response["Cache-Control"] = "no-cache"
    response["Referrer-Policy"] = "no-referrer"
    return response
