"""The check-in's buttons and screens: parsing presses, the symptoms and severity questions, and
the label-based notes. Pure: no Telegram, no database.

Callback data (at most 64 bytes; every id is checked against the presser in storage):
  checkin:<good|skin|flu|allergic>:<source>   source: <reminder id> | d<dose> | c<check-in id>
  checkin:pick:<check-in id>:<mask>           symptoms toggled so far (one bit per symptom)
  checkin:done:<check-in id>:<mask>
  checkin:sev:<check-in id>:<mask>:<mild|moderate|severe>
  reaction:<gone|still>:<reminder id>         under "Are the symptoms gone?"
The symptoms picked live in the buttons themselves, so nothing is stored until the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot import texts
from bot.reminder_messages import Button, Keyboard
from scheduling.model import CheckIn, CheckInStatus
from storage.check_in_service import FromCheckIn, FromDose, FromReminder, Source
from storage.check_ins import ALL_GOOD, ALLERGIC, SEVERITIES

CHECK_IN_PREFIX = "checkin:"
FOLLOW_UP_PREFIX = "reaction:"

SYMPTOMS: dict[str, tuple[str, ...]] = {
    "skin": ("redness", "pain", "itching", "swelling"),
    "flu": ("fever", "headache", "muscle_pain", "chills", "tiredness"),
}
CHOICE_LABELS = {
    ALL_GOOD: texts.BUTTON_ALL_GOOD,
    "skin": texts.BUTTON_SKIN,
    "flu": texts.BUTTON_FLU_LIKE,
    ALLERGIC: texts.BUTTON_ALLERGIC,
}


@dataclass(frozen=True, slots=True)
class Choose:
    """One of the four answers to a check-in (or to /reaction)."""

    choice: str
    source: Source


@dataclass(frozen=True, slots=True)
class Toggle:
    check_in_id: int
    mask: int  # the symptoms picked once this press is applied


@dataclass(frozen=True, slots=True)
class Done:
    check_in_id: int
    mask: int


@dataclass(frozen=True, slots=True)
class Rate:
    check_in_id: int
    mask: int
    severity: str


@dataclass(frozen=True, slots=True)
class FollowUp:
    reminder_id: int
    gone: bool


Press = Choose | Toggle | Done | Rate | FollowUp


@dataclass(frozen=True, slots=True)
class Screen:
    text: str
    keyboard: Keyboard = ()


def _number(text: str) -> int | None:
    # isdecimal() alone would accept non-ASCII digits; ids are plain ASCII.
    if not text.isascii() or not text.isdecimal() or len(text) > 18:
        return None
    return int(text)


def _source(text: str) -> Source | None:
    if text[:1] in ("d", "c"):
        number = _number(text[1:])
        if number is None:
            return None
        return FromDose(number) if text[0] == "d" else FromCheckIn(number)
    reminder_id = _number(text)
    return None if reminder_id is None else FromReminder(reminder_id)


def parse(data: str | None) -> Press | None:
    """The press a button's data describes, or None for anything malformed."""
    if data is None:
        return None
    area, _, rest = data.partition(":")
    parts = rest.split(":")
    if area == "reaction":
        if len(parts) != 2 or parts[0] not in ("gone", "still"):
            return None
        reminder_id = _number(parts[1])
        return None if reminder_id is None else FollowUp(reminder_id, parts[0] == "gone")
    if area != "checkin" or not parts:
        return None
    action = parts[0]
    if action in CHOICE_LABELS and len(parts) == 2:
        source = _source(parts[1])
        return None if source is None else Choose(action, source)
    if action not in ("pick", "done", "sev") or len(parts) != (4 if action == "sev" else 3):
        return None
    check_in_id, mask = _number(parts[1]), _number(parts[2])
    if check_in_id is None or mask is None or mask >= 1 << max(map(len, SYMPTOMS.values())):
        return None
    if action == "pick":
        return Toggle(check_in_id, mask)
    if action == "done":
        return Done(check_in_id, mask)
    return Rate(check_in_id, mask, parts[3]) if parts[3] in SEVERITIES else None


def symptoms_of(group: str, mask: int) -> list[str]:
    """The symptoms of `group` a mask picks, in the order they are offered."""
    return [symptom for bit, symptom in enumerate(SYMPTOMS[group]) if mask & (1 << bit)]


def valid_mask(group: str, mask: int) -> bool:
    return 0 <= mask < 1 << len(SYMPTOMS[group])


def _allergic_row(check_in_id: int) -> tuple[Button, ...]:
    return ((texts.BUTTON_ALLERGIC, f"checkin:{ALLERGIC}:c{check_in_id}"),)


def symptoms_question(group: str, check_in_id: int, mask: int) -> Screen:
    """Which symptoms: one toggle per symptom (✓ when picked), Done, and the allergic button."""
    rows: list[tuple[Button, ...]] = []
    for bit, symptom in enumerate(SYMPTOMS[group]):
        label = texts.CHECKIN_SYMPTOMS[symptom]
        shown = f"✓ {label}" if mask & (1 << bit) else label
        rows.append(((shown, f"checkin:pick:{check_in_id}:{mask ^ (1 << bit)}"),))
    rows.append(((texts.CHECKIN_BUTTON_DONE, f"checkin:done:{check_in_id}:{mask}"),))
    rows.append(_allergic_row(check_in_id))
    text = texts.CHECKIN_ASK_SKIN if group == "skin" else texts.CHECKIN_ASK_FLU
    return Screen(text, tuple(rows))


def severity_question(check_in_id: int, mask: int) -> Screen:
    row = tuple(
        (label, f"checkin:sev:{check_in_id}:{mask}:{severity}")
        for severity, label in texts.CHECKIN_SEVERITIES.items()
    )
    return Screen(texts.CHECKIN_ASK_SEVERITY, (row, _allergic_row(check_in_id)))


def symptoms_label(group: str, mask: int) -> str:
    """ "Redness, itching" for the answered question."""
    names = [texts.CHECKIN_SYMPTOMS[symptom] for symptom in symptoms_of(group, mask)]
    return ", ".join([names[0], *(name.lower() for name in names[1:])]) if names else ""


def note(group: str, severity: str, check_in_id: int) -> Screen:
    """The label-based note after a skin or flu-like reaction, with the allergic button."""
    lines = [texts.CHECKIN_SKIN_NOTE if group == "skin" else texts.CHECKIN_FLU_NOTE]
    if severity == "severe":
        lines.append(texts.CHECKIN_SEVERE)
    lines.append(texts.CHECKIN_ALLERGIC_HINT)
    text = "\n\n".join(lines) + "\n\n" + texts.NOT_MEDICAL_ADVICE
    return Screen(text, (_allergic_row(check_in_id),))


def reaction_menu(dose_number: int) -> Screen:
    """/reaction: which reaction, for the latest dose (no "all good" here)."""
    rows = tuple(
        ((CHOICE_LABELS[choice], f"checkin:{choice}:d{dose_number}"),)
        for choice in ("skin", "flu", ALLERGIC)
    )
    return Screen(texts.REACTION_ASK.format(number=dose_number), rows)


def check_in_summary(check_in: CheckIn) -> str | None:
    """ "skin: redness, itching (moderate)", "all good", ...; None for a check-in never asked."""
    if check_in.status is CheckInStatus.UNANSWERED:
        return texts.HISTORY_CHECK_IN_UNANSWERED
    if check_in.status is not CheckInStatus.ANSWERED:
        return None
    parts: list[str] = []
    details: dict[str, list[str]] = {}
    for answer in check_in.answers:
        group, _, symptom = answer.partition(":")
        if answer == ALL_GOOD:
            parts.append(texts.HISTORY_CHECK_IN_GOOD)
        elif group in texts.HISTORY_CHECK_IN_GROUPS:
            names = details.setdefault(group, [])
            if symptom in texts.CHECKIN_SYMPTOMS:
                names.append(texts.CHECKIN_SYMPTOMS[symptom].lower())
    for group, names in details.items():
        label = texts.HISTORY_CHECK_IN_GROUPS[group]
        parts.append(f"{label}: {', '.join(names)}" if names else label)
    summary = "; ".join(parts)
    if summary and check_in.severity is not None:
        summary += f" ({check_in.severity})"
    return summary or None


def with_check_ins(history: str, check_ins: Sequence[CheckIn]) -> str:
    """/history's lines ("• Dose 4: …"), each with what was answered about that dose."""
    prefix = texts.HISTORY_LINE.partition("{number}")[0]  # "• Dose "
    lines = history.split("\n")
    for index, line in enumerate(lines):
        head, colon, _ = line.partition(":")
        number = _number(head.removeprefix(prefix)) if line.startswith(prefix) else None
        if number is None or not colon:
            continue
        summaries = [
            summary
            for check_in in check_ins
            if check_in.dose_number == number
            and (summary := check_in_summary(check_in)) is not None
        ]
        if summaries:
            lines[index] = f"{line} · {'; '.join(summaries)}"
    return "\n".join(lines)
