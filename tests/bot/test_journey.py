"""The first 3 months of a new patient, end to end: each dose confirmed from its reminder."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from bot import texts
from bot.clock import ManualClock
from bot.devtools.harness import RunningBot
from bot.devtools.patient import Patient
from scheduling.model import DoseSource, InjectionSite, ReminderKind
from tests.bot.test_dose import at, doses_of, reminder_arrives, stored
from tests.bot.test_onboarding import pending_reminders, set_up_new_patient

# Week 0, 1, 2 (loading), Week 4, then the same date monthly: 31 Jan -> 28 Feb -> 31 Mar.
DOSE_DAYS = [
    date(2026, 1, 3),
    date(2026, 1, 10),
    date(2026, 1, 17),
    date(2026, 1, 31),
    date(2026, 2, 28),
    date(2026, 3, 31),  # after the clocks went forward in London: 09:00 BST is 08:00 UTC
]
NEXT_SITES = [
    "right thigh",
    "left lower abdomen",
    "right lower abdomen",
    "left thigh",
    "right thigh",
]


async def test_the_first_three_months_confirmed_from_each_reminder(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """3 loading doses 7 days apart, Week 4 two weeks later, then two monthly doses; each from
    its reminder's "Injected in" button. Sites never repeat back to back, and the first four
    doses use all four zones a patient injecting alone may use."""
    await set_up_new_patient(patient)
    for number, day in enumerate(DOSE_DAYS, start=1):
        reminder = await reminder_arrives(
            running, clock, patient, at(day), f"Time for dose {number} of Kesimpta"
        )
        suggested = reminder.buttons[0]
        assert suggested.startswith("Injected in ")
        await patient.press(suggested, message_id=reminder.message_id)
        recorded = await patient.wait_for_message("Next dose:")
        assert recorded.message_id == reminder.message_id
        assert recorded.buttons == []
        assert f"✓ Dose {number} recorded: {suggested.removeprefix('Injected in ')}" in (
            recorded.text or ""
        )
        if number < len(DOSE_DAYS):
            following = DOSE_DAYS[number]
            label = texts.day_label(following, today=day)
            assert (recorded.text or "").endswith(
                f"\nNext dose: {label} 09:00 · next site: {NEXT_SITES[number - 1]}."
            )

    doses = await doses_of(running, patient)
    assert [(d.number, d.injected_on, d.planned_on) for d in doses] == [
        (number, day, day) for number, day in enumerate(DOSE_DAYS, start=1)
    ]
    assert all(d.source is DoseSource.REMINDER for d in doses)
    gaps = [(later.injected_on - earlier.injected_on).days for earlier, later in pairwise(doses)]
    assert gaps == [7, 7, 14, 28, 31]
    sites = [d.site for d in doses]
    assert sites == [
        InjectionSite.LEFT_THIGH,
        InjectionSite.RIGHT_THIGH,
        InjectionSite.LEFT_ABDOMEN,
        InjectionSite.RIGHT_ABDOMEN,
        InjectionSite.LEFT_THIGH,
        InjectionSite.RIGHT_THIGH,
    ]
    assert all(a != b for a, b in pairwise(sites))
    assert set(sites[:4]) == {
        InjectionSite.LEFT_THIGH,
        InjectionSite.RIGHT_THIGH,
        InjectionSite.LEFT_ABDOMEN,
        InjectionSite.RIGHT_ABDOMEN,
    }
    # Dose 7 follows monthly from the anchor: the last day of April.
    row = await stored(running, patient)
    dose_reminders = [
        r for r in await pending_reminders(running, row.id) if r.kind is ReminderKind.DOSE
    ]
    assert [(r.dose_number, r.due_at) for r in dose_reminders] == [(7, at(date(2026, 4, 30)))]
    assert all(not m.keyboard for m in patient.bot_messages)


async def test_a_patient_who_never_confirms_is_reminded_for_eight_weeks(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Dose 1 never confirmed: follow-ups go on (daily to day 14, then weekly to day 56)
    through the bot's own dispatch passes, though the plan stores only a few days of them at
    a time: the passes write the rest as they come near, even after days without a pass."""
    await set_up_new_patient(patient)
    week_0 = DOSE_DAYS[0]
    await reminder_arrives(running, clock, patient, at(week_0), "Time for dose 1 of Kesimpta")
    for day in (2, 3, 6, 14, 21, 56):  # one message a second per chat: a sample of the days
        when = at(week_0 + timedelta(days=day))
        nag = await reminder_arrives(running, clock, patient, when, "was due on Sat 3 Jan")
        assert "Injected in left thigh" in nag.buttons, day
    clock.set(at(week_0 + timedelta(days=90)))
    assert (await running.dispatch()).sent == 0
    assert await pending_reminders(running, (await stored(running, patient)).id) == []
