"""What the dose buttons, /next and /history decide and say: pure functions of facts and `now`.

Callback data under a dose reminder is `dose:<action>:<reminder id>[:<argument>]` (at most 64
bytes); `parse_button` never trusts it beyond its shape: handlers check who owns the reminder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from bot.reminder_messages import Keyboard, site_name
from scheduling.model import DoseRecord, InjectionSite, Patient, PlannedDose, ReminderSettings
from scheduling.regimen import days_late, upcoming_doses
from scheduling.sites import allowed_sites, suggest_site
from scheduling.timeline import dose_time
from scheduling.wallclock import local_instant
from storage.planning import course_of

CALLBACK_PREFIX = "dose:"
EVENING = time(19, 0)
# "This evening" needs 19:00 to be at least this far off; later than that it means +3 h.
EVENING_MIN_LEAD = timedelta(hours=1)
HISTORY_LENGTH = 10
THEN_COUNT = 2  # later doses listed after the next one when the plan moved

# Actions the reminder's own keyboard carries (bot/reminder_messages.py) and the ones the
# handlers add: the snooze choices, the zone picker and "Back" to the reminder's buttons.
DONE, ELSEWHERE, SNOOZE, NOT_TODAY = "done", "elsewhere", "snooze", "nottoday"
SNOOZE_FOR, SITE, BACK = "snz", "site", "back"
_NO_ARGUMENT = frozenset({DONE, ELSEWHERE, SNOOZE, NOT_TODAY, BACK})
_WITH_ARGUMENT = frozenset({SNOOZE_FOR, SITE})

SNOOZE_OPTIONS: dict[str, str] = {
    "15m": texts.BUTTON_SNOOZE_15_MIN,
    "1h": texts.BUTTON_SNOOZE_1_HOUR,
    "3h": texts.BUTTON_SNOOZE_3_HOURS,
    "eve": texts.BUTTON_SNOOZE_EVENING,
}
_SNOOZE_DELAYS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "3h": timedelta(hours=3)}
_MAX_ID_DIGITS = 18


@dataclass(frozen=True, slots=True)
class DoseButton:
    """A parsed press: what to do, on which reminder, with which choice (snooze, site)."""

    action: str
    reminder_id: int
    argument: str | None = None


def parse_button(data: str | None) -> DoseButton | None:
    """The press, or None for anything that is not a well-formed dose button."""
    if not data or len(data.encode()) > 64:
        return None
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != CALLBACK_PREFIX[:-1]:
        return None
    action, raw_id = parts[1], parts[2]
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > _MAX_ID_DIGITS:
        return None
    argument = parts[3] if len(parts) == 4 else None
    if action in _NO_ARGUMENT and argument is None:
        return DoseButton(action, int(raw_id))
    if action == SNOOZE_FOR and argument in SNOOZE_OPTIONS:
        return DoseButton(action, int(raw_id), argument)
    if action == SITE and argument in {site.value for site in InjectionSite}:
        return DoseButton(action, int(raw_id), argument)
    return None


def _data(action: str, reminder_id: int, argument: str | None = None) -> str:
    tail = "" if argument is None else f":{argument}"
    return f"{CALLBACK_PREFIX}{action}:{reminder_id}{tail}"


def _pairs(buttons: Sequence[tuple[str, str]]) -> Keyboard:
    return tuple(tuple(buttons[index : index + 2]) for index in range(0, len(buttons), 2))


def snooze_keyboard(reminder_id: int) -> Keyboard:
    """15 min, 1 hour, 3 hours, this evening; and back to the reminder's buttons."""
    options = [
        (label, _data(SNOOZE_FOR, reminder_id, key)) for key, label in SNOOZE_OPTIONS.items()
    ]
    return (*_pairs(options), ((texts.BUTTON_BACK, _data(BACK, reminder_id)),))


def site_picker(
    buttons: Sequence[InjectionSite], data: dict[InjectionSite, str], extra: Keyboard = ()
) -> Keyboard:
    """Zones two to a row (left and right side by side), then `extra` rows."""
    return (*_pairs([(site_name(site), data[site]) for site in buttons]), *extra)


def patient_sites(patient: Patient) -> tuple[InjectionSite, ...]:
    """The zones this patient may use: no arms unless a caregiver injects, none excluded."""
    return allowed_sites(
        caregiver_injects=patient.caregiver_injects, excluded=patient.excluded_sites
    )


def elsewhere_keyboard(reminder_id: int, patient: Patient) -> Keyboard:
    """The zone picker under a reminder: allowed zones only, and back."""
    sites = patient_sites(patient)
    data = {site: _data(SITE, reminder_id, site.value) for site in sites}
    back_row = ((texts.BUTTON_BACK, _data(BACK, reminder_id)),)
    return site_picker(sites, data, (back_row,))


def zones_for(patient: Patient) -> tuple[InjectionSite, ...]:
    """Every zone this patient may use at all (excluded ones too: they did inject there)."""
    return allowed_sites(caregiver_injects=patient.caregiver_injects)


def site_from_label(label: str | None) -> InjectionSite | None:
    """The zone an "Injected in <site>" button names, or None."""
    for site in InjectionSite:
        if label == texts.BUTTON_INJECTED_AT.format(site=site_name(site)):
            return site
    return None


def suggested_site(patient: Patient, doses: Sequence[DoseRecord]) -> InjectionSite | None:
    return suggest_site(
        [dose.site for dose in doses],
        caregiver_injects=patient.caregiver_injects,
        excluded=patient.excluded_sites,
    )


# --- when a snooze ends ---------------------------------------------------------------------


def snooze_until(option: str, *, now: datetime, settings: ReminderSettings) -> datetime:
    """The instant a snooze ends: +15 min, +1 h, +3 h, or this evening.

    "This evening" is 19:00 local today, or +3 h when 19:00 is less than an hour away (or
    past): pressed at 18:30 or 21:00 it still means a few hours from now.
    """
    if option in _SNOOZE_DELAYS:
        return now + _SNOOZE_DELAYS[option]
    zone = ZoneInfo(settings.time_zone)
    evening = local_instant(now.astimezone(zone).date(), EVENING, zone)
    if evening - now >= EVENING_MIN_LEAD:
        return evening
    return now + _SNOOZE_DELAYS["3h"]


def not_today_until(*, now: datetime, settings: ReminderSettings) -> datetime:
    """ "Not today": tomorrow at the patient's reminder time, in their zone."""
    zone = ZoneInfo(settings.time_zone)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return local_instant(tomorrow, settings.reminder_time, zone)


def when_text(instant: datetime, *, now: datetime, settings: ReminderSettings) -> str:
    """'10:15' today, else 'Sun 4 Jan 09:00' (the patient's local time)."""
    zone = ZoneInfo(settings.time_zone)
    local, today = instant.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    return f"{texts.day_label(local.date(), today=today)} {local:%H:%M}"


# --- what the patient reads after a dose is recorded ----------------------------------------


def injected_text(dose: DoseRecord, *, now: datetime, settings: ReminderSettings) -> str:
    """The line under the reminder: which dose, where, when."""
    zone = ZoneInfo(settings.time_zone)
    today = now.astimezone(zone).date()
    at = dose.injected_at or now
    day = texts.day_label(dose.injected_on, today=today)
    time_text = f"{at.astimezone(zone):%H:%M}"
    if dose.site is None:
        return texts.DONE_INJECTED_NO_SITE.format(number=dose.number, day=day, time=time_text)
    return texts.DONE_INJECTED.format(
        number=dose.number, site=site_name(dose.site), day=day, time=time_text
    )


def what_next_text(patient: Patient, doses: Sequence[DoseRecord], *, now: datetime) -> str:
    """After a recorded dose: "Next dose: …" with its time and site, and, when the recorded
    dose was off its date, how the plan moved first.

    `doses` includes the one just recorded (the last).
    """
    course = course_of(patient, doses)
    if course is None or not doses:
        return texts.NO_NEXT_DOSE
    settings = patient.settings
    zone = ZoneInfo(settings.time_zone)
    today = now.astimezone(zone).date()
    planned = upcoming_doses(course, 1 + THEN_COUNT)
    following = planned[0]
    site = site_name(suggested_site(patient, doses))
    day = texts.day_label(following.due_on, today=today)
    at = f"{dose_time(following, settings).astimezone(zone):%H:%M}"
    last = doses[-1]
    offset = days_late(last.planned_on, last.injected_on)
    if not offset or last.planned_on is None:
        return texts.NEXT_DOSE_AFTER.format(day=day, time=at, site=site)
    return texts.PLAN_MOVED.format(
        number=last.number,
        planned=texts.day_label(last.planned_on, today=today),
        offset=texts.days_offset(offset),
        injected=texts.day_label(last.injected_on, today=today),
        day=day,
        time=at,
        site=site,
        later=", ".join(_later(planned[1:], today)),
    )


def recorded_text(patient: Patient, doses: Sequence[DoseRecord], *, now: datetime) -> str:
    """ "Recorded. Next dose: …" as a message of its own (`what_next_text`)."""
    return texts.RECORDED.format(what_next=what_next_text(patient, doses, now=now))


def _later(doses: Sequence[PlannedDose], today: date) -> list[str]:
    return [f"dose {dose.number} {texts.day_label(dose.due_on, today=today)}" for dose in doses]


# --- /history ----------------------------------------------------------------------------------


def history_text(doses: Sequence[DoseRecord], *, now: datetime, settings: ReminderSettings) -> str:
    """The last doses, newest first: date, on time or how late or early, site."""
    if not doses:
        return texts.HISTORY_EMPTY
    today = now.astimezone(ZoneInfo(settings.time_zone)).date()
    recent = list(reversed(doses))[:HISTORY_LENGTH]
    lines = [texts.HISTORY_HEADER]
    for dose in recent:
        offset = days_late(dose.planned_on, dose.injected_on)
        if offset is None:
            timing = texts.HISTORY_NO_PLAN
        elif offset == 0:
            timing = texts.HISTORY_ON_TIME
        else:
            timing = texts.days_offset(offset)
        lines.append(
            texts.HISTORY_LINE.format(
                number=dose.number,
                day=texts.day_label(dose.injected_on, today=today),
                timing=timing,
                site=site_name(dose.site) if dose.site is not None else texts.HISTORY_NO_SITE,
            )
        )
    if len(doses) > len(recent):
        lines.append(texts.HISTORY_OLDER.format(shown=len(recent), total=len(doses)))
    return "\n".join(lines)
