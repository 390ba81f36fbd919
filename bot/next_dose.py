"""What a set-up patient sees about their next dose (/start now, /next later): a pure render."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.reminder_messages import site_name
from scheduling.model import DoseRecord, Patient
from scheduling.regimen import next_dose
from scheduling.sites import suggest_site
from scheduling.timeline import dose_time
from storage.planning import course_of


def next_dose_text(patient: Patient, doses: Sequence[DoseRecord], *, now: datetime) -> str:
    """The next dose (number, weekday, date, time, days to go or how overdue) and its site."""
    course = course_of(patient, doses)
    if course is None:
        return texts.NO_NEXT_DOSE
    dose = next_dose(course)
    zone = ZoneInfo(patient.settings.time_zone)
    today = now.astimezone(zone).date()
    site = site_name(
        suggest_site(
            [dose.site for dose in doses],
            caregiver_injects=patient.caregiver_injects,
            excluded=patient.excluded_sites,
        )
    )
    day = texts.day_label(dose.due_on, today=today)
    days = (dose.due_on - today).days
    if days < 0:
        return texts.NEXT_DOSE_OVERDUE.format(
            number=dose.number, day=day, days_text=texts.days_ago(-days), site=site
        )
    at = dose_time(dose, patient.settings).astimezone(zone)
    return texts.ALREADY_SET_UP.format(
        number=dose.number, day=day, time=f"{at:%H:%M}", days_text=texts.days_to_go(days), site=site
    )
