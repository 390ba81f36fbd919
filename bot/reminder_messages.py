"""What each reminder kind says, and its buttons: a pure function of the reminder and facts.

Callback data is `<area>:<action>:<reminder id>[:<argument>]`, at most 64 bytes; handlers
check that the reminder belongs to whoever pressed the button.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from scheduling.model import (
    DoseRecord,
    InjectionSite,
    PlannedDose,
    Reminder,
    ReminderKind,
    ReminderSettings,
)
from scheduling.timeline import follow_up_wording

Button = tuple[str, str]  # (label, callback data)
Keyboard = tuple[tuple[Button, ...], ...]

DOSE_KINDS = frozenset(
    {ReminderKind.HEADS_UP, ReminderKind.PREP, ReminderKind.DOSE, ReminderKind.FOLLOW_UP}
)
CHECK_IN_KINDS = frozenset({ReminderKind.CHECK_IN, ReminderKind.CHECK_IN_NUDGE})


class ObsoleteReminder(Exception):
    """The reminder no longer matches the facts (its dose was recorded meanwhile)."""


@dataclass(frozen=True, slots=True)
class ReminderFacts:
    """What rendering needs to know besides the reminder itself."""

    settings: ReminderSettings
    open_dose: PlannedDose | None
    suggested_site: InjectionSite | None
    last_dose: DoseRecord | None
    broadcast_text: str | None
    now: datetime
    # A reaction was reported after the last dose: the next dose's reminders mention it.
    reaction_after_last_dose: bool = False


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    text: str
    keyboard: Keyboard = ()


def site_name(site: InjectionSite | None) -> str:
    return texts.SITE_NAMES[site.value] if site is not None else "a different site from last time"


def _local(instant: datetime, settings: ReminderSettings) -> datetime:
    return instant.astimezone(ZoneInfo(settings.time_zone))


def dose_keyboard(reminder_id: int, suggested: InjectionSite | None) -> Keyboard:
    done_label = (
        texts.BUTTON_INJECTED_AT.format(site=site_name(suggested))
        if suggested is not None
        else texts.BUTTON_INJECTED
    )
    return (
        ((done_label, f"dose:done:{reminder_id}"),),
        ((texts.BUTTON_INJECTED_ELSEWHERE, f"dose:elsewhere:{reminder_id}"),),
        (
            (texts.BUTTON_SNOOZE, f"dose:snooze:{reminder_id}"),
            (texts.BUTTON_NOT_TODAY, f"dose:nottoday:{reminder_id}"),
        ),
    )


def check_in_keyboard(reminder_id: int) -> Keyboard:
    return (
        ((texts.BUTTON_ALL_GOOD, f"checkin:good:{reminder_id}"),),
        ((texts.BUTTON_SKIN, f"checkin:skin:{reminder_id}"),),
        ((texts.BUTTON_FLU_LIKE, f"checkin:flu:{reminder_id}"),),
        ((texts.BUTTON_ALLERGIC, f"checkin:allergic:{reminder_id}"),),
    )


def _when_injected(injected_at: datetime, now: datetime, settings: ReminderSettings) -> str:
    injected, current = _local(injected_at, settings), _local(now, settings)
    if injected.date() == current.date():
        if injected.hour < 12:
            return "this morning's"
        return "this afternoon's" if injected.hour < 17 else "this evening's"
    if injected.date() == current.date() - timedelta(days=1) and injected.hour >= 17:
        return "last night's"
    return "yesterday's" if injected.date() == current.date() - timedelta(days=1) else "your"


def _with_reaction_note(text: str, facts: ReminderFacts) -> str:
    """Ask the patient to tell their MS team about the last dose's reaction before injecting."""
    if not facts.reaction_after_last_dose or facts.last_dose is None:
        return text
    note = texts.REACTION_BEFORE_DOSE.format(number=facts.last_dose.number)
    if text.endswith(texts.NOT_MEDICAL_ADVICE):
        return f"{text.removesuffix(texts.NOT_MEDICAL_ADVICE)}{note}\n{texts.NOT_MEDICAL_ADVICE}"
    return f"{text}\n\n{note}\n{texts.NOT_MEDICAL_ADVICE}"


def _render_dose_kind(reminder: Reminder, facts: ReminderFacts) -> RenderedMessage:
    message = _render_dose_text(reminder, facts)
    if reminder.kind is ReminderKind.PREP:
        return message
    return RenderedMessage(_with_reaction_note(message.text, facts), message.keyboard)


def _render_dose_text(reminder: Reminder, facts: ReminderFacts) -> RenderedMessage:
    dose = facts.open_dose
    if dose is None or dose.number != reminder.dose_number:
        raise ObsoleteReminder(f"dose {reminder.dose_number} is not the open dose")
    settings = facts.settings
    site = site_name(facts.suggested_site)
    if reminder.kind is ReminderKind.HEADS_UP:
        when = _local(reminder.expires_at or reminder.due_at, settings)
        text = texts.HEADS_UP.format(
            day=f"{when:%a} {when.day} {when:%b}", time=f"{when:%H:%M}", number=dose.number
        )
        return RenderedMessage(text)
    if reminder.kind is ReminderKind.PREP:
        return RenderedMessage(texts.PREP.format(number=dose.number))
    keyboard = dose_keyboard(reminder.id, facts.suggested_site)
    if reminder.kind is ReminderKind.DOSE:
        return RenderedMessage(texts.DOSE_DUE.format(number=dose.number, site=site), keyboard)
    wording = follow_up_wording(dose, facts.now, settings)
    if not wording.overdue:
        return RenderedMessage(
            texts.FOLLOW_UP_TODAY.format(number=dose.number, site=site), keyboard
        )
    text = texts.FOLLOW_UP_OVERDUE.format(
        number=dose.number,
        due=f"{dose.due_on:%a} {dose.due_on.day} {dose.due_on:%b}",
        days_text=texts.days_ago(wording.days_overdue),
        site=site,
    )
    return RenderedMessage(text, keyboard)


def _render_check_in_kind(reminder: Reminder, facts: ReminderFacts) -> RenderedMessage:
    dose = facts.last_dose
    if dose is None or dose.number != reminder.dose_number:
        raise ObsoleteReminder(f"dose {reminder.dose_number} is not the latest dose")
    if reminder.kind is ReminderKind.CHECK_IN_NUDGE:
        text = texts.CHECK_IN_NUDGE.format(number=dose.number)
    else:
        when = (
            _when_injected(dose.injected_at, facts.now, facts.settings)
            if dose.injected_at is not None
            else "your"
        )
        site_part = f", {site_name(dose.site)}" if dose.site is not None else ""
        text = texts.CHECK_IN.format(when=when, number=dose.number, site_part=site_part)
    return RenderedMessage(text, check_in_keyboard(reminder.id))


def render(reminder: Reminder, facts: ReminderFacts) -> RenderedMessage:
    """The message a reminder sends now, or `ObsoleteReminder` if the facts moved on."""
    if reminder.kind in DOSE_KINDS:
        return _render_dose_kind(reminder, facts)
    if reminder.kind in CHECK_IN_KINDS:
        return _render_check_in_kind(reminder, facts)
    if reminder.kind is ReminderKind.REACTION_FOLLOW_UP:
        keyboard: Keyboard = (
            (
                (texts.BUTTON_SYMPTOMS_GONE, f"reaction:gone:{reminder.id}"),
                (texts.BUTTON_SYMPTOMS_STILL_THERE, f"reaction:still:{reminder.id}"),
            ),
        )
        return RenderedMessage(
            texts.REACTION_FOLLOW_UP.format(number=reminder.dose_number), keyboard
        )
    if facts.broadcast_text is None:
        raise ObsoleteReminder("the broadcast has no text")
    return RenderedMessage(texts.BROADCAST_HEADER + facts.broadcast_text)
