"""The `Calendar` value of an admin's business-hours calendar (tickets/sla/calendar.py counts in
it), and its JSON form: a calendar as it was before a supervisor's edit, for the recompute of
open tickets' clocks (tickets/sla/recompute.py)."""

from collections.abc import Iterable
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from tickets.models import BusinessHours, BusinessHoursInterval, Holiday, MakeUpWorkday
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
    calendars_load([hours])
    return hours._sla_calendar


def calendars_load(many: Iterable[BusinessHours | None]) -> None:
    """Read the calendars of many business-hours row objects (a list page's, a sweep batch's) in
    three queries whatever their number, so `calendar_of` answers each without a query."""
    wanted: dict[int, list[BusinessHours]] = {}
    for hours in many:
        if hours is not None and getattr(hours, "_sla_calendar", None) is None:
            wanted.setdefault(hours.pk, []).append(hours)
    if not wanted:
        return
    weekly: dict[int, dict[int, list]] = {pk: {} for pk in wanted}
    for interval in BusinessHoursInterval.objects.filter(calendar_id__in=wanted):
        weekly[interval.calendar_id].setdefault(interval.weekday, []).append(
            (interval.start, interval.end)
        )
    holidays: dict[int, set] = {pk: set() for pk in wanted}
    days_off = Holiday.objects.filter(calendar_id__in=wanted)
    for pk, day in days_off.values_list("calendar_id", "date"):
        holidays[pk].add(day)
    workdays: dict[int, dict] = {pk: {} for pk in wanted}
    for pk, day, works_as in MakeUpWorkday.objects.filter(calendar_id__in=wanted).values_list(
        "calendar_id", "date", "works_as"
    ):
        workdays[pk][day] = works_as
    for pk, objects in wanted.items():
        calendar = Calendar(
            tz=ZoneInfo(objects[0].timezone),
            weekly={day: tuple(spans) for day, spans in weekly[pk].items()},
            holidays=frozenset(holidays[pk]),
            workdays=workdays[pk],
        )
        for hours in objects:
            hours._sla_calendar = calendar


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
