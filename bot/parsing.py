"""Lenient readers for the dates and times patients type; time zones come from `bot.zones`.

Pure functions that never raise on any text: each answers with a result the handler turns into
a reply or a question. `today` is always an argument; no clock is read here.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, time, timedelta
from typing import Final, Literal, NamedTuple, TypeAlias

from bot.zones import describe_zone, match_time_zone, typo_distance, zone_from_location

__all__ = [
    "DateAmbiguous",
    "DateInvalid",
    "DateOk",
    "DateParse",
    "DateProblem",
    "Prefer",
    "describe_zone",
    "match_time_zone",
    "parse_date",
    "parse_time",
    "zone_from_location",
]

Prefer: TypeAlias = Literal["future", "past", "nearest"]
"""Which year a date without one falls in: a first dose is planned ("future"), a last injection
was given ("past"); "nearest" takes the closest, the future one on a tie."""

DateProblem: TypeAlias = Literal["not understood", "impossible date"]


@dataclass(frozen=True, slots=True)
class DateOk:
    """The text names exactly one date."""

    value: date


@dataclass(frozen=True, slots=True)
class DateAmbiguous:
    """Two readings fit ("03/04/2026"): the day-first one first, to offer as two buttons."""

    candidates: tuple[date, date]


@dataclass(frozen=True, slots=True)
class DateInvalid:
    """No date: "not understood", or "impossible date" (31.02.2026, or past the calendar)."""

    reason: DateProblem


DateParse: TypeAlias = DateOk | DateAmbiguous | DateInvalid

NOT_UNDERSTOOD: Final = DateInvalid("not understood")
IMPOSSIBLE_DATE: Final = DateInvalid("impossible date")

# Nobody types a date or a time this long; longer text is refused before any real work.
_MAX_DATE_TEXT: Final = 200
_MAX_TIME_TEXT: Final = 40
# Past this length text is refused unread, so even a pasted essay costs nothing.
_MAX_RAW_TEXT: Final = 10_000
# A yearless 29 February may be up to 8 years away (2096 -> 2104).
_YEAR_SEARCH: Final = 8
# "typos of one letter" in words of 5+ letters: "febuary", "tomorow", "wenesday".
_MIN_TYPO_LENGTH: Final = 5

_MONTH_NAMES: Final = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_WEEKDAY_NAMES: Final = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip

_MONTHS: Final[dict[str, int]] = {
    **{name: number for number, name in enumerate(_MONTH_NAMES, start=1)},
    **{name[:3]: number for number, name in enumerate(_MONTH_NAMES, start=1)},
    "sept": 9,
}
_WEEKDAYS: Final[dict[str, int]] = {
    **{name: number for number, name in enumerate(_WEEKDAY_NAMES)},
    **{name[:3]: number for number, name in enumerate(_WEEKDAY_NAMES)},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}  # fmt: skip
_COUNTS: Final[dict[str, int]] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
# Every other word understood, spelled the one way the rules below use.
_KEYWORDS: Final[dict[str, str]] = {
    "today": "today", "tomorrow": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow",
    "yesterday": "yesterday", "in": "in", "ago": "ago", "after": "after", "before": "before",
    "day": "day", "days": "day", "week": "week", "weeks": "week", "wk": "week", "wks": "week",
    "month": "month", "months": "month", "year": "year", "years": "year",
    "this": "this", "coming": "next", "next": "next", "last": "last", "past": "last",
    "previous": "last",
}  # fmt: skip
# Words that change nothing: "on the 5th of January", "in 3 days' time".
_FILLERS: Final = frozenset({"the", "of", "on", "st", "nd", "rd", "th", "time"})

_VOCABULARY: Final = (*_MONTHS, *_WEEKDAYS, *_COUNTS, *_KEYWORDS, *_FILLERS)
_TYPO_VOCABULARY: Final = tuple(word for word in _VOCABULARY if len(word) >= _MIN_TYPO_LENGTH)

_DAY_PHRASES: Final[dict[tuple[str, ...], int]] = {
    ("today",): 0,
    ("tomorrow",): 1,
    ("yesterday",): -1,
    ("day", "after", "tomorrow"): 2,
    ("day", "before", "yesterday"): -2,
}
_UNIT_MONTHS: Final = {"month": 1, "year": 12}
_UNIT_DAYS: Final = {"day": 1, "week": 7}

_SEPARATOR_SPACES: Final = re.compile(r"(?<=\d)\s*([./-])\s*(?=\d)")
_TOKEN: Final = re.compile(r"\d+(?:[./-]\d+)+|\d+|[^\W\d_]+")
_SEPARATOR: Final = re.compile(r"[./-]")


class _Token(NamedTuple):
    kind: Literal["numeric date", "number", "month", "weekday", "count", "word"]
    text: str
    value: int = 0


def parse_date(text: str, *, today: date, prefer: Prefer = "nearest") -> DateParse:
    """Read a typed date; never raises.

    Understands ISO (2026-01-05), day-first numbers (05.01.2026, 5.1.26, 5/1/2026, 05012026),
    month names in either order with or without a year (5 Jan, January 5th, 5 Jan 2026),
    today/tomorrow/yesterday, "in 3 days", "2 weeks ago", weekdays ("monday", "next monday",
    "last monday"), any case, spacing and punctuation, and one typo in words of 5+ letters.

    Rules: dotted dates are day-first; with "/" or "-", when day-first and month-first are
    both real and differ, the answer is `DateAmbiguous` (day-first first); when only one is
    real, that one. Two-digit years are 20xx unless that is over 50 years ahead of today. A date
    without a year follows `prefer`: "future" = on or after today, "past" = on or before today,
    "nearest" = the closest. A bare weekday is the coming one (today counts), or with
    prefer="past" the latest one (today counts); "next"/"last" never mean today. A weekday
    written beside a full date is ignored.
    """
    if len(text) > _MAX_RAW_TEXT:
        return NOT_UNDERSTOOD
    cleaned = _fold(text).strip()
    if not cleaned or len(cleaned) > _MAX_DATE_TEXT:
        return NOT_UNDERSTOOD
    tokens = _tokens(_SEPARATOR_SPACES.sub(r"\1", cleaned))
    if not tokens:
        return NOT_UNDERSTOOD
    return (
        _day_phrase(tokens, today)
        or _relative(tokens, today)
        or _weekday(tokens, today, prefer)
        or _calendar_date(tokens, today, prefer)
    )


def parse_time(text: str) -> time | None:
    """Read a typed time of day; None if it is not one. Never raises.

    Understands 9, 09, 9:00, 7:30, 7.30, 0730, 7.30pm, 7:30 PM, 7pm, 7 p.m., 19:30, 19h30, 19h,
    noon, midday, midnight. With am/pm the hour must be 1-12 (12am is midnight); without, 0-23,
    and 24:00 is read as midnight. Minutes are two digits, 00-59.
    """
    if len(text) > _MAX_RAW_TEXT:
        return None
    cleaned = _fold(text).strip(" \t\r\n.!")
    if len(cleaned) > _MAX_TIME_TEXT:
        return None
    cleaned = _AM_PM_DOTS.sub(r"\1m", cleaned)
    cleaned = _TIME_NOISE.sub("", cleaned).strip()
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    match = _CLOCK_TIME.fullmatch(cleaned)
    if match:
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
    else:
        match = _COMPACT_TIME.fullmatch(cleaned)
        if not match:
            return None
        hour, minute = int(match["digits"][:-2]), int(match["digits"][-2:])
    return _time_of_day(hour, minute, match["half"])


_AM_PM_DOTS: Final = re.compile(r"([ap])\s?\.\s?m\b\.?")
_TIME_NOISE: Final = re.compile(r"^at\s+|\s*o\s?['’]?\s?clock$")
_NAMED_TIMES: Final = {
    "noon": time(12),
    "12 noon": time(12),
    "midday": time(12),
    "midnight": time(0),
    "12 midnight": time(0),
}
_CLOCK_TIME: Final = re.compile(
    r"(?P<hour>\d{1,2})(?:(?:\s*[:.h]\s*|\s+)(?P<minute>\d{2}))?\s*h?\s*(?P<half>am|pm|a|p)?"
)
_COMPACT_TIME: Final = re.compile(r"(?P<digits>\d{3,4})\s*(?P<half>am|pm|a|p)?")


def _time_of_day(hour: int, minute: int, half: str | None) -> time | None:
    if minute > 59:
        return None
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    elif hour == 24 and minute == 0:
        hour = 0
    elif hour > 23:
        return None
    return time(hour, minute)


# --- reading dates -------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Case and accents folded away; compatibility forms (full-width digits) made plain."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _tokens(text: str) -> list[_Token] | None:
    """The words and numbers of `text`, fillers dropped; None if a word is not understood."""
    tokens: list[_Token] = []
    for piece in _TOKEN.findall(text):
        if piece[0].isdecimal():
            kind: Literal["numeric date", "number"] = (
                "number" if piece.isdecimal() else "numeric date"
            )
            tokens.append(_Token(kind, piece))
            continue
        word = _known_word(piece)
        if word is None:
            return None
        if word in _FILLERS:
            continue
        if word in _MONTHS:
            tokens.append(_Token("month", word, _MONTHS[word]))
        elif word in _WEEKDAYS:
            tokens.append(_Token("weekday", word, _WEEKDAYS[word]))
        elif word in _COUNTS:
            tokens.append(_Token("count", word, _COUNTS[word]))
        else:
            tokens.append(_Token("word", _KEYWORDS[word]))
    return tokens


def _known_word(word: str) -> str | None:
    """`word` itself if understood, else the one vocabulary word it is a typo of."""
    if word in _MONTHS or word in _WEEKDAYS or word in _COUNTS or word in _KEYWORDS:
        return word
    if word in _FILLERS:
        return word
    if len(word) < _MIN_TYPO_LENGTH:
        return None
    close = [known for known in _TYPO_VOCABULARY if typo_distance(word, known, 1) <= 1]
    return close[0] if len(close) == 1 else None


def _day_phrase(tokens: list[_Token], today: date) -> DateParse | None:
    if not all(token.kind == "word" for token in tokens):
        return None
    offset = _DAY_PHRASES.get(tuple(token.text for token in tokens))
    return None if offset is None else _ok(_shift(today, offset))


def _relative(tokens: list[_Token], today: date) -> DateParse | None:
    """ "in 3 days", "in a week", "2 months ago"; months keep the day number, clamped."""
    if len(tokens) != 3:
        return None
    if tokens[0].text == "in" and tokens[0].kind == "word":
        count, unit, sign = tokens[1], tokens[2], 1
    elif tokens[2].text == "ago" and tokens[2].kind == "word":
        count, unit, sign = tokens[0], tokens[1], -1
    else:
        return None
    if count.kind == "count":
        amount = count.value
    elif count.kind == "number":
        amount = int(count.text)
    else:
        return None
    if unit.kind != "word":
        return None
    if unit.text in _UNIT_DAYS:
        return _ok(_shift(today, sign * amount * _UNIT_DAYS[unit.text]))
    if unit.text in _UNIT_MONTHS:
        return _ok(_add_months(today, sign * amount * _UNIT_MONTHS[unit.text]))
    return None


def _weekday(tokens: list[_Token], today: date, prefer: Prefer) -> DateParse | None:
    """ "monday", "this monday", "next monday", "this coming monday", "last monday"."""
    *modifiers, last = tokens
    if last.kind != "weekday" or len(modifiers) > 2:
        return None
    if any(token.kind != "word" or token.text not in _WEEKDAY_MODIFIERS for token in modifiers):
        return None
    words = {token.text for token in modifiers}
    ahead = (last.value - today.weekday()) % 7
    behind = (today.weekday() - last.value) % 7
    if "next" in words:
        days = ahead or 7
    elif "last" in words:
        days = -(behind or 7)
    else:
        days = -behind if prefer == "past" else ahead
    return _ok(_shift(today, days))


_WEEKDAY_MODIFIERS: Final = frozenset({"this", "next", "last"})


def _calendar_date(tokens: list[_Token], today: date, prefer: Prefer) -> DateParse:
    """Numbers and month names: "05.01.2026", "5 Jan", "January 5th 2026", "Mon 5 Jan"."""
    if len(tokens) > 1 and tokens[0].kind == "weekday":
        tokens = tokens[1:]
    elif len(tokens) > 1 and tokens[-1].kind == "weekday":
        tokens = tokens[:-1]
    kinds = tuple(token.kind for token in tokens)
    texts = [token.text for token in tokens]
    if kinds == ("numeric date",):
        return _numeric_date(texts[0], today, prefer)
    if kinds == ("number",) and len(texts[0]) == 8:
        return _compact_date(texts[0])
    if kinds == ("number", "month"):
        return _named_month(tokens[1].value, texts[0], None, today, prefer)
    if kinds == ("month", "number"):
        return _named_month(tokens[0].value, texts[1], None, today, prefer)
    if kinds == ("number", "month", "number"):
        if len(texts[0]) == 4:  # "2026 Jan 5"
            return _named_month(tokens[1].value, texts[2], texts[0], today, prefer)
        return _named_month(tokens[1].value, texts[0], texts[2], today, prefer)
    if kinds == ("month", "number", "number"):
        return _named_month(tokens[0].value, texts[1], texts[2], today, prefer)
    return NOT_UNDERSTOOD


def _named_month(month: int, day: str, year: str | None, today: date, prefer: Prefer) -> DateParse:
    if len(day) > 2:
        return NOT_UNDERSTOOD
    if year is None:
        return _ok(_yearless(month, int(day), today, prefer))
    if len(year) not in (2, 4):
        return NOT_UNDERSTOOD
    return _ok(_make(_full_year(year, today), month, int(day)))


def _numeric_date(text: str, today: date, prefer: Prefer) -> DateParse:
    parts = _SEPARATOR.split(text)
    if len(parts) > 3 or any(len(part) > 4 for part in parts):
        return NOT_UNDERSTOOD
    # Dots are how day-first countries write dates; "/" and "-" are also written month-first.
    either_order = "/" in text or "-" in text
    if len(parts) == 3:
        first, second, third = parts
        if len(first) == 4 and len(second) <= 2 and len(third) <= 2:
            return _ok(_make(int(first), int(second), int(third)))
        if len(first) > 2 or len(second) > 2 or len(third) not in (2, 4):
            return NOT_UNDERSTOOD
        year = _full_year(third, today)
        day_first = _make(year, int(second), int(first))
        month_first = _make(year, int(first), int(second))
    else:
        first, second = parts
        if len(first) > 2 or len(second) > 2:
            return NOT_UNDERSTOOD
        day_first = _yearless(int(second), int(first), today, prefer)
        month_first = _yearless(int(first), int(second), today, prefer)
    if day_first and month_first and day_first != month_first:
        return DateAmbiguous((day_first, month_first)) if either_order else DateOk(day_first)
    return _ok(day_first or month_first)


def _compact_date(digits: str) -> DateParse:
    """ "20260105" (year first) if that is a date, else "05012026" (day first)."""
    year_first = _make(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return _ok(year_first or _make(int(digits[4:]), int(digits[2:4]), int(digits[:2])))


def _full_year(year: str, today: date) -> int:
    if len(year) != 2:
        return int(year)
    full = (today.year // 100) * 100 + int(year)
    return full - 100 if full > today.year + 50 else full


def _yearless(month: int, day: int, today: date, prefer: Prefer) -> date | None:
    """The `month`/`day` date in the year `prefer` picks; None if no year has it."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    first_year = max(MINYEAR, today.year - _YEAR_SEARCH)
    last_year = min(MAXYEAR, today.year + _YEAR_SEARCH)
    candidates = [_make(year, month, day) for year in range(first_year, last_year + 1)]
    dates = [candidate for candidate in candidates if candidate is not None]
    if prefer == "future":
        return min((d for d in dates if d >= today), default=None)
    if prefer == "past":
        return max((d for d in dates if d <= today), default=None)
    return min(dates, key=lambda d: (abs((d - today).days), d < today), default=None)


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _shift(day: date, days: int) -> date | None:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _add_months(day: date, months: int) -> date | None:
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not MINYEAR <= year <= MAXYEAR:
        return None
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def _ok(found: date | None) -> DateParse:
    return IMPOSSIBLE_DATE if found is None else DateOk(found)
