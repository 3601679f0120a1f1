"""The `Calendar` value of an admin's business-hours calendar (tickets/sla/calendar.py counts in
it), and its JSON form: a calendar as it was before a supervisor's edit, for the recompute of
open tickets' clocks (tickets/sla/recompute.py)."""

from datetime import date, time
from typing import Any
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


def calendar_json(calendar: Calendar | None) -> dict[str, Any] | None:
    if calendar is None:
        return None
    return {
        "tz": calendar.tz.key,
        "weekly": {
            str(day): [[start.isoformat(), end.isoformat()] for start, end in spans]
            for day, spans in calendar.weekly.items()
        },
        "holidays": sorted(day.isoformat() for day in calendar.holidays),
        "workdays": {day.isoformat(): works_as for day, works_as in calendar.workdays.items()},
    }


def calendar_from_json(data: dict[str, Any]) -> Calendar:
    return Calendar(
        tz=ZoneInfo(data["tz"]),
        weekly={
            int(day): tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in spans)
            for day, spans in data["weekly"].items()
        },
        holidays=frozenset(date.fromisoformat(day) for day in data["holidays"]),
        workdays={date.fromisoformat(day): int(wd) for day, wd in data["workdays"].items()},
    )


def calendar_as_it_was(hours_id: int, data: dict[str, Any]) -> BusinessHours:
    """A row object for calendar `hours_id` whose `calendar_of` is `data` (its JSON form)."""
    row = BusinessHours(pk=hours_id)
    row._sla_calendar = calendar_from_json(data)
    return row
