"""The `Calendar` value of an admin's business-hours calendar (tickets/sla/calendar.py counts in
it)."""

from zoneinfo import ZoneInfo

from tickets.models import BusinessHours
from tickets.sla.calendar import Calendar


def calendar_of(hours: BusinessHours | None) -> Calendar | None:
    """None (around the clock) for no calendar; otherwise three queries (intervals, holidays,
    make-up days) the first time for this row object, none after: a ticket change that
    recomputes the clock and then remakes its timers reads its calendar once."""
    if hours is None:
        return None
    cached = getattr(hours, "_sla_calendar", None)
    if cached is not None:
        return cached
    weekly: dict[int, list] = {}
    for interval in hours.intervals.all():
        weekly.setdefault(interval.weekday, []).append((interval.start, interval.end))
    hours._sla_calendar = Calendar(
        tz=ZoneInfo(hours.timezone),
        weekly={day: tuple(spans) for day, spans in weekly.items()},
        holidays=frozenset(hours.holidays.values_list("date", flat=True)),
        workdays=dict(hours.workdays.values_list("date", "works_as")),
    )
    return hours._sla_calendar
