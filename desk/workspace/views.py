"""Pages: the agent workspace, the widget demo page, and a health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from chat.adapters.provider import FAILURE_LABELS
from chat.models import Channel, ContentType, ConversationStatus, DeliveryState, IdentityKind
from desk.kernel.access import is_supervisor
from desk.kernel.choices import Priority
from desk.models import CannedReply, CannedReplyScope, Language
from desk.workspace.live_strings import LIVE_STRINGS
from routing import selectors as routing_selectors
from routing.models import Presence
from tickets.models import (
    SlaTarget,
    TicketEventKind,
    TicketSource,
    TicketStatus,
    TicketSystemAction,
)
from tickets.selectors import categories_active


@login_required
@never_cache
def workspace(request: HttpRequest) -> HttpResponse:
    profile = routing_selectors.agent_profile_for_user(request.user)
    if profile is None:
        return render(request, "desk/not_agent.html", status=403)
    teams = [{"id": team.pk, "name": team.name} for team in routing_selectors.teams_active()]
    return render(
        request,
        "desk/workspace.html",
        {
            "profile": profile,
            "presence_choices": Presence.choices,
            "is_supervisor": is_supervisor(request.user),
            "teams": teams,
            "channel_choices": Channel.choices,
            "status_choices": ConversationStatus.choices,
            "ticket_status_choices": TicketStatus.choices,
            "priority_choices": Priority.choices,
            "language_choices": Language.choices,
            "canned_body_help": CannedReply._meta.get_field("body").help_text,
            "desk_config": {
                "agentId": profile.user_id,
                "socketPath": "/ws/desk/",
                "presenceUrl": reverse("api:me-presence"),
                "loginUrl": reverse("login"),
                "conversationsUrl": reverse("api:conversations"),
                "isSupervisor": is_supervisor(request.user),
                "teamIds": [team.pk for team in profile.teams.all()],
                "teams": teams,
                "agents": routing_selectors.agents_directory(),
                "ticketsUrl": reverse("api:ticket", args=[0]).removesuffix("0/"),
                "customersUrl": reverse("api:customer", args=[0]).removesuffix("0/"),
                "ticketViewsUrl": reverse("api:ticket-views"),
                "slaWatchUrl": reverse("api:sla-watch"),
                "liveUrl": reverse("api:routing-live"),
                "notificationsUrl": reverse("api:notifications"),
                "cannedRepliesUrl": reverse("api:canned-replies"),
                "kbSearchUrl": reverse("api:kb-search"),
                "kbSuggestionsUrl": reverse("api:kb-suggestions"),
                "kbArticlesUrl": reverse("api:kb-article", args=[0]).removesuffix("0/"),
                "categories": [{"id": c.pk, "name": str(c)} for c in categories_active()],
                # reply drafts from the language model (tickets/assist/api.py), when configured
                "assistDrafts": bool(settings.ASSIST_LLM_URL),
            },
            "desk_i18n": workspace_strings(),
        },
    )


# Every string the workspace scripts show (rendered with json_script; the JS holds no English).
# Placeholders are Python's `%(name)s`; desk/static/desk/dom.js `fmt` fills them.
WORKSPACE_STRINGS = {
    "connecting": _("Connecting…"),
    "connected": _("Connected"),
    "reconnecting": _("Reconnecting…"),
    "offline": _("Offline"),
    "sessionEnded": _("Your session has ended. Sign in again to keep working."),
    "signIn": _("Sign in"),
    "presenceFailed": _("Your status could not be changed. Please try again."),
    "newChatAssigned": _("New chat for you: %(name)s"),
    "newChatsTitle": _("(%(n)s) New chat"),
    # offer mode (offer_card.js)
    "offerTitle": _("Chat offered: %(name)s"),
    "offerSecondsLeft": _("%(n)ss left"),
    "offerAccept": _("Accept"),
    "offerDecline": _("Decline"),
    "offerWindowTitle": _("(%(n)s) Chat offered"),
    "offerTimedOut": _("The offered chat went to the next agent."),
    "offerGone": _("That offer has expired or is no longer yours."),
    # inbox
    "youPrefix": _("You: %(text)s"),
    "senderPrefix": _("%(name)s: %(text)s"),
    "assignedToYou": _("You"),
    "unassigned": _("Unassigned"),
    "unreadCount": _("%(n)s unread"),
    "waitingFor": _("waiting %(time)s"),
    "waitingTitle": _("Time since the customer's first unanswered message"),
    "customerNumber": _("Customer #%(id)s"),
    "conversationNumber": _("Conversation #%(id)s"),
    "durationSeconds": _("%(n)ss"),
    "durationMinutes": _("%(n)sm"),
    "durationHours": _("%(h)sh %(m)sm"),
    "durationDays": _("%(d)sd %(h)sh"),
    # conversation
    "today": _("Today"),
    "yesterday": _("Yesterday"),
    "you": _("you"),
    "meName": _("%(name)s (me)"),
    "system": _("System"),
    "bot": _("Bot"),
    "noteBy": _("Internal note · %(name)s"),
    "assignedTo": _("Assigned to %(name)s"),
    "isTyping": _("%(name)s is typing…"),
    "agentTyping": _("%(name)s is typing a reply…"),
    "agentWritingNote": _("%(name)s is writing an internal note…"),
    "alsoViewing": _("Also viewing: %(names)s"),
    "eventStatus": _("%(actor)s changed the status from %(old)s to %(new)s"),
    "eventAssigned": _("%(actor)s assigned the conversation to %(name)s"),
    "eventUnassigned": _("%(actor)s unassigned the conversation"),
    "eventTookOver": _("%(actor)s took the conversation"),
    "eventTeam": _("%(actor)s moved the conversation to %(team)s"),
    "eventNoTeam": _("%(actor)s removed the conversation from its team"),
    "eventOverflow": _("Waited %(time)s: widened to %(team)s"),
    "eventOffered": _("Offered to %(name)s"),
    "eventOfferPassed": {
        "declined": _("%(name)s declined the offer"),
        "expired": _("%(name)s did not answer the offer in time"),
        "offline": _("%(name)s went offline before answering the offer"),
    },
    "download": _("Download"),
    "sending": _("Sending…"),
    "draftingReply": _("Writing a draft…"),
    "draftFailed": _("The AI draft could not be written."),
    "retry": _("Retry"),
    "notDelivered": _("Not delivered: %(reason)s"),
    # WeChat (48 h) and WhatsApp (24 h) take replies only this long after the customer wrote
    "replyWindowLeft": _("Reply window: %(hours)s h left"),
    "replyWindowClosed": _("Reply window closed: replies are refused until the customer writes"),
    "resendFailed": _("The message could not be queued again. Please try again."),
    "discard": _("Discard"),
    "sendFailed": _("Not sent."),
    "sendErrors": {
        "conversation_closed": _("Not sent: the conversation is closed."),
        "not_found": _("Not sent: you no longer have this conversation."),
        "invalid_message": _("Not sent: the message is empty or too long."),
        "invalid_attachment": _("Not sent: an attachment could not be used."),
    },
    "conversationNotFound": _("That conversation does not exist or is not yours."),
    "loadFailed": _("The conversation could not be loaded. Please try again."),
    "movedAway": _("The conversation has moved out of your queues."),
    "actionFailed": _("That did not work. Please try again."),
    "chooseAgent": _("Choose an agent…"),
    "chooseTeam": _("Choose a team…"),
    # composer
    "replyPlaceholder": _("Type a reply…"),
    "notePlaceholder": _("Write an internal note (the customer does not see it)…"),
    "send": _("Send"),
    "addNote": _("Add note"),
    "uploading": _("uploading…"),
    "remove": _("Remove"),
    "removeFile": _("Remove %(name)s"),
    "uploadFailed": _("%(name)s was not uploaded: %(reason)s"),
    "networkError": _("the network failed"),
    # customer panel
    "loading": _("Loading…"),
    "nothingKnown": _("Nothing known yet."),
    "yes": _("Yes"),
    "no": _("No"),
    "vipLevel": _("VIP level %(level)s"),
    "notVip": _("Not a VIP"),
    "verified": _("Verified"),
    "identities": _("Identities"),
    "attributes": _("Attributes"),
    "deviceAndPage": _("Device and page"),
    "previousConversations": _("Previous conversations"),
    "noPreviousConversations": _("No earlier conversations."),
    "tickets": _("Tickets"),
    "noTickets": _("No tickets."),
    "ctx": {
        "device": _("Device"),
        "os": _("Operating system"),
        "browser": _("Browser"),
        "app_version": _("App version"),
        "network_type": _("Network"),
        "ip_address": _("IP address"),
        "page": _("Page"),
        "referrer": _("Referrer"),
        "channel": _("Channel"),
        "page_url": _("Page address"),
        "page_title": _("Page title"),
    },
    # tickets (转工单 and the ticket panel)
    "ticketChip": _("%(number)s · %(status)s"),
    "ticketChipTitle": _("Open ticket %(number)s"),
    "ticketExists": _(
        "This conversation already has an open ticket: %(number)s · %(status)s. Open it, or "
        "create another ticket."
    ),
    "ticketCreated": _("Ticket %(number)s created."),
    "ticketReturned": _("The conversation already has ticket %(number)s; it is shown instead."),
    "ticketLoadFailed": _("The ticket could not be loaded. Please try again."),
    "ticketNone": _("None"),
    "ticketCategorySuggested": _("Suggested category: %(text)s (%(detail)s)"),
    "ticketSummary": _("Summary:"),
    "assistUrgent": _("Urgent"),
    "assistAngry": _("Upset"),
    "ticketCustomer": _("Customer"),
    "ticketRequester": _("Requester: %(name)s"),
    "ticketDescription": _("Description"),
    "ticketConversation": _("Open conversation #%(id)s"),
    "ticketEventCreated": _("%(actor)s created the ticket"),
    "ticketEventNote": _("Internal note · %(actor)s"),
    "ticketEventStatus": _("%(actor)s changed the status from %(old)s to %(new)s"),
    "ticketEventPriority": _("%(actor)s changed the priority from %(old)s to %(new)s"),
    "ticketEventAssigned": _("%(actor)s assigned the ticket to %(name)s"),
    "ticketEventUnassigned": _("%(actor)s unassigned the ticket"),
    "ticketSystemName": _("System"),
    "ticketAutomationActor": _("Automation: %(name)s"),
    "ticketEventNotified": _("%(actor)s notified: %(text)s"),
    "ticketEventNoticeHeld": _("%(actor)s will notify when the team opens (%(due)s): %(text)s"),
    "ticketReplySent": _("Reply sent to the customer."),
    # a resolved ticket drafts a KB article (ticket_kb_draft.js)
    "kbDraftCreated": _("Draft article “%(title)s” created: edit and publish it in the admin."),
    "kbDraftExists": _("This ticket's article “%(title)s” already exists: it is linked below."),
    # the ticket panel's header editor (ticket_fields.js) and merge/link (ticket_relations.js)
    "ticketEdit": _("Edit"),
    "ticketTagRemove": _("Remove tag %(name)s"),
    "ticketFieldEdit": _("Edit field %(key)s"),
    "ticketFieldRemove": _("Remove field %(key)s"),
    "ticketFieldsEmpty": _("No custom fields."),
    "ticketEventTeam": _("%(actor)s changed the team from %(old)s to %(new)s"),
    "ticketEventCategory": _("%(actor)s changed the category from %(old)s to %(new)s"),
    "ticketEventSla": _("SLA due times recomputed: %(policy)s, resolution due %(due)s"),
    "slaLeft": _("%(time)s left"),
    "slaOverdue": _("%(time)s overdue"),
    "slaPausedLeft": _("paused, %(time)s left"),
    "slaOffHoursLeft": _("%(time)s left, off hours"),
    "slaWatchCount": _("SLA watch: %(tickets)s tickets, %(chats)s waiting chats"),
    "slaDue": _("%(target)s due %(time)s"),
    "ticketEventSubject": _("%(actor)s changed the subject from “%(old)s” to “%(new)s”"),
    "ticketEventTagged": _("%(actor)s added the tag %(name)s"),
    "ticketEventUntagged": _("%(actor)s removed the tag %(name)s"),
    "ticketEventFieldSet": _("%(actor)s set %(key)s to %(new)s"),
    "ticketEventFieldChanged": _("%(actor)s changed %(key)s from %(old)s to %(new)s"),
    "ticketEventFieldRemoved": _("%(actor)s removed the field %(key)s"),
    "ticketEventMergedInto": _("%(actor)s merged this ticket into %(number)s"),
    "ticketEventMergedFrom": _("%(actor)s merged %(number)s into this ticket"),
    "ticketEventLinked": _("%(actor)s linked this ticket to %(number)s"),
    "ticketRelatedEmpty": _("No related tickets."),
    "ticketMergeTitle": _("Merge %(number)s into another ticket"),
    "ticketLinkTitle": _("Link %(number)s to another ticket"),
    "ticketMergeConfirm": _("Merge"),
    "ticketLinkConfirm": _("Link"),
    "ticketRelationHint": _("Type a ticket number or words, then pick a ticket from the list."),
    "ticketRelationChosen": _("Chosen: %(number)s · %(subject)s"),
    "ticketRelationNotFound": _("No ticket matches."),
    "ticketMergedToast": _("Merged into %(number)s."),
    "ticketLinkedToast": _("Linked to %(number)s."),
    "ticketAlreadyLinked": _("Already linked to %(number)s."),
    "ticketNoteAdded": _("Internal note added."),
    # the ticket list
    "ticketListCount": _("%(n)s shown"),
    "ticketListSelected": _("%(n)s selected"),
    "ticketListFresh": _("%(n)s new or changed tickets · Show"),
    "ticketListLoadFailed": _("The tickets could not be loaded. Please try again."),
    "ticketListSlaAtRisk": _("SLA at risk"),
    "ticketListBulkDone": _("%(ok)s of %(n)s tickets changed."),
    "ticketListBulkRefused": _("%(number)s: %(reason)s"),
    "ticketListCodes": {
        "not_found": _("not found or not yours"),
        "invalid_transition": _("that status change is not allowed"),
        "ticket_merged": _("merged into another ticket"),
    },
    "ticketListViewSaved": _("View “%(name)s” saved."),
    "ticketListViewDeleted": _("View “%(name)s” deleted."),
    "ticketListViewNameNeeded": _("Give the view a name."),
    # notifications (the bell) and @mentions
    "notifications": _("Notifications"),
    "notificationsUnread": _("%(n)s unread notifications"),
    "notificationsEmpty": _("Nothing new. Mentions and replies on your tickets appear here."),
    "notificationsMarkAll": _("Mark all as read"),
    "notificationsLoadFailed": _("The notifications could not be loaded."),
    "notificationMention": _("%(actor)s mentioned you on %(number)s"),
    "notificationTicketReply": _("%(actor)s replied on %(number)s"),
    "notificationTicketAssigned": _("%(actor)s assigned %(number)s to you"),
    # SLA notifications have no actor: %(actor)s is the target (first response, resolution).
    "notificationSlaWarning": _("%(number)s: %(actor)s due soon"),
    "notificationSlaBreached": _("%(number)s: %(actor)s overdue"),
    "notificationTicketCreated": _("%(actor)s made %(number)s from your conversation"),
    "notificationSomeone": _("Someone"),
    "notificationAutomation": _("%(actor)s: %(number)s"),
    "mentionSuggestions": _("Agents to mention"),
    # canned replies in the reply boxes (canned.js); %(word)s is what was typed, with its "/"
    "cannedReplies": _("Canned replies"),
    "cannedSearch": _("Search canned replies"),
    "cannedLoading": _("Searching…"),
    "cannedNone": _("No canned replies match."),
    "cannedNoMatch": _("No canned reply matches %(word)s."),
    "cannedSendAsText": _("Send as text"),
    "cannedKeysHint": _("↑ ↓ to choose · Enter or Tab to insert · Esc to close"),
    "cannedEditHint": _("Edit the text, or send it as it is."),
    "cannedConfirmHint": _("Press Enter again to send %(word)s as text, or edit it."),
    "cannedUnfilled": _("Fill these in before sending: %(names)s"),
    "cannedNew": _("New reply"),
    "cannedEdit": _("Edit"),
    "cannedEditLabel": _("Edit %(word)s"),
    "cannedNewTitle": _("New canned reply (only you can use it)"),
    "cannedEditTitle": _("Edit my canned reply"),
    "cannedSaved": _("Saved %(word)s."),
    "cannedDeleted": _("Deleted %(word)s."),
    # the knowledge base tab (kb.js)
    "kbSearching": _("Searching…"),
    "kbNoResults": _("No articles match."),
    "kbSearchFailed": _("The knowledge base could not be searched. Please try again."),
    "kbResultCount": _("Found: %(n)s"),
    "kbNoSuggestions": _("No articles match what the customer wrote."),
    "kbInsertAnswer": _("Insert answer"),
    "kbInsertLink": _("Insert link"),
    "kbInsertAnswerOf": _("Insert the answer of “%(title)s” into the reply"),
    "kbInsertLinkOf": _("Insert a link to “%(title)s” into the reply"),
    "kbInserted": _("Inserted “%(title)s” into the reply."),
    "kbNoConversation": _("Open a conversation to insert into its reply."),
    "kbInternal": _("Internal only"),
    "kbBack": _("Back to results"),
    "kbOtherLanguage": _("Also in: %(language)s"),
    "kbLoadFailed": _("The article could not be loaded. Please try again."),
}


def workspace_strings() -> dict:
    """The strings above plus the labels of channels, statuses, presences and content types."""
    return {
        **WORKSPACE_STRINGS,
        "live": LIVE_STRINGS,
        "channels": dict(Channel.choices),
        "identityKinds": dict(IdentityKind.choices),
        "ticketSources": dict(TicketSource.choices),
        "statuses": dict(ConversationStatus.choices),
        "presences": dict(Presence.choices),
        "deliveryStates": dict(DeliveryState.choices),
        "deliveryErrors": dict(FAILURE_LABELS),
        "ticketStatuses": dict(TicketStatus.choices),
        "priorities": {str(value): label for value, label in Priority.choices},
        "ticketEventKinds": dict(TicketEventKind.choices),
        "ticketActions": dict(TicketSystemAction.choices),
        "slaTargets": dict(SlaTarget.choices),
        "cannedScopes": dict(CannedReplyScope.choices),
        "kbLanguages": dict(Language.choices),
        "contentTypes": {
            value: f"[{label}]" for value, label in ContentType.choices if value != "text"
        },
    }


def demo_site(request: HttpRequest) -> HttpResponse:
    """A pretend merchant page that embeds the chat widget, so anyone can try it."""
    return render(request, "demo/shop.html")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("healthz", "1", 5)
        checks["redis"] = "ok" if cache.get("healthz") == "1" else "error: no echo"
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
