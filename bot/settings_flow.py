"""/settings as pure logic: which screen a button or typed answer leads to, and what changes.

The handler (`bot.handlers.settings`) reads the patient's choices and the stored step, asks
this module what the answer leads to, applies `Outcome.changed` through
`storage.planning.change_settings` (the fact and the replan in one transaction), and renders
the rest. No clock, no I/O: `now` is an argument.
"""

from __future__ import annotations

import enum
import functools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.onboarding_flow import REMINDER_TIMES
from bot.parsing import match_time_zone, parse_time, zone_from_location
from bot.reminder_messages import Button, Keyboard, site_name
from scheduling.model import (
    InjectionSite,
    MaintenanceMode,
    Patient,
    QuietHours,
    ReminderSettings,
)
from scheduling.sites import allowed_sites

STEP_PREFIX = "settings"
CALLBACK_PREFIX = "set:"

NO_QUIET_HOURS = QuietHours(time(0), time(0))
QUIET_PRESETS: tuple[QuietHours, ...] = (
    QuietHours(time(22), time(8)),
    QuietHours(time(23), time(7)),
    QuietHours(time(21), time(9)),
    NO_QUIET_HOURS,
)
MAX_ZONE_CHOICES = 10  # one digit in the callback data


class Step(enum.StrEnum):
    MENU = "menu"
    TIME = "time"
    ZONE = "zone"  # waiting for a typed place or a shared location (no inline buttons)
    CHOOSE_ZONE = "choose_zone"
    CONFIRM_ZONE = "confirm_zone"
    MODE = "mode"
    QUIET = "quiet"
    WHO = "who"
    SITES = "sites"


@dataclass(frozen=True, slots=True)
class SettingsState:
    """Where the patient is in /settings; only the live message's buttons count."""

    step: Step
    message_id: int | None = None
    zone_candidates: tuple[str, ...] = ()
    pending_zone: str | None = None


@dataclass(frozen=True, slots=True)
class Choices:
    """Everything /settings can change, as `change_settings` takes it."""

    settings: ReminderSettings
    mode: MaintenanceMode
    caregiver_injects: bool
    excluded_sites: frozenset[InjectionSite]

    @classmethod
    def of(cls, patient: Patient) -> Choices:
        return cls(
            patient.settings, patient.mode, patient.caregiver_injects, patient.excluded_sites
        )


@dataclass(frozen=True, slots=True)
class Screen:
    """A message's text and inline buttons, or the share-location reply keyboard."""

    text: str
    buttons: Keyboard = ()
    share_location: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an answer leads to, in the order the handler renders it.

    `changed` is applied first. `edit` replaces the live message (without buttons it is
    closed; with buttons it stays live and the handler adds the next dose to it). `notice` is
    a message of its own; `question` a new message that becomes the live one. `state` None
    ends the conversation. `refusal` answers the button with that text and changes nothing.
    """

    state: SettingsState | None
    edit: Screen | None = None
    notice: str | None = None
    remove_reply_keyboard: bool = False
    question: Screen | None = None
    changed: Choices | None = None
    refusal: str | None = None


def has_inline_buttons(step: Step) -> bool:
    """Whether the live message of `step` carries inline buttons (the zone question does not)."""
    return step is not Step.ZONE


# --- storing the step ---------------------------------------------------------------------------


def dump(state: SettingsState) -> tuple[str, dict[str, Any]]:
    return f"{STEP_PREFIX}:{state.step.value}", {
        "message_id": state.message_id,
        "zone_candidates": list(state.zone_candidates),
        "pending_zone": state.pending_zone,
    }


def load(step_name: str, data: Mapping[str, Any]) -> SettingsState | None:
    """The stored state, or None when it is not a (valid) settings step."""
    prefix, _, name = step_name.partition(":")
    if prefix != STEP_PREFIX or name not in Step.__members__.values():
        return None
    message_id = data.get("message_id")
    candidates = data.get("zone_candidates")
    pending = data.get("pending_zone")
    return SettingsState(
        Step(name),
        message_id if isinstance(message_id, int) and not isinstance(message_id, bool) else None,
        tuple(z for z in candidates if isinstance(z, str) and _known_zone(z))[:MAX_ZONE_CHOICES]
        if isinstance(candidates, list)
        else (),
        pending if isinstance(pending, str) and _known_zone(pending) else None,
    )


@functools.cache
def _available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def _known_zone(name: str) -> bool:
    return name in _available_zones()


# --- screens ------------------------------------------------------------------------------------


def _data(action: str, value: str | None = None) -> str:
    return CALLBACK_PREFIX + action + ("" if value is None else f":{value}")


def _on_off(value: bool) -> str:
    return texts.SETTINGS_ON if value else texts.SETTINGS_OFF


def mode_label(mode: MaintenanceMode) -> str:
    if mode is MaintenanceMode.EVERY_4_WEEKS:
        return texts.SETTINGS_MODE_EVERY_4_WEEKS
    return texts.SETTINGS_MODE_MONTHLY


def quiet_label(quiet: QuietHours) -> str:
    if quiet.start == quiet.end:
        return texts.SETTINGS_NO_QUIET_HOURS
    return texts.SETTINGS_QUIET_RANGE.format(start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}")


def _who_label(caregiver: bool) -> str:
    return texts.SETTINGS_WHO_CAREGIVER if caregiver else texts.SETTINGS_WHO_ME


def _zones_label(choices: Choices) -> str:
    possible = allowed_sites(caregiver_injects=choices.caregiver_injects)
    on = allowed_sites(caregiver_injects=choices.caregiver_injects, excluded=choices.excluded_sites)
    if len(on) == len(possible):
        return texts.SETTINGS_ZONES_ALL.format(count=len(possible))
    return texts.SETTINGS_ZONES_SOME.format(on=len(on), count=len(possible))


def menu_screen(choices: Choices) -> Screen:
    settings = choices.settings
    text = texts.SETTINGS_MENU.format(
        time=f"{settings.reminder_time:%H:%M}",
        zone=settings.time_zone,
        mode=mode_label(choices.mode),
        quiet=quiet_label(settings.quiet_hours),
        heads_up=_on_off(settings.heads_up),
        prep=_on_off(settings.prep),
        who=_who_label(choices.caregiver_injects),
        zones=_zones_label(choices),
    )
    heads_up = (
        texts.BUTTON_SETTINGS_HEADS_UP_OFF
        if settings.heads_up
        else texts.BUTTON_SETTINGS_HEADS_UP_ON
    )
    prep = texts.BUTTON_SETTINGS_PREP_OFF if settings.prep else texts.BUTTON_SETTINGS_PREP_ON
    buttons: Keyboard = (
        (
            (texts.BUTTON_SETTINGS_TIME, _data("open", "time")),
            (texts.BUTTON_SETTINGS_ZONE, _data("open", "zone")),
        ),
        ((texts.BUTTON_SETTINGS_MODE, _data("open", "mode")),),
        (
            (texts.BUTTON_SETTINGS_QUIET, _data("open", "quiet")),
            (texts.BUTTON_SETTINGS_WHO, _data("open", "who")),
        ),
        ((heads_up, _data("headsup")), (prep, _data("prep"))),
        (
            (texts.BUTTON_SETTINGS_SITES, _data("open", "sites")),
            (texts.BUTTON_SETTINGS_CLOSE, _data("close")),
        ),
    )
    return Screen(text, buttons)


def _back_row() -> tuple[Button, ...]:
    return ((texts.BUTTON_SETTINGS_BACK, _data("back")),)


def _mark(label: str, current: bool) -> str:
    return texts.SETTINGS_CURRENT.format(label=label) if current else label


def _time_screen(choices: Choices) -> Screen:
    current = choices.settings.reminder_time
    buttons = [
        (_mark(f"{t:%H:%M}", t == current), _data("time", f"{t:%H%M}")) for t in REMINDER_TIMES
    ]
    return Screen(
        texts.SETTINGS_ASK_TIME.format(time=f"{current:%H:%M}"),
        (tuple(buttons[:3]), tuple(buttons[3:]), _back_row()),
    )


def _mode_screen(choices: Choices) -> Screen:
    return Screen(
        texts.SETTINGS_ASK_MODE.format(mode=mode_label(choices.mode)),
        (
            (
                (
                    _mark(texts.BUTTON_SETTINGS_MONTHLY, choices.mode is MaintenanceMode.MONTHLY),
                    _data("mode", MaintenanceMode.MONTHLY.value),
                ),
                (
                    _mark(
                        texts.BUTTON_SETTINGS_EVERY_4_WEEKS,
                        choices.mode is MaintenanceMode.EVERY_4_WEEKS,
                    ),
                    _data("mode", MaintenanceMode.EVERY_4_WEEKS.value),
                ),
            ),
            _back_row(),
        ),
    )


def _quiet_code(quiet: QuietHours) -> str:
    return "none" if quiet.start == quiet.end else f"{quiet.start:%H%M}{quiet.end:%H%M}"


def _quiet_button_label(quiet: QuietHours) -> str:
    if quiet.start == quiet.end:
        return texts.BUTTON_SETTINGS_NO_QUIET_HOURS
    return quiet_label(quiet)


def _same_quiet(a: QuietHours, b: QuietHours) -> bool:
    return _quiet_code(a) == _quiet_code(b)


def _quiet_screen(choices: Choices) -> Screen:
    current = choices.settings.quiet_hours
    buttons = [
        (_mark(_quiet_button_label(q), _same_quiet(q, current)), _data("quiet", _quiet_code(q)))
        for q in QUIET_PRESETS
    ]
    return Screen(
        texts.SETTINGS_ASK_QUIET.format(quiet=quiet_label(current)),
        (tuple(buttons[:2]), tuple(buttons[2:]), _back_row()),
    )


def _who_screen(choices: Choices) -> Screen:
    caregiver = choices.caregiver_injects
    return Screen(
        texts.SETTINGS_ASK_WHO.format(who=_who_label(caregiver)),
        (
            ((_mark(texts.BUTTON_I_DO, not caregiver), _data("who", "me")),),
            ((_mark(texts.BUTTON_CAREGIVER, caregiver), _data("who", "caregiver")),),
            _back_row(),
        ),
    )


def _sites_screen(choices: Choices) -> Screen:
    buttons: list[Button] = []
    for site in allowed_sites(caregiver_injects=choices.caregiver_injects):
        template = (
            texts.SETTINGS_SITE_OFF if site in choices.excluded_sites else texts.SETTINGS_SITE_ON
        )
        buttons.append((template.format(site=site_name(site)), _data("site", site.value)))
    rows = tuple(tuple(buttons[index : index + 2]) for index in range(0, len(buttons), 2))
    text = texts.SETTINGS_ASK_SITES
    if not choices.caregiver_injects:
        text = f"{text}\n{texts.SETTINGS_SITES_NO_ARMS}"
    return Screen(text, (*rows, ((texts.BUTTON_SETTINGS_DONE, _data("done")),)))


def _zone_question() -> Screen:
    return Screen(texts.ASK_TIME_ZONE, share_location=True)


def _zone_now(zone: str, now: datetime) -> str:
    local = now.astimezone(ZoneInfo(zone))
    return texts.SETTINGS_ZONE_NOW.format(
        zone=zone,
        local_time=f"{local:%H:%M}",
        local_day=texts.day_label(local.date(), today=local.date()),
    )


def _zone_statement(zone: str, now: datetime) -> str:
    local = now.astimezone(ZoneInfo(zone))
    return texts.ZONE_LOCAL_TIME.format(
        zone=zone,
        local_time=f"{local:%H:%M}",
        local_day=texts.day_label(local.date(), today=local.date()),
    )


def _zone_choice_label(zone: str, now: datetime) -> str:
    return texts.ZONE_CHOICE.format(zone=zone, local_time=f"{now.astimezone(ZoneInfo(zone)):%H:%M}")


def _choose_zone_screen(candidates: tuple[str, ...], now: datetime) -> Screen:
    rows: list[tuple[Button, ...]] = [
        ((_zone_choice_label(zone, now), _data("zone", str(index))),)
        for index, zone in enumerate(candidates)
    ]
    rows.append(((texts.BUTTON_NONE_OF_THESE, _data("zone", "none")),))
    return Screen(texts.CHOOSE_TIME_ZONE, tuple(rows))


def _yes_no() -> Keyboard:
    return (((texts.BUTTON_YES, _data("zone", "yes")), (texts.BUTTON_NO, _data("zone", "no"))),)


# --- entry points -------------------------------------------------------------------------------


def open_menu(choices: Choices) -> Outcome:
    """/settings: the menu, as a new live message."""
    return Outcome(SettingsState(Step.MENU), question=menu_screen(choices))


def press(state: SettingsState, data: str, choices: Choices, *, now: datetime) -> Outcome | None:
    """A button of the live message; None when it does not belong to the step (stale, forged)."""
    if not data.startswith(CALLBACK_PREFIX):
        return None
    action, _, value = data[len(CALLBACK_PREFIX) :].partition(":")
    step = state.step
    if step is Step.MENU:
        return _press_menu(state, action, value, choices, now)
    if action == "back" and not value and step in _SUBMENUS:
        return Outcome(replace(state, step=Step.MENU), edit=menu_screen(choices))
    if step is Step.TIME and action == "time":
        chosen = next((t for t in REMINDER_TIMES if f"{t:%H%M}" == value), None)
        return None if chosen is None else _set_time(choices, chosen)
    if step is Step.MODE and action == "mode":
        if value not in MaintenanceMode.__members__.values():
            return None
        mode = MaintenanceMode(value)
        return _changed(replace(choices, mode=mode), texts.SETTINGS_MODE_TITLE, _mode_button(mode))
    if step is Step.QUIET and action == "quiet":
        quiet = next((q for q in QUIET_PRESETS if _quiet_code(q) == value), None)
        if quiet is None:
            return None
        settings = replace(choices.settings, quiet_hours=quiet)
        return _changed(
            replace(choices, settings=settings),
            texts.SETTINGS_QUIET_TITLE,
            _quiet_button_label(quiet),
        )
    if step is Step.WHO and action == "who" and value in ("me", "caregiver"):
        return _set_who(choices, caregiver=value == "caregiver")
    if step is Step.SITES:
        return _press_sites(state, action, value, choices)
    if step is Step.CHOOSE_ZONE and action == "zone":
        return _press_zone_choice(state, value, choices, now)
    if step is Step.CONFIRM_ZONE and action == "zone":
        return _press_zone_confirm(state, value, choices, now)
    return None


def type_text(state: SettingsState, text: str, choices: Choices, *, now: datetime) -> Outcome:
    """Text typed while a settings step waits; never raises."""
    step = state.step
    if step is Step.TIME:
        chosen = parse_time(text)
        if chosen is None:
            return Outcome(state, notice=texts.TIME_NOT_UNDERSTOOD)
        return _set_time(choices, chosen)
    if step is Step.ZONE:
        if _words(text) == _words(texts.BUTTON_SETTINGS_KEEP_ZONE):
            return Outcome(
                None,
                notice=texts.SETTINGS_ZONE_KEPT.format(zone=choices.settings.time_zone),
                remove_reply_keyboard=True,
            )
        return _zone_found(state, match_time_zone(text), now)
    if step is Step.CHOOSE_ZONE:
        if _words(text) == _words(texts.BUTTON_NONE_OF_THESE):
            return _back_to_zone_question(state, texts.BUTTON_NONE_OF_THESE)
        return _zone_found(state, match_time_zone(text), now)
    if step is Step.CONFIRM_ZONE:
        words = _words(text)
        if words in _YES_WORDS:
            return _press_zone_confirm(state, "yes", choices, now) or Outcome(
                state, notice=texts.TAP_A_BUTTON
            )
        if words in _NO_WORDS or words == _words(texts.BUTTON_NO):
            return _back_to_zone_question(state, texts.BUTTON_NO)
        return _zone_found(state, match_time_zone(text), now)
    return Outcome(state, notice=texts.SETTINGS_TAP_A_BUTTON)


def share_location(
    state: SettingsState, latitude: float, longitude: float, *, now: datetime
) -> Outcome:
    """A location shared while a settings step waits; only the time zone steps use one."""
    if state.step not in (Step.ZONE, Step.CHOOSE_ZONE, Step.CONFIRM_ZONE):
        return Outcome(state, notice=texts.LOCATION_NOT_NEEDED)
    zone = zone_from_location(latitude, longitude)
    if zone is None:
        return Outcome(state, notice=texts.LOCATION_ZONE_NOT_FOUND)
    return _zone_found(state, [zone], now, via_location=True)


# --- what each answer does ----------------------------------------------------------------------

_SUBMENUS = frozenset({Step.TIME, Step.MODE, Step.QUIET, Step.WHO})
_NO_WORDS = frozenset({"no", "n", "nope"})
_YES_WORDS = frozenset({"yes", "y", "yep", "yeah", "ok", "okay", "correct", "right"})


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w/]+", " ", text[:200].casefold()).split())


def _answered(title: str, answer: str) -> Screen:
    return Screen(texts.ANSWER_CHOSEN.format(question=title, answer=answer))


def _changed(choices: Choices, title: str, answer: str) -> Outcome:
    return Outcome(None, edit=_answered(title, answer), changed=choices)


def _mode_button(mode: MaintenanceMode) -> str:
    if mode is MaintenanceMode.EVERY_4_WEEKS:
        return texts.BUTTON_SETTINGS_EVERY_4_WEEKS
    return texts.BUTTON_SETTINGS_MONTHLY


def _set_time(choices: Choices, chosen: time) -> Outcome:
    settings = replace(choices.settings, reminder_time=chosen)
    return _changed(
        replace(choices, settings=settings), texts.SETTINGS_TIME_TITLE, f"{chosen:%H:%M}"
    )


def _set_who(choices: Choices, *, caregiver: bool) -> Outcome:
    changed = replace(choices, caregiver_injects=caregiver)
    if not allowed_sites(caregiver_injects=caregiver, excluded=changed.excluded_sites):
        return Outcome(None, refusal=texts.SETTINGS_SITES_KEEP_ONE_FOR_ME)
    answer = texts.BUTTON_CAREGIVER if caregiver else texts.BUTTON_I_DO
    return _changed(changed, texts.SETTINGS_WHO_TITLE, answer)


def _press_menu(
    state: SettingsState, action: str, value: str, choices: Choices, now: datetime
) -> Outcome | None:
    settings = choices.settings
    if action == "open":
        screens = {
            "time": (Step.TIME, _time_screen),
            "mode": (Step.MODE, _mode_screen),
            "quiet": (Step.QUIET, _quiet_screen),
            "who": (Step.WHO, _who_screen),
            "sites": (Step.SITES, _sites_screen),
        }
        if value in screens:
            step, screen = screens[value]
            return Outcome(replace(state, step=step), edit=screen(choices))
        if value == "zone":
            return Outcome(
                SettingsState(Step.ZONE),
                edit=Screen(_zone_now(settings.time_zone, now)),
                question=_zone_question(),
            )
        return None
    if value:
        return None
    if action == "headsup":
        turned = replace(settings, heads_up=not settings.heads_up)
        return _changed(
            replace(choices, settings=turned),
            texts.SETTINGS_HEADS_UP_TITLE,
            _on_off(turned.heads_up).capitalize(),
        )
    if action == "prep":
        turned = replace(settings, prep=not settings.prep)
        return _changed(
            replace(choices, settings=turned),
            texts.SETTINGS_PREP_TITLE,
            _on_off(turned.prep).capitalize(),
        )
    if action == "close":
        return Outcome(None, edit=Screen(menu_screen(choices).text))
    return None


def _press_sites(state: SettingsState, action: str, value: str, choices: Choices) -> Outcome | None:
    if action == "done" and not value:
        return Outcome(None, edit=_answered(texts.SETTINGS_SITES_TITLE, _zones_label(choices)))
    if action != "site" or value not in InjectionSite.__members__.values():
        return None
    site = InjectionSite(value)
    if site not in allowed_sites(caregiver_injects=choices.caregiver_injects):
        return None  # an arm button while the patient injects alone: not shown, so forged
    excluded = choices.excluded_sites ^ {site}
    if not allowed_sites(caregiver_injects=choices.caregiver_injects, excluded=excluded):
        return Outcome(state, refusal=texts.SETTINGS_SITES_KEEP_ONE)
    changed = replace(choices, excluded_sites=excluded)
    return Outcome(state, edit=_sites_screen(changed), changed=changed)


def _zone_found(
    state: SettingsState, zones: list[str], now: datetime, *, via_location: bool = False
) -> Outcome:
    """One zone: confirm it with the local time. Several: choose. The location keyboard goes."""
    zones = [zone for zone in zones if _known_zone(zone)][:MAX_ZONE_CHOICES]
    if not zones:
        return Outcome(state, notice=texts.ZONE_NOT_FOUND)
    if len(zones) == 1:
        statement = _zone_statement(zones[0], now)
        return Outcome(
            SettingsState(Step.CONFIRM_ZONE, pending_zone=zones[0]),
            notice=f"{texts.LOCATION_USED}\n{statement}" if via_location else statement,
            remove_reply_keyboard=True,
            question=Screen(texts.IS_THAT_RIGHT, _yes_no()),
        )
    candidates = tuple(zones)
    return Outcome(
        SettingsState(Step.CHOOSE_ZONE, zone_candidates=candidates),
        notice=texts.ZONES_FOUND,
        remove_reply_keyboard=True,
        question=_choose_zone_screen(candidates, now),
    )


def _back_to_zone_question(state: SettingsState, answered: str) -> Outcome:
    title = texts.IS_THAT_RIGHT if state.step is Step.CONFIRM_ZONE else texts.CHOOSE_TIME_ZONE
    return Outcome(
        SettingsState(Step.ZONE), edit=_answered(title, answered), question=_zone_question()
    )


def _set_zone(choices: Choices, zone: str, title: str, answer: str) -> Outcome:
    settings = replace(choices.settings, time_zone=zone)
    return _changed(replace(choices, settings=settings), title, answer)


def _press_zone_choice(
    state: SettingsState, value: str, choices: Choices, now: datetime
) -> Outcome | None:
    if value == "none":
        return _back_to_zone_question(state, texts.BUTTON_NONE_OF_THESE)
    candidates = state.zone_candidates
    if not re.fullmatch(r"[0-9]", value) or int(value) >= len(candidates):
        return None
    zone = candidates[int(value)]
    return _set_zone(choices, zone, texts.CHOOSE_TIME_ZONE, _zone_choice_label(zone, now))


def _press_zone_confirm(
    state: SettingsState, value: str, choices: Choices, now: datetime
) -> Outcome | None:
    if value == "no":
        return _back_to_zone_question(state, texts.BUTTON_NO)
    if value != "yes" or state.pending_zone is None:
        return None
    return _set_zone(choices, state.pending_zone, texts.IS_THAT_RIGHT, texts.BUTTON_YES)
