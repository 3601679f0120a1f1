"""The `Calendar` value of an admin's business-hours calendar (tickets/sla/calendar.py counts in
it)."""

from zoneinfo import ZoneInfo

from tickets.models import BusinessHours
from tickets.sla.calendar import Calendar


def calendar_of(hours: BusinessHours | None) -> Calendar | None:
    """None (around the clock) for no calendar; three queries otherwise (intervals, holidays,
    make-up days)."""
    if hours is None:
        return None
    weekly: dict[int, list] = {}
    for interval in hours.intervals.all():
        weekly.setdefault(interval.weekday, []).append((interval.start, interval.end))
    return Calendar(
        tz=ZoneInfo(hours.timezone),
        weekly={day: tuple(spans) for day, spans in weekly.items()},
        holidays=frozenset(hours.holidays.values_list("date", flat=True)),
        workdays=dict(hours.workdays.values_list("date", "works_as")),
    )
