"""A canned reply's body with its variables filled (desk.kernel.variables), as plain text for
the composer.

`{{customer.name}}`, `{{customer.email}}`, `{{ticket.number}}`, `{{ticket.subject}}`,
`{{agent.name}}` (spaces inside the braces are allowed). A variable that is unknown, or whose
value is missing (no ticket, no name), stays in the text as written, so the agent sees it and
fills it in before sending; nothing here raises. The result is never HTML: the composer puts it
in a textarea's value, and every message is shown as text.
"""

from chat.models import IdentityKind
from desk.canned.topics import ReplyContext
from desk.kernel.variables import Rendered, fill_variables
from routing.selectors import agent_display_name


def context_values(context: ReplyContext) -> dict[str, str]:
    """The variables' values for where the reply is written ("" when unknown)."""
    customer = context.customer
    ticket = context.ticket
    email = ""
    if customer is not None:
        emails = [i.external_id for i in customer.identities.all() if i.kind == IdentityKind.EMAIL]
        attributes = customer.attributes if isinstance(customer.attributes, dict) else {}
        email = emails[0] if emails else str(attributes.get("email") or "")
    return {
        "customer.name": customer.display_name.strip() if customer is not None else "",
        "customer.email": email,
        "ticket.number": ticket.number if ticket is not None else "",
        "ticket.subject": ticket.subject if ticket is not None else "",
        "agent.name": agent_display_name(context.agent),
    }


def canned_reply_render(body: str, context: ReplyContext) -> Rendered:
    return fill_variables(body, context_values(context))
