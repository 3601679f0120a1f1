"""Business-time arithmetic on a calendar: weekly working intervals in a time zone, holidays, and
make-up working days (调休: a weekend date worked with the hours of a weekday).

Pure functions on a `Calendar` value (tickets/sla/calendars.py builds one from the admin's rows);
`None` means around the clock. All datetimes are aware; results are in UTC.

- An interval belongs to the local date it starts on. One whose end is not after its start runs
  past midnight into the next day (a night shift, 22:00–06:00); 00:00–00:00 is the whole day.
- A holiday removes every interval that starts on it; a make-up day has the intervals of the
  weekday it names, whatever weekday it falls on.
- Business time is real elapsed time inside working intervals (overlapping intervals count once),
  so a DST change inside an interval makes it an hour shorter or longer, as the clock on the wall
  says.

    due = add_business_time(calendar, created_at, timedelta(hours=8))
    left = business_time_between(calendar, now, due)
    crossed = subtract_business_time(calendar, now, overdue)
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
# A calendar whose next working minute is further away than this has none (all holidays, or no
# intervals at all): the clock never runs out, rather than the search running forever.
HORIZON_DAYS = 3 * 366
# How far back `subtract_business_time` looks before it gives up.
MAX_REACH = timedelta(days=100 * 366)

Interval = tuple[time, time]


class NoWorkingTime(ValueError):
    """The calendar has no working time within HORIZON_DAYS of the start."""


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    weekly: Mapping[int, tuple[Interval, ...]]  # Monday 0 … Sunday 6 -> intervals
    holidays: frozenset[date] = frozenset()
    workdays: Mapping[date, int] = field(default_factory=dict)  # make-up day -> its weekday

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in self.workdays:
            return self.weekly.get(self.workdays[day], ())
        if day in self.holidays:
            return ()
        return self.weekly.get(day.weekday(), ())


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _day_spans(calendar: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    spans = []
    for start, end in calendar.intervals_on(day):
        end_day = day if end > start else day + DAY
        begins, ends = _local(day, start, calendar.tz), _local(end_day, end, calendar.tz)
        if ends > begins:  # a span a DST jump swallowed whole is no span
            spans.append((begins, ends))
    return sorted(spans)


def working_spans(calendar: Calendar, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working spans (UTC, ascending, never overlapping) that end after `since`, the first
    one clipped to start no earlier than it. Raises NoWorkingTime when none starts within
    HORIZON_DAYS.

    Spans start in date order (a day's spans start at or after its local midnight), so clipping
    each to where the previous one ended is enough to count time covered twice (a night shift
    running into the next morning's interval) once."""
    covered = since.astimezone(UTC)
    day = covered.astimezone(calendar.tz).date() - DAY  # yesterday's night shift may still run
    idle_days = 0
    while idle_days <= HORIZON_DAYS:
        spans = _day_spans(calendar, day)
        day += DAY
        idle_days = 0 if spans else idle_days + 1
        for begins, ends in spans:
            begins = max(begins, covered)
            if ends > begins:
                yield begins, ends
                covered = ends
    raise NoWorkingTime("the calendar has no working time")


def add_business_time(calendar: Calendar | None, start: datetime, amount: timedelta) -> datetime:
    """The moment `amount` of working time after `start` (UTC). Zero is `start` itself, even
    outside working hours."""
    start = start.astimezone(UTC)
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    if calendar is None or not amount:
        return start + amount
    left = amount
    for begins, ends in working_spans(calendar, start):
        if left <= ends - begins:
            return begins + left
        left -= ends - begins
    raise NoWorkingTime("the calendar has no working time")  # pragma: no cover (never ends)


def business_time_between(calendar: Calendar | None, start: datetime, end: datetime) -> timedelta:
    """Working time from `start` to `end`; negative when `end` is before `start` (time overdue)."""
    if end < start:
        return -business_time_between(calendar, end, start)
    if calendar is None:
        return end - start
    total = timedelta(0)
    try:
        for begins, ends in working_spans(calendar, start):
            if begins >= end:
                break
            total += min(ends, end) - begins
    except NoWorkingTime:
        pass
    return total


def subtract_business_time(calendar: Calendar | None, end: datetime, amount: timedelta) -> datetime:
    """The latest moment with `amount` of working time between it and `end` (UTC): the inverse
    of `add_business_time`. Spans are only walked forwards, so it takes the spans of a window
    before `end`, widened until they hold `amount`, and counts back through them."""
    end = end.astimezone(UTC)
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    if calendar is None or not amount:
        return end - amount
    reach = amount
    while True:
        spans = _spans_before(calendar, end - reach, end)
        held = sum((ends - begins for begins, ends in spans), timedelta(0))
        if held >= amount:
            break
        if reach > MAX_REACH or (not held and reach > timedelta(days=HORIZON_DAYS)):
            raise NoWorkingTime("the calendar has not that much working time before the end")
        # widen in proportion to what is missing (at least double when nothing was found)
        reach = reach * 2 if not held else reach * (amount / held) * 1.1 + DAY
    left = amount
    for begins, ends in reversed(spans):
        if ends - begins >= left:
            return ends - left
        left -= ends - begins
    raise AssertionError("unreachable: the spans hold the amount")  # pragma: no cover


def _spans_before(
    calendar: Calendar, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    spans = []
    try:
        for begins, ends in working_spans(calendar, start):
            if begins >= end:
                break
            spans.append((begins, min(ends, end)))
    except NoWorkingTime:
        pass
    return spans
