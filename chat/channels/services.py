"""The channel accounts' admin actions, each one service (house rule 1): check the connection,
register the webhook, rotate the webhook secret, process failed raw events again."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.adapters.provider import ConnectionProblem
from chat.channels.models import ChannelAccount, InboundEvent, new_webhook_secret
from chat.models import Conversation, ConversationStatus, SenderType
from chat.services import MessageResult, conversation_update_fields, message_create
from desk.kernel.errors import DomainError
from desk.kernel.variables import fill_variables
from routing.selectors import agent_display_name

__all__ = [
    "channel_account_check",
    "channel_account_register_webhook",
    "channel_account_rotate_secret",
    "inbound_events_retry",
    "new_webhook_secret",
    "whatsapp_template_send",
]
from chat.channels.registry import adapter_for
from chat.channels.secret_box import SecretsUnreadable


def channel_account_check(*, account: ChannelAccount) -> list[str]:
    """What the provider says about the account (bot name, webhook, pending updates), or
    `ConnectionProblem` with what is wrong in plain words."""
    try:
        return adapter_for(account.channel).check_connection(account)
    except SecretsUnreadable as exc:
        raise _unreadable() from exc


def channel_account_register_webhook(*, account: ChannelAccount, url: str) -> None:
    """Point the provider at `url` with the account's secret (made now if it has none)."""
    try:
        if not account.secrets.get("webhook_secret"):
            account.set_secrets(webhook_secret=new_webhook_secret(account.channel))
            account.save(update_fields=["secrets_encrypted", "updated_at"])
        adapter_for(account.channel).register_webhook(account, url)
    except SecretsUnreadable as exc:
        raise _unreadable() from exc
    account.webhook_registered_at = timezone.now()
    account.save(update_fields=["webhook_registered_at", "updated_at"])


def channel_account_rotate_secret(*, account: ChannelAccount) -> str:
    """A new webhook secret (returned once, to be shown once); the provider must be told it
    (register the webhook again), until then its deliveries are refused."""
    secret = new_webhook_secret(account.channel)
    account.set_secrets(webhook_secret=secret)
    account.webhook_registered_at = None
    account.save(update_fields=["secrets_encrypted", "webhook_registered_at", "updated_at"])
    return secret


@transaction.atomic
def channel_accounts_delete(*, actor: AbstractBaseUser, accounts: QuerySet[ChannelAccount]) -> int:
    """Delete channel accounts. Their open conversations are closed first, on each timeline by
    `actor`: with the account gone a reply could reach nobody, and a closed conversation
    refuses new replies instead of showing them sent. The history stays (the conversations keep
    their channel; their account becomes empty). Returns how many conversations were closed."""
    closed = 0
    ids = list(accounts.values_list("pk", flat=True))
    still_open = Conversation.objects.filter(channel_account_id__in=ids).exclude(
        status=ConversationStatus.CLOSED
    )
    for conversation in still_open:
        conversation_update_fields(
            actor=actor, conversation=conversation, changes={"status": ConversationStatus.CLOSED}
        )
        closed += 1
    ChannelAccount.objects.filter(pk__in=ids).delete()
    return closed


def inbound_events_retry(*, events: QuerySet[InboundEvent]) -> int:
    """Events not processed (their attempts ran out) are due again at the next sweep."""
    return events.filter(processed_at__isnull=True).update(
        next_attempt_at=timezone.now(), attempts=0
    )


def _unreadable() -> ConnectionProblem:
    from django.utils.translation import gettext as _

    return ConnectionProblem(
        "secrets_unreadable",
        _(
            "The saved token cannot be decrypted (SECRET_KEY or CHANNEL_SECRETS_KEY changed): "
            "enter it again."
        ),
    )


class NotWhatsapp(DomainError):
    code = "not_whatsapp"
    status = 409
    default_message = _("Only a WhatsApp conversation takes a template.")


TEMPLATE_PARAMETERS_MAX = 10
TEMPLATE_PARAMETER_CHARS = 200
TEMPLATE_VARIABLES = ("customer.name", "agent.name")


class TemplateParameterMissing(DomainError):
    code = "template_parameter_missing"
    status = 409


def template_parameters_check(lines: list[str]) -> str | None:
    """Why a supervisor's template parameters cannot be saved (None: they can)."""
    if len(lines) > TEMPLATE_PARAMETERS_MAX:
        return _("At most %(count)d parameters.") % {"count": TEMPLATE_PARAMETERS_MAX}
    for line in lines:
        if len(line) > TEMPLATE_PARAMETER_CHARS:
            return _("A parameter has at most %(count)d characters.") % {
                "count": TEMPLATE_PARAMETER_CHARS
            }
        unknown = [
            name for name in fill_variables(line, {}).unfilled if name not in TEMPLATE_VARIABLES
        ]
        if unknown:
            return _("Unknown variable {{%(name)s}}: use {{customer.name}} or {{agent.name}}.") % {
                "name": unknown[0]
            }
    return None


def whatsapp_template_send(
    *, actor: AbstractBaseUser, conversation: Conversation, client_msg_id: str
) -> MessageResult:
    """The account's approved template, the only thing WhatsApp takes once 24 hours have passed
    since the customer's last message (the agent's way to reopen the conversation), with its
    parameters filled for this customer and agent (a value that cannot be filled, say a customer
    without a name, is a 409 that names it, and nothing is sent)."""
    account = conversation.channel_account
    if account is None or account.channel != "whatsapp":
        raise NotWhatsapp()
    name = account.secrets.get("template_name", "")
    values = {
        "customer.name": conversation.customer.display_name.strip(),
        "agent.name": agent_display_name(actor),
    }
    parameters = []
    for line in account.secrets.get("template_parameters") or []:
        filled = fill_variables(line, values)
        if filled.unfilled:
            raise TemplateParameterMissing(
                _("The template needs {{%(name)s}}, which is empty here.")
                % {"name": filled.unfilled[0]}
            )
        parameters.append(filled.body)
    shown = f"[template] {name}".strip() + (f": {' · '.join(parameters)}" if parameters else "")
    return message_create(
        conversation=conversation,
        sender_type=SenderType.AGENT,
        sender_user=actor,
        body=shown,
        payload={"whatsapp_template": True, "whatsapp_template_parameters": parameters},
        client_msg_id=client_msg_id,
    )
