"""Business-time arithmetic (tickets/sla/calendar.py): properties over random calendars, and the
cases users meet — weekends, holidays, 调休 make-up days, night shifts, DST."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.sla.calendar import (
    Calendar,
    NoWorkingTime,
    add_business_time,
    business_time_between,
    subtract_business_time,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_SIX = (time(9), time(18))
OFFICE = Calendar(tz=SHANGHAI, weekly=dict.fromkeys(range(5), (NINE_TO_SIX,)))
ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"]


def at(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


# ---- the cases users meet -----------------------------------------------------------------


def test_friday_afternoon_plus_two_working_hours_is_monday_morning():
    due = add_business_time(OFFICE, at(SHANGHAI, 2026, 11, 27, 17), timedelta(hours=2))
    assert due == at(SHANGHAI, 2026, 11, 30, 10)
    assert business_time_between(OFFICE, at(SHANGHAI, 2026, 11, 27, 17), due) == timedelta(hours=2)


def test_a_clock_started_outside_hours_starts_counting_at_the_next_opening():
    due = add_business_time(OFFICE, at(SHANGHAI, 2026, 11, 28, 23), timedelta(minutes=30))
    assert due == at(SHANGHAI, 2026, 11, 30, 9, 30)  # Saturday night -> Monday 09:30


def test_holidays_are_skipped_and_make_up_days_are_worked():
    # National Day week 2025: Oct 1-8 off; Sunday Sep 28 and Saturday Oct 11 are worked (调休).
    calendar = Calendar(
        tz=SHANGHAI,
        weekly=OFFICE.weekly,
        holidays=frozenset(date(2025, 10, day) for day in range(1, 9)),
        workdays={date(2025, 9, 28): 0, date(2025, 10, 11): 0},
    )
    # Saturday Sep 27 evening + 1 h: the make-up Sunday, not Monday.
    assert add_business_time(calendar, at(SHANGHAI, 2025, 9, 27, 20), timedelta(hours=1)) == at(
        SHANGHAI, 2025, 9, 28, 10
    )
    # Tuesday Sep 30 17:00 + 2 h: past the holiday week, to Thursday Oct 9 10:00.
    assert add_business_time(calendar, at(SHANGHAI, 2025, 9, 30, 17), timedelta(hours=2)) == at(
        SHANGHAI, 2025, 10, 9, 10
    )


def test_a_night_shift_runs_past_midnight_and_a_holiday_cancels_the_shift_it_starts():
    nights = Calendar(
        tz=SHANGHAI,
        weekly={day: ((time(22), time(6)),) for day in range(7)},
        holidays=frozenset({date(2026, 12, 1)}),
    )
    assert add_business_time(nights, at(SHANGHAI, 2026, 11, 30, 23), timedelta(hours=3)) == at(
        SHANGHAI, 2026, 12, 1, 2
    )
    # The shift starting on the holiday evening (Dec 1 22:00) is off: the clock waits for Dec 2.
    assert add_business_time(nights, at(SHANGHAI, 2026, 12, 1, 5), timedelta(hours=2)) == at(
        SHANGHAI, 2026, 12, 2, 23
    )


def test_touching_and_overlapping_intervals_count_once():
    calendar = Calendar(
        tz=SHANGHAI,
        weekly={0: ((time(9), time(12)), (time(11), time(14)), (time(14), time(15)))},
    )
    monday = date(2026, 11, 30)
    assert business_time_between(
        calendar,
        at(SHANGHAI, 2026, 11, 30),
        datetime.combine(monday + timedelta(1), time(0), SHANGHAI),
    ) == timedelta(hours=6)


def test_a_whole_day_interval_is_as_long_as_the_day_on_the_wall_across_dst():
    always = Calendar(tz=NEW_YORK, weekly={day: ((time(0), time(0)),) for day in range(7)})
    # 2026-03-08: clocks spring forward in New York; the day has 23 hours.
    assert business_time_between(
        always, at(NEW_YORK, 2026, 3, 8), at(NEW_YORK, 2026, 3, 9)
    ) == timedelta(hours=23)
    assert business_time_between(
        always, at(NEW_YORK, 2026, 11, 1), at(NEW_YORK, 2026, 11, 2)
    ) == timedelta(hours=25)


def test_overdue_time_is_negative_and_calendar_time_is_plain_arithmetic():
    start, end = at(SHANGHAI, 2026, 11, 30, 10), at(SHANGHAI, 2026, 11, 30, 11)
    assert business_time_between(OFFICE, end, start) == -timedelta(hours=1)
    assert add_business_time(None, start, timedelta(hours=30)) == start + timedelta(hours=30)
    assert business_time_between(None, start, end) == timedelta(hours=1)


def test_a_calendar_without_working_time_never_runs_out():
    empty = Calendar(tz=SHANGHAI, weekly={})
    with pytest.raises(NoWorkingTime):
        add_business_time(empty, at(SHANGHAI, 2026, 11, 30), timedelta(minutes=1))
    assert business_time_between(
        empty, at(SHANGHAI, 2026, 11, 30), at(SHANGHAI, 2026, 12, 30)
    ) == timedelta(0)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(OFFICE, at(SHANGHAI, 2026, 11, 30), -timedelta(minutes=1))


# ---- properties over random calendars ------------------------------------------------------

QUARTERS = st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def calendars(draw) -> Calendar:
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    weekly = {}
    for day in range(7):
        intervals = draw(st.lists(st.tuples(QUARTERS, QUARTERS), max_size=2))
        weekly[day] = tuple(
            (start, end) for start, end in intervals if start != end or start == time(0)
        )
    if not any(weekly.values()):
        weekly[draw(st.integers(0, 6))] = ((time(9), time(17)),)
    days = st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 12, 31))
    holidays = frozenset(draw(st.lists(days, max_size=20)))
    workdays = draw(st.dictionaries(days, st.integers(0, 6), max_size=5))
    return Calendar(tz=tz, weekly=weekly, holidays=holidays, workdays=workdays)


STARTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
)
AMOUNTS = st.integers(min_value=0, max_value=60 * 24 * 30).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(calendars(), STARTS, AMOUNTS)
def test_adding_n_working_minutes_then_measuring_gives_n(calendar, start, amount):
    due = add_business_time(calendar, start, amount)
    assert due >= start
    assert business_time_between(calendar, start, due) == amount


@settings(max_examples=200, deadline=None)
@given(calendars(), STARTS, AMOUNTS, AMOUNTS)
def test_more_working_time_is_never_due_earlier(calendar, start, first, second):
    small, large = sorted([first, second])
    assert add_business_time(calendar, start, small) <= add_business_time(calendar, start, large)


@settings(max_examples=200, deadline=None)
@given(calendars(), STARTS, AMOUNTS, AMOUNTS)
def test_working_time_adds_up_across_a_midpoint(calendar, start, first, second):
    middle, end = start + first, start + first + second
    assert business_time_between(calendar, start, middle) + business_time_between(
        calendar, middle, end
    ) == business_time_between(calendar, start, end)


@settings(max_examples=100, deadline=None)
@given(calendars(), STARTS, AMOUNTS)
def test_subtracting_n_working_minutes_then_measuring_gives_n(calendar, end, amount):
    crossed = subtract_business_time(calendar, end, amount)
    assert crossed <= end
    assert business_time_between(calendar, crossed, end) == amount
    if amount:  # and it is the latest such moment
        assert business_time_between(calendar, crossed + timedelta(microseconds=1), end) < amount


def test_subtracting_reaches_back_as_far_as_a_sparse_calendar_needs():
    # A quarter of an hour a week: 26 working hours lie two years back, 51.5 four years back.
    sparse = Calendar(tz=UTC, weekly={6: ((time(0), time(0, 15)),)})
    end = datetime(2026, 1, 1, tzinfo=UTC)
    for amount in (timedelta(days=1, minutes=105), timedelta(days=2, seconds=12540)):
        crossed = subtract_business_time(sparse, end, amount)
        assert business_time_between(sparse, crossed, end) == amount


def test_subtracting_is_the_inverse_of_adding_from_inside_working_hours():
    monday_ten = at(SHANGHAI, 2026, 11, 30, 10)
    due = add_business_time(OFFICE, monday_ten, timedelta(hours=20))  # Wednesday 12:00
    assert due == at(SHANGHAI, 2026, 12, 2, 12)
    assert subtract_business_time(OFFICE, due, timedelta(hours=20)) == monday_ten
    # Friday 18:00 back two working hours is Friday 16:00; from Saturday too.
    assert subtract_business_time(OFFICE, at(SHANGHAI, 2026, 12, 5, 11), timedelta(hours=2)) == at(
        SHANGHAI, 2026, 12, 4, 16
    )
