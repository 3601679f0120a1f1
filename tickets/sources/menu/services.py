"""The widget menu (转工单 way 3): a visitor picks an option, answers its questions, and gets a
ticket with the option's category, priority, team and tags. Read `tickets/models/menu.py`
for the rules."""

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from chat.models import SenderType, WidgetVisitor
from chat.services import message_create
from chat.widget.services import visitor_conversation_start
from desk.kernel.errors import DomainError, ErrorAnswer, invalid_fields
from tickets.models import Ticket, TicketSource
from tickets.models.menu import MAX_ANSWER_CHARS, QuestionKind, WidgetMenuOption
from tickets.services import TicketData, ticket_create_from_conversation

SUBJECT_CHARS = 200


class MenuAnswersInvalid(DomainError, ValueError):
    """Some answers are missing or wrong: `errors` maps a question key to its messages. The API
    answers 400 `invalid` with `fields: {"answers": errors}` (desk/kernel/errors.py)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("invalid answers")
        self.errors = errors

    def answer(self) -> ErrorAnswer:
        return invalid_fields({"answers": self.errors})


def menu_answers_clean(*, option: WidgetMenuOption, answers: object) -> dict[str, str]:
    """The answers by key, trimmed, in question order; raises MenuAnswersInvalid."""
    if not isinstance(answers, Mapping):
        raise MenuAnswersInvalid({"answers": [_("Send the answers as an object.")]})
    questions = list(option.questions.all())
    known = {q.key for q in questions}
    errors: dict[str, list[str]] = {
        str(key)[:40]: [_("There is no such question.")] for key in answers if key not in known
    }
    cleaned: dict[str, str] = {}
    for question in questions:
        value = answers.get(question.key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[question.key] = [_("Answer with text.")]
            continue
        value = value.strip()
        if len(value) > MAX_ANSWER_CHARS:
            errors[question.key] = [
                _("At most %(n)d characters.") % {"n": MAX_ANSWER_CHARS},
            ]
        elif not value:
            if question.required:
                errors[question.key] = [_("This field is required.")]
        elif question.kind == QuestionKind.CHOICE and value not in question.choice_list():
            errors[question.key] = [_("Choose one of the listed answers.")]
        else:
            cleaned[question.key] = value
    if errors:
        raise MenuAnswersInvalid(errors)
    return cleaned


def _answers_text(option: WidgetMenuOption, answers: dict[str, str]) -> str:
    lines = [f"【{option.label_zh} / {option.label_en}】"]
    for question in option.questions.all():
        if question.key in answers:
            lines.append(f"{question.label_zh} / {question.label_en}: {answers[question.key]}")
    return "\n".join(lines)


@transaction.atomic
def ticket_create_from_menu(
    *, visitor: WidgetVisitor, option: WidgetMenuOption, answers: object
) -> Ticket:
    """The visitor's answers to a menu option become a ticket (source `menu`).

    The answers are checked first (MenuAnswersInvalid: nothing is written). Then the visitor's
    open conversation is found or started, the answers go into it as the visitor's message (the
    agents read them in the chat), and the ticket is made with the option's category, priority,
    team and tags, the answers in `custom_fields["menu"]` and the subject "label: first answer".
    The visitor chose to file this matter, so it is a ticket of its own even when the
    conversation already has an open one. Raises LookupError for an option that is inactive or
    of another site, and `PrechatRequired` while the site's pre-chat form is unanswered."""
    if option.site_id != visitor.site_id or not option.is_active:
        raise LookupError("No such menu option.")
    cleaned = menu_answers_clean(option=option, answers=answers)
    conversation, _created = visitor_conversation_start(visitor=visitor)
    message_create(
        conversation=conversation,
        sender_type=SenderType.CUSTOMER,
        body=_answers_text(option, cleaned),
    )
    first = next(iter(cleaned.values()), "")
    label = option.label_zh or option.label_en
    subject = f"{label}: {first}" if first else label
    result = ticket_create_from_conversation(
        actor=None,
        conversation=conversation,
        data=TicketData(
            subject=" ".join(subject.split())[:SUBJECT_CHARS],
            **option.preset_fields(),
            custom_fields={
                "menu": {
                    "option_id": option.pk,
                    "option": f"{option.label_zh} / {option.label_en}",
                    "answers": cleaned,
                }
            },
        ),
        allow_additional=True,
        source=TicketSource.MENU,
    )
    return result.ticket
