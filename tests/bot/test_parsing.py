"""What patients type during onboarding and /settings: dates, times, places and locations."""

from __future__ import annotations

import math
import socket
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import zones
from bot.parsing import (
    DateAmbiguous,
    DateInvalid,
    DateOk,
    Prefer,
    describe_zone,
    match_time_zone,
    parse_date,
    parse_time,
    zone_from_location,
)

TUESDAY = date(2026, 3, 3)  # the "today" of most tests below
LOADABLE_ZONES = available_timezones()


def ok(year: int, month: int, day: int) -> DateOk:
    return DateOk(date(year, month, day))


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05", ok(2026, 1, 5)),
        ("2026/1/5", ok(2026, 1, 5)),
        ("05.01.2026", ok(2026, 1, 5)),
        ("5.1.26", ok(2026, 1, 5)),
        ("5.1.2026.", ok(2026, 1, 5)),
        ("5 . 1 . 2026", ok(2026, 1, 5)),
        ("25/1/2026", ok(2026, 1, 25)),
        ("25-01-2026", ok(2026, 1, 25)),
        ("20260105", ok(2026, 1, 5)),
        ("05012026", ok(2026, 1, 5)),
        ("５.１.２０２６", ok(2026, 1, 5)),
    ],
)
def test_numeric_dates(text: str, expected: DateOk) -> None:
    """Year-first is ISO; otherwise day-first, European; full-width digits count as digits."""
    assert parse_date(text, today=TUESDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 Jan", ok(2026, 1, 5)),
        ("5 January", ok(2026, 1, 5)),
        ("Jan 5", ok(2026, 1, 5)),
        ("January 5th", ok(2026, 1, 5)),
        ("january 5TH, 2026", ok(2026, 1, 5)),
        ("5 Jan 2026", ok(2026, 1, 5)),
        ("5 jan 26", ok(2026, 1, 5)),
        ("5jan2026", ok(2026, 1, 5)),
        ("  the 5th   of January!! ", ok(2026, 1, 5)),
        ("2026 Jan 5", ok(2026, 1, 5)),
        ("Sept 30", ok(2025, 9, 30)),
        ("Monday, 5 January 2026", ok(2026, 1, 5)),
        ("5 January 2026 (Sunday)", ok(2026, 1, 5)),
        ("febuary 3", ok(2026, 2, 3)),
        ("Janaury 5", ok(2026, 1, 5)),
    ],
)
def test_month_names(text: str, expected: DateOk) -> None:
    """Month names, full or short, either order, any case; ordinals, a weekday beside the date,
    punctuation and one typo in a long word are all tolerated (today is 3 March 2026)."""
    assert parse_date(text, today=TUESDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", ok(2026, 3, 3)),
        ("Tomorrow!", ok(2026, 3, 4)),
        ("TMRW", ok(2026, 3, 4)),
        ("tomorow", ok(2026, 3, 4)),
        ("yesterday", ok(2026, 3, 2)),
        ("the day after tomorrow", ok(2026, 3, 5)),
        ("day before yesterday", ok(2026, 3, 1)),
        ("in 3 days", ok(2026, 3, 6)),
        ("in 3 days' time", ok(2026, 3, 6)),
        ("3 days ago", ok(2026, 2, 28)),
        ("in a week", ok(2026, 3, 10)),
        ("two weeks ago", ok(2026, 2, 17)),
        ("in 1 month", ok(2026, 4, 3)),
        ("a year ago", ok(2025, 3, 3)),
    ],
)
def test_relative_dates(text: str, expected: DateOk) -> None:
    """Words relative to today count days, weeks, months or years from it."""
    assert parse_date(text, today=TUESDAY) == expected


def test_a_month_from_the_31st_is_the_last_day_of_the_next_month() -> None:
    """Month steps keep the day number, clamped to the length of the month reached."""
    assert parse_date("in 1 month", today=date(2026, 1, 31)) == ok(2026, 2, 28)


@pytest.mark.parametrize(
    ("text", "prefer", "expected"),
    [
        ("monday", "nearest", ok(2026, 3, 9)),
        ("monday", "future", ok(2026, 3, 9)),
        ("Mon", "past", ok(2026, 3, 2)),
        ("tuesday", "future", ok(2026, 3, 3)),
        ("tuesday", "past", ok(2026, 3, 3)),
        ("this wednesday", "nearest", ok(2026, 3, 4)),
        ("on wednesday", "past", ok(2026, 2, 25)),
        ("next tuesday", "nearest", ok(2026, 3, 10)),
        ("next monday", "past", ok(2026, 3, 9)),
        ("this coming Tuesday", "past", ok(2026, 3, 10)),
        ("last tuesday", "nearest", ok(2026, 2, 24)),
        ("last monday", "future", ok(2026, 3, 2)),
        ("wednsday", "future", ok(2026, 3, 4)),
    ],
)
def test_weekdays(text: str, prefer: Prefer, expected: DateOk) -> None:
    """A bare weekday is the coming one (today counts), or the latest one with prefer="past";
    "next" is strictly after today and "last" strictly before, whatever `prefer` says."""
    assert parse_date(text, today=TUESDAY, prefer=prefer) == expected


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("03/04/2026", (date(2026, 4, 3), date(2026, 3, 4))),
        ("5/1/2026", (date(2026, 1, 5), date(2026, 5, 1))),
        ("5-1-26", (date(2026, 1, 5), date(2026, 5, 1))),
        ("3/4", (date(2026, 4, 3), date(2026, 3, 4))),
    ],
)
def test_slashes_and_dashes_that_read_both_ways_are_ambiguous(
    text: str, candidates: tuple[date, date]
) -> None:
    """With "/" or "-", when day-first and month-first are both real dates, both come back,
    day-first first, so the bot can ask with two buttons."""
    assert parse_date(text, today=TUESDAY) == DateAmbiguous(candidates)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/25/2026", ok(2026, 1, 25)),
        ("12/31/2026", ok(2026, 12, 31)),
        ("1.25.2026", ok(2026, 1, 25)),
        ("4/4/2026", ok(2026, 4, 4)),
        ("03.04.2026", ok(2026, 4, 3)),
    ],
)
def test_only_one_real_reading_is_not_ambiguous(text: str, expected: DateOk) -> None:
    """Month-first is taken when day-first is impossible; the same date both ways is one date;
    dotted dates are always day-first."""
    assert parse_date(text, today=TUESDAY) == expected


def test_ambiguous_yearless_readings_each_follow_prefer() -> None:
    """Each candidate of an ambiguous date without a year gets its own year by `prefer`."""
    assert parse_date("5/1", today=TUESDAY, prefer="future") == DateAmbiguous(
        (date(2027, 1, 5), date(2026, 5, 1))
    )
    assert parse_date("5/1", today=TUESDAY, prefer="past") == DateAmbiguous(
        (date(2026, 1, 5), date(2025, 5, 1))
    )


@pytest.mark.parametrize(
    "text",
    [
        "31.02.2026",
        "31/02/2026",
        "30 Feb 2026",
        "29.02.2026",
        "31 April",
        "32 Jan",
        "0 Jan",
        "13/13/2026",
        "00.01.2026",
        "0.0.0000",
        "99999999",
        "in 99999999999999 days",
    ],
)
def test_impossible_dates(text: str) -> None:
    """Dates the calendar does not have are "impossible date", not "not understood"."""
    assert parse_date(text, today=TUESDAY) == DateInvalid("impossible date")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "blah",
        "5",
        "jan",
        "jan 2026",
        "next week",
        "5 jan at noon",
        "2026-01",
        "123/4/2026",
        "5.1.2",
        "1.2.3.4",
        "💉",
        "الخميس",
        "my last injection was on 5 jan",
        "5 jan " * 50,
    ],
)
def test_not_understood(text: str) -> None:
    """Anything else, including sentences and over-long text, is "not understood"."""
    assert parse_date(text, today=TUESDAY) == DateInvalid("not understood")


@pytest.mark.parametrize(
    ("today", "text", "prefer", "expected"),
    [
        (date(2026, 12, 30), "5 Jan", "future", date(2027, 1, 5)),
        (date(2026, 12, 30), "5 Jan", "nearest", date(2027, 1, 5)),
        (date(2026, 12, 30), "5 Jan", "past", date(2026, 1, 5)),
        (date(2027, 1, 2), "30 Dec", "past", date(2026, 12, 30)),
        (date(2027, 1, 2), "30 Dec", "nearest", date(2026, 12, 30)),
        (date(2027, 1, 2), "30 Dec", "future", date(2027, 12, 30)),
        (date(2026, 3, 3), "3 March", "future", date(2026, 3, 3)),
        (date(2026, 3, 3), "3 March", "past", date(2026, 3, 3)),
        (date(2026, 3, 3), "29 Feb", "future", date(2028, 2, 29)),
        (date(2026, 3, 3), "29 Feb", "past", date(2024, 2, 29)),
        (date(2026, 1, 1), "2 July", "nearest", date(2026, 7, 2)),
        (date(2026, 1, 1), "3 July", "nearest", date(2025, 7, 3)),
    ],
)
def test_a_date_without_a_year(today: date, text: str, prefer: Prefer, expected: date) -> None:
    """Without a year: "future" is on or after today, "past" on or before today, "nearest" the
    closest one (the future one on a tie); 29 February goes to the nearest leap year."""
    assert parse_date(text, today=today, prefer=prefer) == DateOk(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5.1.26", date(2026, 1, 5)), ("5.1.76", date(2076, 1, 5)), ("5.1.77", date(1977, 1, 5))],
)
def test_two_digit_years(text: str, expected: date) -> None:
    """A two-digit year is 20xx unless that is more than 50 years after today (2026)."""
    assert parse_date(text, today=TUESDAY) == DateOk(expected)


@pytest.mark.parametrize(
    ("today", "text", "prefer", "expected"),
    [
        (date.max, "tomorrow", "nearest", DateInvalid("impossible date")),
        (date.max, "5 Jan", "future", DateInvalid("impossible date")),
        (date.max, "5 Jan", "nearest", ok(9999, 1, 5)),
        (date.max, "in 1 month", "nearest", DateInvalid("impossible date")),
        (date.min, "yesterday", "nearest", DateInvalid("impossible date")),
        (date.min, "last monday", "nearest", DateInvalid("impossible date")),
        (date.min, "5 Jan", "past", DateInvalid("impossible date")),
        (date.min, "5 Jan", "future", ok(1, 1, 5)),
    ],
)
def test_the_ends_of_the_calendar(
    today: date, text: str, prefer: Prefer, expected: DateInvalid | DateOk
) -> None:
    """Arithmetic past year 1 or 9999 is an "impossible date", never an OverflowError."""
    assert parse_date(text, today=today, prefer=prefer) == expected


# --- times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", time(9)),
        ("09", time(9)),
        ("9:00", time(9)),
        ("7:30", time(7, 30)),
        ("7.30", time(7, 30)),
        ("0730", time(7, 30)),
        ("730", time(7, 30)),
        ("7.30pm", time(19, 30)),
        ("7:30 PM", time(19, 30)),
        ("7 p.m.", time(19)),
        ("7pm", time(19)),
        ("7 am", time(7)),
        ("19:30", time(19, 30)),
        ("19h30", time(19, 30)),
        ("19h", time(19)),
        ("9 30", time(9, 30)),
        ("  at 9  ", time(9)),
        ("9 o'clock", time(9)),
        ("noon", time(12)),
        ("Midday", time(12)),
        ("MIDNIGHT", time(0)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("12:30 am", time(0, 30)),
        ("00:00", time(0)),
        ("24:00", time(0)),
        ("23:59", time(23, 59)),
        ("１９:３０", time(19, 30)),
    ],
)
def test_times(text: str, expected: time) -> None:
    """24-hour and 12-hour clocks in the usual spellings; 12am is midnight, 12pm noon, and 24:00
    is read as midnight."""
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "25:00",
        "24:30",
        "7:75",
        "7:5",
        "13pm",
        "0am",
        "0:30 am",
        "12345",
        "9:00:00",
        "nine",
        "soon",
        "7:30 pmm",
        "-1",
        "9" * 5000,
    ],
)
def test_not_a_time(text: str) -> None:
    """Hours past 23 (past 12 with am/pm), minutes past 59 and anything else are None."""
    assert parse_time(text) is None


# --- time zones by name --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("London", "Europe/London"),
        ("new york", "America/New_York"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("kolkata", "Asia/Kolkata"),
        ("Sydney", "Australia/Sydney"),
        ("UTC", "UTC"),
        ("Mumbai", "Asia/Kolkata"),
        ("Delhi", "Asia/Kolkata"),
        ("India", "Asia/Kolkata"),
        ("Munich", "Europe/Berlin"),
        ("Paris", "Europe/Paris"),
        ("Madrid", "Europe/Madrid"),
        ("Rome", "Europe/Rome"),
        ("Amsterdam", "Europe/Amsterdam"),
        ("Zurich", "Europe/Zurich"),
        ("Vienna", "Europe/Vienna"),
        ("Warsaw", "Europe/Warsaw"),
        ("Dublin", "Europe/Dublin"),
        ("Lisbon", "Europe/Lisbon"),
        ("Toronto", "America/Toronto"),
        ("Vancouver", "America/Vancouver"),
        ("Chicago", "America/Chicago"),
        ("Denver", "America/Denver"),
        ("Los Angeles", "America/Los_Angeles"),
        ("LA", "America/Los_Angeles"),
        ("San Francisco", "America/Los_Angeles"),
        ("Boston", "America/New_York"),
        ("Melbourne", "Australia/Melbourne"),
        ("Auckland", "Pacific/Auckland"),
        ("Tokyo", "Asia/Tokyo"),
        ("Singapore", "Asia/Singapore"),
        ("Dubai", "Asia/Dubai"),
        ("Tel Aviv", "Asia/Jerusalem"),
        ("Jerusalem", "Asia/Jerusalem"),
        ("Moscow", "Europe/Moscow"),
        ("Istanbul", "Europe/Istanbul"),
        ("Johannesburg", "Africa/Johannesburg"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("Mexico City", "America/Mexico_City"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("Germany", "Europe/Berlin"),
        ("France", "Europe/Paris"),
        ("Italy", "Europe/Rome"),
        ("Netherlands", "Europe/Amsterdam"),
        ("Switzerland", "Europe/Zurich"),
        ("Austria", "Europe/Vienna"),
        ("Poland", "Europe/Warsaw"),
        ("Ireland", "Europe/Dublin"),
        ("UK", "Europe/London"),
        ("England", "Europe/London"),
        ("Scotland", "Europe/London"),
        ("Wales", "Europe/London"),
        ("Britain", "Europe/London"),
        ("Japan", "Asia/Tokyo"),
        ("Israel", "Asia/Jerusalem"),
        ("New Zealand", "Pacific/Auckland"),
    ],
)
def test_one_zone_names(text: str, zone: str) -> None:
    """A city, an everyday alias or a one-clock country names exactly one zone."""
    assert match_time_zone(text) == [zone]


@pytest.mark.parametrize(
    ("text", "first", "also"),
    [
        ("USA", "America/New_York", "America/Los_Angeles"),
        ("United States", "America/New_York", "America/Chicago"),
        ("Canada", "America/Toronto", "America/Vancouver"),
        ("Australia", "Australia/Sydney", "Australia/Perth"),
        ("Brazil", "America/Sao_Paulo", "America/Manaus"),
        ("Russia", "Europe/Moscow", "Asia/Vladivostok"),
        ("Spain", "Europe/Madrid", "Atlantic/Canary"),
        ("GMT", "Europe/London", "UTC"),
        ("IST", "Asia/Kolkata", "Asia/Jerusalem"),
        ("Washington", "America/New_York", "America/Los_Angeles"),
    ],
)
def test_names_with_several_clocks_offer_several_zones(text: str, first: str, also: str) -> None:
    """Countries (and abbreviations) spanning several clocks give several zones, most populous
    first, at most five, one per distinct clock."""
    found = match_time_zone(text)
    assert found[0] == first
    assert also in found
    assert 2 <= len(found) <= 5
    assert len(found) == len(set(found))


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("ZÜRICH", "Europe/Zurich"),
        ("  new   YORK!! ", "America/New_York"),
        ("europe/berlin", "Europe/Berlin"),
        ("America/New_York", "America/New_York"),
        ("kraków", "Europe/Warsaw"),
        ("Londn", "Europe/London"),
        ("Lodnon", "Europe/London"),
        ("Berlim", "Europe/Berlin"),
        ("Amsterdm", "Europe/Amsterdam"),
        ("newyork", "America/New_York"),
        ("San Fransisco", "America/Los_Angeles"),
        ("US/Eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Kiev", "Europe/Kyiv"),
        ("Etc/UTC", "UTC"),
        ("I live in Leeds", "Europe/London"),
        ("Berlin, Germany", "Europe/Berlin"),
    ],
)
def test_lenient_zone_names(text: str, zone: str) -> None:
    """Case, accents, spacing, one typo in a name of 5+ letters, legacy zone names and a place
    inside a short sentence all find the zone; results are always the current name."""
    assert match_time_zone(text)[0] == zone


@pytest.mark.parametrize("text", ["", "   ", "asdf", "Rme", "Xyzzyville", "💉💉", "12:30"])
def test_no_zone(text: str) -> None:
    """Text that names no place gives no zones; names under 5 letters forgive no typo."""
    assert match_time_zone(text) == []


def listed_zones() -> set[str]:
    rows = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    return {line.split("\t")[2] for line in rows.splitlines() if not line.startswith("#")}


@pytest.mark.parametrize(
    "text", ["US/Pacific", "GB", "Japan", "Eire", "CET", "EST", "Zulu", "Greenwich", "Asia/Saigon"]
)
def test_results_are_canonical_current_zones(text: str) -> None:
    """Only zones of tzdata's zone.tab (Area/City) or "UTC" come back, never legacy aliases."""
    found = match_time_zone(text)
    assert found
    assert set(found) <= listed_zones() | {"UTC"}


# --- time zones by location ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (51.5, -0.12, "Europe/London"),
        (40.71, -74.01, "America/New_York"),
        (-33.87, 151.21, "Australia/Sydney"),
        (22.57, 88.36, "Asia/Kolkata"),
        (52.52, 13.40, "Europe/Berlin"),
        (30.0, -40.0, None),
        (0.0, 0.0, None),
        (91.0, 0.0, None),
        (0.0, 180.5, None),
        (math.nan, 0.0, None),
        (0.0, math.inf, None),
    ],
)
def test_zone_from_location(latitude: float, longitude: float, zone: str | None) -> None:
    """A shared location gives its land zone; at sea (the Atlantic, 0°N 0°E) or out of range
    there is none, and the bot asks for a city instead."""
    assert zone_from_location(latitude, longitude) == zone


def test_location_lookup_never_uses_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The boundary data ships with the package: loading and looking up open no connection."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network use")

    refusals: dict[str, Callable[..., Any]] = {
        "create_connection": refuse,
        "getaddrinfo": refuse,
    }
    for name, replacement in refusals.items():
        monkeypatch.setattr(socket, name, replacement)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    zones._finder.cache_clear()
    assert zone_from_location(48.86, 2.35) == "Europe/Paris"


# --- describing a zone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        (
            "Europe/London",
            datetime(2026, 3, 3, 14, 5, tzinfo=UTC),
            "Europe/London (now 14:05, Tue 3 Mar)",
        ),
        (
            "America/New_York",
            datetime(2026, 3, 3, 14, 5, tzinfo=UTC),
            "America/New_York (now 09:05, Tue 3 Mar)",
        ),
        (
            "Pacific/Auckland",
            datetime(2026, 3, 3, 14, 5, tzinfo=UTC),
            "Pacific/Auckland (now 03:05, Wed 4 Mar)",
        ),
        (
            "Europe/London",
            datetime(2026, 7, 1, 12, 0, tzinfo=UTC),
            "Europe/London (now 13:00, Wed 1 Jul)",
        ),
        (
            "UTC",
            datetime(2026, 7, 1, 14, 0, tzinfo=ZoneInfo("Europe/Berlin")),
            "UTC (now 12:00, Wed 1 Jul)",
        ),
    ],
)
def test_describe_zone(zone: str, now: datetime, expected: str) -> None:
    """The confirmation shows the zone's name and its wall clock at `now`, DST included."""
    assert describe_zone(zone, now) == expected


@pytest.mark.parametrize(
    ("zone", "now"),
    [
        ("Europe/London", datetime(2026, 3, 3, 14, 5)),
        ("Mars/Olympus_Mons", datetime(2026, 3, 3, 14, 5, tzinfo=UTC)),
        ("../etc/passwd", datetime(2026, 3, 3, 14, 5, tzinfo=UTC)),
        ("Europe", datetime(2026, 3, 3, 14, 5, tzinfo=UTC)),
        ("zone.tab", datetime(2026, 3, 3, 14, 5, tzinfo=UTC)),
    ],
)
def test_describe_zone_refuses_what_it_cannot_show(zone: str, now: datetime) -> None:
    """A naive `now` or an unknown zone is a programming error: ValueError."""
    with pytest.raises(ValueError):
        describe_zone(zone, now)


# --- never raise, stay fast ----------------------------------------------------------------

date_like = st.lists(
    st.sampled_from(
        [
            "5",
            "05",
            "29",
            "31",
            "2026",
            "26",
            ".",
            "/",
            "-",
            " ",
            "jan",
            "feb",
            "monday",
            "in",
            "days",
            "ago",
            "last",
            "next",
            "the",
            "th",
            "pm",
            ":",
            "h",
            "noon",
            "٣",
            "²",
            "①",
            "é",
            "\u200f",
            "🙂",
            "שלום",
            "London",
            "york",
            "new",
        ]
    ),
    max_size=10,
).map("".join)
any_text = st.one_of(st.text(), date_like)


@settings(max_examples=500, deadline=None)
@given(text=any_text, today=st.dates(), prefer=st.sampled_from(["future", "past", "nearest"]))
def test_parse_date_never_raises(text: str, today: date, prefer: Prefer) -> None:
    """Any text on any day of the calendar gives a result; ambiguity always means two dates."""
    result = parse_date(text, today=today, prefer=prefer)
    assert isinstance(result, DateOk | DateAmbiguous | DateInvalid)
    if isinstance(result, DateAmbiguous):
        assert result.candidates[0] != result.candidates[1]


@settings(max_examples=500, deadline=None)
@given(text=any_text)
def test_parse_time_never_raises(text: str) -> None:
    """Any text gives a time of day or None."""
    assert parse_time(text) is None or isinstance(parse_time(text), time)


@settings(max_examples=300, deadline=None)
@given(text=any_text)
def test_match_time_zone_never_raises(text: str) -> None:
    """Any text gives at most five distinct zones that zoneinfo can load."""
    found = match_time_zone(text)
    assert len(found) <= 5
    assert len(set(found)) == len(found)
    assert set(found) <= LOADABLE_ZONES


LONG_TEXTS = [
    "x" * 10_000,
    "5" * 10_000,
    "5/" * 5_000,
    "london " * 1_430,
    "in 3 days " * 1_000,
    "🙂" * 10_000,
    "שלום עולם " * 1_000,
    "مرحبا" * 2_000,
    " " * 10_000,
    "a" * 9_999 + "!",
]


@pytest.mark.parametrize("text", LONG_TEXTS, ids=lambda text: f"{text[:8]!r}x{len(text)}")
@pytest.mark.parametrize(
    "read",
    [
        lambda text: parse_date(text, today=TUESDAY),
        parse_time,
        match_time_zone,
    ],
    ids=["parse_date", "parse_time", "match_time_zone"],
)
def test_long_text_is_read_quickly(read: Callable[[str], object], text: str) -> None:
    """About 10,000 characters (emoji, right-to-left scripts) are refused or read in < 50 ms."""
    match_time_zone("warm up the name index")
    started = clock.perf_counter()
    read(text)
    assert clock.perf_counter() - started < 0.05
