"""Time zones from what a patient types or shares: a city, a country, a zone name, a location.

Everything here is offline: names come from the tz database that `tzdata` ships, locations from
`timezonefinder`'s bundled boundary data. Nothing reads the clock; `now` is always passed in.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

MAX_CANDIDATES: Final = 5
"""At most this many zones come back: enough buttons to choose from on a phone."""

# Longer text is no place name; past this only single words and short phrases are tried.
_MAX_NAME_LENGTH: Final = 60
_MAX_PHRASE_WORDS: Final = 4
_MAX_SENTENCE_WORDS: Final = 40
_MAX_TEXT_READ: Final = 12_000

# "typos of one letter" for names of 5+ letters; long names (10+) forgive two.
_MIN_FUZZY_LENGTH: Final = 5
_TWO_TYPO_LENGTH: Final = 10

# Two instants that show a zone's winter and summer offsets; zones of one country that agree on
# both keep the same clock, so only the first of them is offered. Fixed, so no clock is read.
_SAMPLE_INSTANTS: Final = (
    datetime(2026, 1, 15, 12, tzinfo=UTC),
    datetime(2026, 7, 15, 12, tzinfo=UTC),
)

_UTC: Final = "UTC"
_REGION_AREAS: Final = frozenset(
    {"Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
)
# Last parts of legacy link names that read as ordinary words, not places ("Australia/West").
_LINK_WORDS_SKIPPED: Final = frozenset({"north", "south", "west", "act", "nsw", "lhi"})

# Tiers of a name, best first. An alias replaces every other tier for its name.
_ALIAS, _ZONE, _LINK, _COUNTRY = range(4)

# Where a big country spans several clocks, the most populous first (a cut at five must keep
# them). Countries not listed offer their zone.tab zones, one per distinct clock.
_COUNTRY_ZONES: Final[dict[str, tuple[str, ...]]] = {
    "US": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Phoenix",
    ),
    "CA": (
        "America/Toronto",
        "America/Vancouver",
        "America/Edmonton",
        "America/Winnipeg",
        "America/Halifax",
    ),
    "AU": (
        "Australia/Sydney",
        "Australia/Brisbane",
        "Australia/Perth",
        "Australia/Adelaide",
        "Australia/Darwin",
    ),
    "BR": ("America/Sao_Paulo", "America/Manaus", "America/Rio_Branco", "America/Noronha"),
    "RU": (
        "Europe/Moscow",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
        "Asia/Krasnoyarsk",
        "Asia/Vladivostok",
    ),
    "MX": ("America/Mexico_City", "America/Tijuana", "America/Cancun", "America/Hermosillo"),
    "CN": ("Asia/Shanghai",),  # all of China keeps Beijing time
    "NZ": ("Pacific/Auckland",),  # the Chatham Islands (600 people) can type "Chatham"
}

# Names people type that are not IANA city names: other cities, regions, countries' everyday
# names, common abbreviations. Comma-separated by zone; matched ignoring case and accents.
_PLACES_BY_ZONE: Final[dict[str, str]] = {
    "Europe/London": (
        "UK, United Kingdom, Britain, Great Britain, England, Scotland, Wales, Northern Ireland, "
        "BST, Manchester, Birmingham, Edinburgh, Glasgow, Cardiff, Belfast, Leeds, Liverpool, "
        "Bristol, Sheffield, Newcastle upon Tyne, Oxford"
    ),
    "Europe/Dublin": "Cork, Galway, Limerick",
    "Europe/Berlin": (
        "Deutschland, Munich, München, Frankfurt, Frankfurt am Main, Hamburg, Cologne, Köln, "
        "Stuttgart, Düsseldorf, Dresden, Leipzig, Hanover, Hannover, Nuremberg, Nürnberg, Bonn, "
        "Bremen, Essen, Dortmund"
    ),
    "Europe/Paris": "Lyon, Marseille, Toulouse, Bordeaux, Lille, Strasbourg, Nantes, Montpellier",
    "Europe/Madrid": "España, Barcelona, Valencia, Seville, Sevilla, Bilbao, Malaga, Zaragoza",
    "Atlantic/Canary": "Canary Islands, Canaries, Tenerife, Gran Canaria, Las Palmas",
    "Europe/Rome": (
        "Italia, Milan, Milano, Naples, Napoli, Turin, Torino, Florence, Firenze, Venice, "
        "Venezia, Bologna, Genoa, Palermo"
    ),
    "Europe/Amsterdam": (
        "Holland, The Netherlands, Rotterdam, The Hague, Den Haag, Utrecht, Eindhoven"
    ),
    "Europe/Brussels": "Antwerp, Ghent, Gent",
    "Europe/Zurich": "Schweiz, Suisse, Geneva, Genève, Basel, Bern, Berne, Lausanne, Lugano",
    "Europe/Vienna": "Österreich, Wien, Salzburg, Graz, Innsbruck, Linz",
    "Europe/Warsaw": "Polska, Krakow, Kraków, Gdansk, Wroclaw, Poznan, Lodz",
    "Europe/Prague": "Czechia, Brno",
    "Europe/Lisbon": "Porto, Faro",
    "Europe/Stockholm": "Gothenburg, Göteborg, Malmo",
    "Europe/Oslo": "Bergen",
    "Europe/Copenhagen": "Aarhus",
    "Europe/Athens": "Thessaloniki",
    "Europe/Istanbul": "Türkiye, Ankara, Izmir, Antalya",
    "Europe/Moscow": "St Petersburg, Saint Petersburg, MSK",
    "Asia/Jerusalem": "Tel Aviv, Haifa",
    "Asia/Dubai": "UAE, Abu Dhabi, Sharjah",
    "Asia/Riyadh": "KSA, Jeddah, Mecca",
    "Africa/Johannesburg": "Cape Town, Durban, Pretoria, SAST",
    "Asia/Kolkata": (
        "Mumbai, Bombay, Delhi, New Delhi, Bangalore, Bengaluru, Chennai, Madras, Hyderabad, "
        "Pune, Ahmedabad, Calcutta"
    ),
    "Asia/Karachi": "Lahore, Islamabad",
    "Asia/Shanghai": "Beijing, Peking, Shenzhen, Guangzhou",
    "Asia/Seoul": "Korea, Busan, KST",
    "Asia/Tokyo": "Osaka, Kyoto, Yokohama, Nagoya, Sapporo, JST",
    "Asia/Ho_Chi_Minh": "Vietnam, Hanoi, Saigon",
    "Asia/Makassar": "Bali, Denpasar",
    "Asia/Manila": "Cebu, Quezon City",
    "Asia/Hong_Kong": "HKT",
    "Asia/Singapore": "SGT",
    "Pacific/Auckland": "NZ, Wellington, Christchurch, Queenstown, NZST, NZDT",
    "Australia/Sydney": "Canberra, New South Wales, NSW",
    "Australia/Melbourne": "Victoria",
    "Australia/Brisbane": "Queensland, Gold Coast",
    "Australia/Perth": "Western Australia, AWST",
    "Australia/Adelaide": "South Australia",
    "Australia/Hobart": "Tasmania",
    "Australia/Darwin": "Northern Territory",
    "America/New_York": (
        "NY, NYC, New York City, Boston, Washington DC, DC, Philadelphia, Miami, Atlanta, "
        "Orlando, Charlotte, Pittsburgh, Baltimore, Florida, Massachusetts, Pennsylvania, "
        "New Jersey, Virginia, North Carolina, Ohio"
    ),
    "America/Detroit": "Michigan",
    "America/Chicago": (
        "Houston, Dallas, Austin, San Antonio, Minneapolis, St Louis, Kansas City, Nashville, "
        "New Orleans, Milwaukee, Texas, Illinois, Minnesota"
    ),
    "America/Denver": "Salt Lake City, Albuquerque, El Paso, Colorado, Utah",
    "America/Phoenix": "Arizona, Tucson",
    "America/Los_Angeles": (
        "LA, L A, San Francisco, SF, San Diego, San Jose, Sacramento, Seattle, Portland, "
        "Las Vegas, California, Oregon, Nevada, Washington State"
    ),
    "America/Anchorage": "Alaska, AKST",
    "Pacific/Honolulu": "Hawaii, HST",
    "America/Toronto": "Montreal, Ottawa, Quebec, Quebec City, Ontario",
    "America/Vancouver": "British Columbia, BC, Victoria BC",
    "America/Edmonton": "Calgary, Alberta",
    "America/Winnipeg": "Manitoba",
    "America/Regina": "Saskatchewan",
    "America/Halifax": "Nova Scotia",
    "America/St_Johns": "Newfoundland",
    "America/Sao_Paulo": "Rio, Rio de Janeiro, Brasilia, Belo Horizonte, BRT",
    "America/Mexico_City": "Guadalajara, Puebla",
}

# Names that fit several zones: the bot offers them all as buttons.
_SHARED_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "GMT": ("Europe/London", _UTC),  # in the UK "GMT" means the local clock, elsewhere UTC
    "Etc/GMT": (_UTC,),
    "Etc/UTC": (_UTC,),
    "Greenwich": ("Europe/London", _UTC),
    "Washington": ("America/New_York", "America/Los_Angeles"),
    "Eastern": ("America/New_York", "America/Toronto"),
    "EST": ("America/New_York", "America/Toronto"),
    "EDT": ("America/New_York", "America/Toronto"),
    "Central": ("America/Chicago", "America/Winnipeg", "America/Mexico_City"),
    "CST": ("America/Chicago", "America/Winnipeg", "America/Mexico_City"),
    "CDT": ("America/Chicago", "America/Winnipeg"),
    "Mountain": ("America/Denver", "America/Edmonton", "America/Phoenix"),
    "MST": ("America/Denver", "America/Edmonton", "America/Phoenix"),
    "MDT": ("America/Denver", "America/Edmonton"),
    "Pacific": ("America/Los_Angeles", "America/Vancouver"),
    "PST": ("America/Los_Angeles", "America/Vancouver"),
    "PDT": ("America/Los_Angeles", "America/Vancouver"),
    "CET": ("Europe/Berlin", "Europe/Paris", "Europe/Rome", "Europe/Madrid", "Europe/Amsterdam"),
    "CEST": ("Europe/Berlin", "Europe/Paris", "Europe/Rome", "Europe/Madrid", "Europe/Amsterdam"),
    "EET": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Bucharest"),
    "EEST": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Bucharest"),
    "WET": ("Europe/Lisbon", "Atlantic/Canary"),
    "IST": ("Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"),
    "AEST": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"),
    "AEDT": ("Australia/Sydney", "Australia/Melbourne"),
    "ACST": ("Australia/Adelaide", "Australia/Darwin"),
}

# Everyday names of countries that tzdata's iso3166.tab spells otherwise.
_COUNTRY_NAMES: Final[dict[str, str]] = {
    "US": "USA, US, U S, America, United States, United States of America, The States",
    "CZ": "Czech",
    "KR": "South Korea",
    "KP": "North Korea",
    "RU": "Russian Federation",
    "TR": "Turkiye",
    "NL": "Nederland",
    "CI": "Ivory Coast",
}


def _normalize(text: str) -> str:
    """Lowercase ASCII words separated by single spaces: 'São Paulo!' -> 'sao paulo'."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSABLE))
    letters = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_NOT_ALPHANUMERIC.split(letters)).strip()


_NOT_ALPHANUMERIC: Final = re.compile(r"[\W_]+")
_UNDECOMPOSABLE: Final = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "&": " and ",
    }
)


def match_time_zone(text: str) -> list[str]:
    """The zones a typed city, country, abbreviation or zone name most likely means, best first.

    Exact names first; otherwise names one typo away (two for names of 10+ letters), closest
    first; otherwise places named inside a short sentence ("I live in Leeds"). At most
    `MAX_CANDIDATES` canonical `Area/City` zones (or "UTC"); [] when nothing fits.
    """
    query = _normalize(text[:_MAX_TEXT_READ])
    if not query:
        return []
    index = _index()
    if len(query) <= _MAX_NAME_LENGTH:
        exact = index.names.get(query)
        if exact:
            return list(exact[:MAX_CANDIDATES])
        close = _closest_names(query, index)
        if close:
            return _first_distinct(index.names[name] for name in close)
    return _places_in_sentence(query.split(" ")[:_MAX_SENTENCE_WORDS], index)


def zone_from_location(latitude: float, longitude: float) -> str | None:
    """The zone of a shared location, from offline boundary data; never touches the network.

    None for coordinates out of range (or NaN), and at sea: the ocean's `Etc/GMT±N` zones
    follow no local clock, so the bot asks for a city instead.
    """
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        return None
    with _FINDER_LOCK:  # a TimezoneFinder must not be used by two threads at once
        found = _finder().timezone_at_land(lng=float(longitude), lat=float(latitude))
    return None if found is None else _index().canonical(found)


def describe_zone(zone: str, now: datetime) -> str:
    """'Europe/London (now 14:05, Tue 3 Mar)': the zone and its wall clock, to confirm with.

    Raises ValueError for an unknown zone or a naive `now`.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    try:
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone: {zone!r}") from None
    weekday = _WEEKDAY_ABBREVIATIONS[local.weekday()]
    month = _MONTH_ABBREVIATIONS[local.month - 1]
    return f"{zone} (now {local:%H:%M}, {weekday} {local.day} {month})"


_WEEKDAY_ABBREVIATIONS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBREVIATIONS: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


# --- the name index ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Index:
    names: dict[str, tuple[str, ...]]
    """Every normalized name -> its zones, best first."""
    fuzzy_names: dict[int, tuple[str, ...]]
    """The names long enough to forgive a typo in, by length."""
    links: dict[str, str]
    """Legacy zone names ("US/Eastern", "Asia/Calcutta") -> the current one."""
    zones: frozenset[str]
    """The zones this module answers with."""

    def canonical(self, zone: str) -> str | None:
        """The current name of `zone` if it has one; None if the tz database lacks it."""
        if zone in self.zones:
            return zone
        if zone in self.links:
            return self.links[zone]
        return zone if zone in zoneinfo.available_timezones() else None


@functools.cache
def _index() -> _Index:
    available = zoneinfo.available_timezones()
    zone_rows = _table_rows("zone.tab")
    zones_by_country: dict[str, list[str]] = {}
    for row in zone_rows:
        if len(row) >= 3 and row[2] in available:
            zones_by_country.setdefault(row[0], []).append(row[2])
    listed = {zone for zones in zones_by_country.values() for zone in zones}
    if not listed:  # no tzdata tables: fall back to every regional zone the system has
        listed = {zone for zone in available if zone.split("/", 1)[0] in _REGION_AREAS}
    zones = frozenset(listed | ({_UTC} if _UTC in available else set()))
    links = _links(zones)

    tiers: dict[str, dict[int, list[str]]] = {}

    def add(name: str, tier: int, candidates: Iterable[str]) -> None:
        key = _normalize(name)
        if key:
            bucket = tiers.setdefault(key, {}).setdefault(tier, [])
            bucket.extend(zone for zone in candidates if zone in zones and zone not in bucket)

    for zone, places in _PLACES_BY_ZONE.items():
        for place in places.split(","):
            add(place, _ALIAS, [zone])
    for name, candidates in _SHARED_NAMES.items():
        add(name, _ALIAS, candidates)
    for zone in sorted(zones):
        add(zone, _ZONE, [zone])
        if not zone.startswith("Antarctica/"):  # "Casey", "Troll": not worth a false match
            add(zone.rsplit("/", 1)[-1], _ZONE, [zone])
    for link, zone in sorted(links.items()):
        add(link, _LINK, [zone])
        area, _, city = link.rpartition("/")
        if area in _REGION_AREAS and _normalize(city) not in _LINK_WORDS_SKIPPED:
            add(city, _LINK, [zone])
    country_names = {row[0]: row[1] for row in _table_rows("iso3166.tab") if len(row) >= 2}
    for code, country in sorted(country_names.items()):
        country_zones = _COUNTRY_ZONES.get(code) or _one_per_clock(zones_by_country.get(code, []))
        for name in (*_country_spellings(country), *_COUNTRY_NAMES.get(code, "").split(",")):
            add(name, _COUNTRY, country_zones)

    names: dict[str, tuple[str, ...]] = {}
    for key, by_tier in tiers.items():
        chosen = [by_tier[_ALIAS]] if by_tier.get(_ALIAS) else [by_tier[t] for t in sorted(by_tier)]
        merged = tuple(dict.fromkeys(zone for bucket in chosen for zone in bucket))
        if merged:
            names[key] = merged
    fuzzy_names: dict[int, tuple[str, ...]] = {}
    for key in names:
        if len(key) >= _MIN_FUZZY_LENGTH:
            fuzzy_names[len(key)] = (*fuzzy_names.get(len(key), ()), key)
    return _Index(names=names, fuzzy_names=fuzzy_names, links=links, zones=zones)


def _table_rows(filename: str) -> list[list[str]]:
    """The rows of one of tzdata's tab-separated tables; [] if the package lacks it."""
    try:
        text = resources.files("tzdata.zoneinfo").joinpath(filename).read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError, UnicodeDecodeError):
        return []
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


def _links(zones: frozenset[str]) -> dict[str, str]:
    """Legacy names from tzdata.zi's link lines ("L target name"), each to a zone we answer with."""
    links: dict[str, str] = {}
    try:
        text = resources.files("tzdata.zoneinfo").joinpath("tzdata.zi").read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError, UnicodeDecodeError):
        return links
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[0] != "L" or parts[2] in zones:
            continue
        target = _UTC if parts[1] in ("Etc/UTC", "Etc/GMT") else parts[1]
        if target in zones:
            links[parts[2]] = target
    return links


def _country_spellings(country: str) -> Iterator[str]:
    """'Korea (South)' -> 'Korea (South)', 'Korea', 'South Korea'; 'Britain (UK)' -> ... 'UK'."""
    yield country
    base, paren, rest = country.partition("(")
    if paren:
        qualifier = rest.rstrip(")")
        yield base
        yield f"{qualifier} {base}"
        if qualifier.isupper():  # an abbreviation such as "UK"
            yield qualifier


def _one_per_clock(zones: list[str]) -> tuple[str, ...]:
    """The zones that keep a clock of their own: the first of each group that always agrees."""
    seen: set[tuple[timedelta | None, ...]] = set()
    kept: list[str] = []
    for zone in zones:
        clock = _clock(zone)
        if clock not in seen:
            seen.add(clock)
            kept.append(zone)
    return tuple(kept)


@functools.cache
def _clock(zone: str) -> tuple[timedelta | None, ...]:
    tz = zoneinfo.ZoneInfo(zone)
    return tuple(instant.astimezone(tz).utcoffset() for instant in _SAMPLE_INSTANTS)


# --- matching ------------------------------------------------------------------------------


def _closest_names(query: str, index: _Index) -> list[str]:
    """The names within the typo allowance of `query`, nearest first; [] for short queries."""
    if len(query) < _MIN_FUZZY_LENGTH:
        return []
    allowance = 2 if len(query) >= _TWO_TYPO_LENGTH else 1
    scored: list[tuple[int, int, str]] = []
    for length in range(len(query) - allowance, len(query) + allowance + 1):
        for order, name in enumerate(index.fuzzy_names.get(length, ())):
            distance = typo_distance(query, name, allowance)
            if distance <= allowance:
                scored.append((distance, order, name))
    if not scored:
        return []
    best = min(distance for distance, _, _ in scored)
    return [name for distance, _, name in sorted(scored) if distance == best]


def _places_in_sentence(words: list[str], index: _Index) -> list[str]:
    """Zones of the places named word for word in a short text, longest phrases first."""
    found: list[tuple[str, ...]] = []
    for size in range(min(_MAX_PHRASE_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            zones = index.names.get(" ".join(words[start : start + size]))
            if zones:
                found.append(zones)
    return _first_distinct(found)


def _first_distinct(groups: Iterable[tuple[str, ...]]) -> list[str]:
    ordered = dict.fromkeys(zone for group in groups for zone in group)
    return list(ordered)[:MAX_CANDIDATES]


def typo_distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from `a` to `b`; limit+1 if more.

    Only the diagonal band `limit` wide is computed, so a check costs O(len * limit).
    """
    too_far = limit + 1
    if abs(len(a) - len(b)) > limit:
        return too_far
    if a == b:
        return 0
    width = len(b) + 1
    before_previous = [too_far] * width
    previous = [j if j <= limit else too_far for j in range(width)]
    for i in range(1, len(a) + 1):
        current = [too_far] * width
        if i <= limit:
            current[0] = i
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before_previous[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return too_far
        before_previous, previous = previous, current
    return min(previous[-1], too_far)


# --- location ------------------------------------------------------------------------------

_FINDER_LOCK: Final = threading.Lock()


@functools.cache
def _finder() -> TimezoneFinder:
    # Imported on first use: numpy and the boundary data cost ~0.3 s, paid only when a patient
    # shares a location, not at bot start-up.
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()
