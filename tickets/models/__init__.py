"""The tickets app's models, one module per idea; import them from here."""

from tickets.models.automation import (
    SINGLETON_PK,
    WAITING_MINUTES_MAX,
    TicketAutomation,
    default_waiting_minutes,
)
from tickets.models.menu import (
    MAX_ANSWER_CHARS,
    QuestionKind,
    WidgetMenuOption,
    WidgetMenuQuestion,
)
from tickets.models.preset import (
    TicketPreset,
)
from tickets.models.sla import (
    BusinessHours,
    BusinessHoursInterval,
    Holiday,
    MakeUpWorkday,
    SlaPhase,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    Weekday,
)
from tickets.models.ticket import (
    CSAT_MAX,
    CSAT_MIN,
    Category,
    Tag,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketNumberSequence,
    TicketSource,
    TicketStatus,
    TicketSystemAction,
    TicketView,
)
from tickets.models.trigger import (
    KEYWORD_SEPARATORS,
    MAX_PATTERN_CHARS,
    KeywordTrigger,
    TriggerMatch,
    split_keywords,
)

__all__ = [
    "CSAT_MAX",
    "CSAT_MIN",
    "KEYWORD_SEPARATORS",
    "MAX_ANSWER_CHARS",
    "MAX_PATTERN_CHARS",
    "SINGLETON_PK",
    "WAITING_MINUTES_MAX",
    "BusinessHours",
    "BusinessHoursInterval",
    "Category",
    "Holiday",
    "KeywordTrigger",
    "MakeUpWorkday",
    "QuestionKind",
    "SlaPhase",
    "SlaPolicy",
    "SlaTarget",
    "SlaTimer",
    "Tag",
    "Ticket",
    "TicketAutomation",
    "TicketEvent",
    "TicketEventKind",
    "TicketNumberSequence",
    "TicketPreset",
    "TicketSource",
    "TicketStatus",
    "TicketSystemAction",
    "TicketView",
    "TriggerMatch",
    "Weekday",
    "WidgetMenuOption",
    "WidgetMenuQuestion",
    "default_waiting_minutes",
    "split_keywords",
]
