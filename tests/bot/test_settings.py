"""/settings: the pure flow, and end to end through the fake Bot API with the real Application."""

from __future__ import annotations

import itertools
import logging
import random
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import settings_flow as flow
from bot import texts
from bot.clock import ManualClock
from bot.devtools.harness import RunningBot
from bot.devtools.patient import Patient
from bot.settings_flow import Choices, SettingsState, Step
from scheduling.model import (
    InjectionSite,
    MaintenanceMode,
    PatientStatus,
    QuietHours,
    Reminder,
    ReminderKind,
    ReminderSettings,
)
from storage.conversations import ConversationStateRepository
from tests.bot.test_onboarding import (
    agree,
    patient_row,
    pending_reminders,
    press_anyway,
    set_up_new_patient,
    settle,
)

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
LONDON_CHOICES = Choices(
    ReminderSettings(time_zone="Europe/London"), MaintenanceMode.MONTHLY, False, frozenset()
)


def all_screens(choices: Choices) -> list[flow.Screen]:
    menu = flow.SettingsState(Step.MENU, message_id=1)
    screens = [flow.menu_screen(choices)]
    for item in ("time", "zone", "mode", "quiet", "who", "sites"):
        outcome = flow.press(menu, f"set:open:{item}", choices, now=NOW)
        assert outcome is not None
        screens += [s for s in (outcome.edit, outcome.question) if s is not None]
    found = flow.type_text(SettingsState(Step.ZONE), "USA", choices, now=NOW)
    assert found.question is not None and len(found.question.buttons) == 6
    screens += [s for s in (found.edit, found.question) if s is not None]
    return screens


def test_every_button_fits_telegrams_64_bytes() -> None:
    """Callback data of every settings screen is a short `set:` string of at most 64 bytes."""
    caregiver = Choices(
        LONDON_CHOICES.settings, MaintenanceMode.EVERY_4_WEEKS, True, frozenset(InjectionSite)
    )
    for choices in (LONDON_CHOICES, caregiver):
        for screen in all_screens(choices):
            for row in screen.buttons:
                for _, data in row:
                    assert data.startswith("set:") and len(data.encode()) <= 64


def test_the_menu_explains_both_modes_and_the_earlier_first_check_in() -> None:
    """One line explains monthly vs every 4 weeks; the check-in after dose 1 comes earlier."""
    text = flow.menu_screen(LONDON_CHOICES).text
    assert texts.SETTINGS_MODE_EXPLAINED in text
    assert "12 doses a year" in text and "13 doses a year" in text
    assert "after the first dose I ask a little earlier" in text
    assert "• Quiet hours: 22:00–08:00" in text


def test_the_state_survives_a_round_trip_and_junk_loads_as_nothing() -> None:
    """dump/load keep a state; another feature's step or junk data is not a settings state."""
    state = SettingsState(Step.CHOOSE_ZONE, 7, ("America/New_York", "America/Chicago"))
    assert flow.load(*flow.dump(state)) == state
    assert flow.load("onboarding:time_zone", {}) is None
    assert flow.load("settings:nonsense", {}) is None
    junk = flow.load("settings:confirm_zone", {"message_id": "x", "pending_zone": "Mars/Base"})
    assert junk == SettingsState(Step.CONFIRM_ZONE)


def test_excluding_the_last_zone_is_refused() -> None:
    """At least one allowed zone always stays on; the arm buttons exist only for a caregiver."""
    sites = SettingsState(Step.SITES, message_id=1)
    three = frozenset(
        {InjectionSite.LEFT_THIGH, InjectionSite.RIGHT_THIGH, InjectionSite.LEFT_ABDOMEN}
    )
    choices = Choices(LONDON_CHOICES.settings, MaintenanceMode.MONTHLY, False, three)
    refused = flow.press(sites, "set:site:right_abdomen", choices, now=NOW)
    assert refused is not None and refused.refusal == texts.SETTINGS_SITES_KEEP_ONE
    assert refused.changed is None
    assert flow.press(sites, "set:site:left_upper_arm", choices, now=NOW) is None
    back = flow.press(sites, "set:site:left_thigh", choices, now=NOW)
    assert back is not None and back.changed is not None
    assert back.changed.excluded_sites == three - {InjectionSite.LEFT_THIGH}


@settings(max_examples=300, deadline=None, database=None)
@given(
    step=st.sampled_from(list(Step)),
    data=st.one_of(
        st.text(max_size=64),
        st.builds(lambda rest: f"set:{rest}", st.text(max_size=30)),
        st.sampled_from(
            [
                "set:open:zone",
                "set:zone:9",
                "set:zone:yes",
                "set:site:left_upper_arm",
                "set:quiet:22000800",
                "set:back",
            ]
        ),
    ),
    text=st.text(max_size=80),
    location=st.tuples(st.floats(allow_nan=True), st.floats(allow_infinity=True)),
)
def test_no_input_breaks_the_flow(
    step: Step, data: str, text: str, location: tuple[float, float]
) -> None:
    """Any button data, text or location at any step: an outcome or None, never an error."""
    state = SettingsState(step, 3, ("America/New_York", "UTC"), "Europe/London")
    outcome = flow.press(state, data, LONDON_CHOICES, now=NOW)
    if outcome is not None and outcome.changed is not None:
        changed = outcome.changed
        assert changed.excluded_sites != frozenset(InjectionSite)
    flow.type_text(state, text, LONDON_CHOICES, now=NOW)
    flow.share_location(state, *location, now=NOW)


# --- end to end ---------------------------------------------------------------------------------


async def dose_reminders(running: RunningBot, patient: Patient) -> list[Reminder]:
    stored = await patient_row(running, patient)
    assert stored is not None
    reminders = await pending_reminders(running, stored.id)
    return [r for r in reminders if r.kind is ReminderKind.DOSE]


async def open_settings(patient: Patient) -> None:
    """/settings, and wait until the new menu is the live keyboard (the old one may be edited)."""
    await patient.send("/settings")
    await settle(patient)
    menu = patient.chat.last_keyboard_message
    assert menu is not None and (menu.text or "").startswith("Your settings:")


async def test_a_new_time_zone_moves_the_pending_reminders(
    patient: Patient, running: RunningBot
) -> None:
    """London -> New York: dose 1 stays at 09:00 local, which is 5 hours later in UTC."""
    await set_up_new_patient(patient)
    before = await dose_reminders(running, patient)
    assert [r.due_at for r in before] == [datetime(2026, 1, 3, 9, 0, tzinfo=UTC)]

    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_ZONE)
    now_shown = await patient.wait_for_message("Your time zone now")
    assert now_shown.text == "Your time zone now: Europe/London (12:00 on Fri 2 Jan)."
    assert now_shown.buttons == []
    await patient.wait_for_message(texts.ASK_TIME_ZONE)
    keyboard = patient.chat.reply_keyboard
    assert keyboard is not None and keyboard["keyboard"][0][0]["request_location"] is True
    await patient.send("New York")
    found = await patient.wait_for_message("America/New_York")
    assert found.text == "America/New_York: your time now is 07:00 on Fri 2 Jan."
    assert patient.chat.reply_keyboard is None
    await patient.wait_for_message(texts.IS_THAT_RIGHT)
    await patient.press(texts.BUTTON_YES)
    saved = await patient.wait_for_message("Saved.")
    assert saved.text == (
        "Saved.\n\nYour next dose: dose 1 on Sat 3 Jan at 09:00 (tomorrow).\n"
        "Site: left thigh.\n\nSend /settings to change something else."
    )

    after = await dose_reminders(running, patient)
    assert [r.due_at for r in after] == [before[0].due_at + timedelta(hours=5)]
    stored = await patient_row(running, patient)
    assert stored is not None and stored.settings.time_zone == "America/New_York"
    assert [m for m in patient.bot_messages if m.keyboard] == []
    async with running.services.database.sessions() as session:
        assert await ConversationStateRepository(session).get(patient.user_id) is None


async def test_a_shared_location_sets_the_zone_and_keep_changes_nothing(
    patient: Patient, running: RunningBot
) -> None:
    """ "Keep my time zone" leaves it; a shared location in New York finds America/New_York."""
    await set_up_new_patient(patient)
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_ZONE)
    await patient.wait_for_message(texts.ASK_TIME_ZONE)
    await patient.choose(texts.BUTTON_SETTINGS_KEEP_ZONE)
    kept = await patient.wait_for_message()
    assert kept.text == "Nothing changed: your time zone stays Europe/London."
    assert patient.chat.reply_keyboard is None

    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_ZONE)
    await patient.wait_for_message(texts.ASK_TIME_ZONE)
    await patient.send_location(40.7128, -74.0060)
    found = await patient.wait_for_message(texts.LOCATION_USED)
    assert "America/New_York" in (found.text or "")
    await patient.wait_for_message(texts.IS_THAT_RIGHT)
    await patient.press(texts.BUTTON_YES)
    await patient.wait_for_message("Saved.")
    assert [r.due_at for r in await dose_reminders(running, patient)] == [
        datetime(2026, 1, 3, 14, 0, tzinfo=UTC)
    ]


async def test_every_4_weeks_moves_the_next_dose_of_a_patient_past_dose_4(
    patient: Patient, running: RunningBot
) -> None:
    """Dose 6 on 15 Dec: monthly -> dose 7 on 15 Jan; every 4 weeks -> 12 Jan (28 days)."""
    await agree(patient)
    await patient.press(texts.BUTTON_ALREADY_ON)
    await patient.send("15 Dec")
    await patient.wait_for_message(texts.ASK_LAST_DOSE_NUMBER)
    await patient.press("4th or later")
    await patient.send("6")
    await patient.wait_for_message(texts.ASK_REMINDER_TIME)
    await patient.send("9")
    await patient.wait_for_message(texts.ASK_TIME_ZONE)
    await patient.send("London")
    await patient.wait_for_message(texts.IS_THAT_RIGHT)
    await patient.press(texts.BUTTON_YES)
    await patient.wait_for_message(texts.ASK_WHO_INJECTS)
    await patient.press(texts.BUTTON_I_DO)
    await patient.wait_for_message("Your last dose")
    await patient.press(texts.BUTTON_CONFIRM)
    await patient.wait_for_message(texts.ALL_SET)
    assert [(r.dose_number, r.due_at) for r in await dose_reminders(running, patient)] == [
        (7, datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    ]

    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_MODE)
    question = await patient.wait_for_message(texts.SETTINGS_MODE_EXPLAINED)
    assert "your MS team" in (question.text or "")
    assert question.buttons[:2] == ["✓ Monthly", "Every 4 weeks"]
    await patient.press(texts.BUTTON_SETTINGS_EVERY_4_WEEKS)
    answered = await patient.wait_for_message()
    assert answered.text == f"{texts.SETTINGS_MODE_TITLE}\n\n✓ Every 4 weeks"
    saved = await patient.wait_for_message("Saved.")
    assert "dose 7 on Mon 12 Jan at 09:00 (in 10 days)" in (saved.text or "")
    assert [(r.dose_number, r.due_at) for r in await dose_reminders(running, patient)] == [
        (7, datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    ]
    stored = await patient_row(running, patient)
    assert stored is not None and stored.mode is MaintenanceMode.EVERY_4_WEEKS


async def test_a_new_reminder_time_moves_pending_reminders(
    patient: Patient, running: RunningBot
) -> None:
    """A typed 7.30am moves the dose reminder, the prep and the heads-up; a miss changes nothing."""
    await set_up_new_patient(patient)
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_TIME)
    menu = await patient.wait_for_message("Your reminders come at 09:00")
    assert "✓ 09:00" in menu.buttons
    await patient.send("quarter past whenever")
    await patient.wait_for_message(texts.TIME_NOT_UNDERSTOOD)
    await patient.send("7.30am")
    answered = await patient.wait_for_message(texts.SETTINGS_TIME_TITLE)
    assert answered.text == f"{texts.SETTINGS_TIME_TITLE}\n\n✓ 07:30" and not answered.buttons
    saved = await patient.wait_for_message("Saved.")
    assert "dose 1 on Sat 3 Jan at 07:30 (tomorrow)" in (saved.text or "")
    stored = await patient_row(running, patient)
    assert stored is not None
    by_kind = {r.kind: r.due_at for r in await pending_reminders(running, stored.id)}
    assert by_kind[ReminderKind.DOSE] == datetime(2026, 1, 3, 7, 30, tzinfo=UTC)
    assert by_kind[ReminderKind.PREP] == datetime(2026, 1, 3, 7, 0, tzinfo=UTC)
    assert by_kind[ReminderKind.HEADS_UP] == datetime(2026, 1, 2, 7, 30, tzinfo=UTC)


async def test_quiet_hours_and_heads_up_and_prep_toggles(
    patient: Patient, running: RunningBot
) -> None:
    """Heads-up and prep off: no such reminders pending; quiet hours from the presets."""
    await set_up_new_patient(patient)
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_HEADS_UP_OFF)
    answered = await patient.wait_for_message(texts.SETTINGS_HEADS_UP_TITLE)
    assert answered.text == f"{texts.SETTINGS_HEADS_UP_TITLE}\n\n✓ Off"
    await patient.wait_for_message("Saved.")
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_PREP_OFF)
    await patient.wait_for_message("Saved.")
    stored = await patient_row(running, patient)
    assert stored is not None
    kinds = {r.kind for r in await pending_reminders(running, stored.id)}
    assert ReminderKind.HEADS_UP not in kinds and ReminderKind.PREP not in kinds
    assert ReminderKind.DOSE in kinds

    await open_settings(patient)
    assert texts.BUTTON_SETTINGS_HEADS_UP_ON in patient.buttons
    await patient.press(texts.BUTTON_SETTINGS_QUIET)
    await patient.wait_for_message("Quiet hours: now 22:00–08:00")
    await patient.press("23:00–07:00")
    await patient.wait_for_message("Saved.")
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_QUIET)
    await patient.wait_for_message("Quiet hours: now 23:00–07:00")
    await patient.press(texts.BUTTON_SETTINGS_NO_QUIET_HOURS)
    await patient.wait_for_message("Saved.")
    stored = await patient_row(running, patient)
    assert stored is not None
    assert stored.settings.quiet_hours.start == stored.settings.quiet_hours.end
    assert stored.settings.heads_up is False and stored.settings.prep is False
    assert stored.settings.quiet_hours != QuietHours() and stored.settings.reminder_time == time(9)


async def test_excluded_zones_change_the_suggested_site_and_never_all_go(
    patient: Patient, running: RunningBot
) -> None:
    """Leaving out zones moves the suggestion; leaving out the last one is refused."""
    await set_up_new_patient(patient)
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_SITES)
    panel = await patient.wait_for_message(texts.SETTINGS_ASK_SITES)
    assert panel.buttons == [
        "✓ left thigh",
        "✓ right thigh",
        "✓ left lower abdomen",
        "✓ right lower abdomen",
        texts.BUTTON_SETTINGS_DONE,
    ]
    await patient.press("✓ left thigh")
    panel = await patient.wait_for_message("Site: right thigh.")
    assert "✗ left thigh (left out)" in panel.buttons
    for zone, next_site in (("right thigh", "left lower"), ("left lower abdomen", "right lower")):
        await patient.press(f"✓ {zone}")
        panel = await patient.wait_for_message(f"Site: {next_site} abdomen.")
        assert f"✗ {zone} (left out)" in panel.buttons
    refused = await patient.press("✓ right lower abdomen")
    assert (await patient.wait_for_answer(refused)).text == texts.SETTINGS_SITES_KEEP_ONE
    await settle(patient)
    stored = await patient_row(running, patient)
    assert stored is not None
    assert stored.excluded_sites == {
        InjectionSite.LEFT_THIGH,
        InjectionSite.RIGHT_THIGH,
        InjectionSite.LEFT_ABDOMEN,
    }
    await patient.press(texts.BUTTON_SETTINGS_DONE, message_id=panel.message_id)
    done = await patient.wait_for_message(texts.SETTINGS_SITES_TITLE)
    assert done.text == f"{texts.SETTINGS_SITES_TITLE}\n\n✓ 1 of 4" and not done.buttons

    # A caregiver brings the arms; going back to "I do" with only arms on is refused.
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_WHO)
    await patient.wait_for_message(texts.ASK_WHO_INJECTS)
    await patient.press(texts.BUTTON_CAREGIVER)
    await patient.wait_for_message("Saved.")
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_SITES)
    await patient.wait_for_message(texts.SETTINGS_ASK_SITES)
    await patient.press("✓ right lower abdomen")
    await patient.wait_for_message("Site: left outer upper arm.")
    await patient.press(texts.BUTTON_SETTINGS_DONE)
    await patient.wait_for_message("✓ 2 of 6")
    await open_settings(patient)
    await patient.press(texts.BUTTON_SETTINGS_WHO)
    await patient.wait_for_message(texts.ASK_WHO_INJECTS)
    refused = await patient.press(texts.BUTTON_I_DO)
    assert (await patient.wait_for_answer(refused)).text == texts.SETTINGS_SITES_KEEP_ONE_FOR_ME
    stored = await patient_row(running, patient)
    assert stored is not None and stored.caregiver_injects is True


async def test_stale_forged_and_foreign_buttons_change_nothing(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """An old menu, made-up data and another user's press: "no longer valid", nothing changes."""
    await set_up_new_patient(patient)
    await open_settings(patient)
    old_menu = patient.chat.last_keyboard_message
    assert old_menu is not None
    await open_settings(patient)
    shown = patient.chat.message(old_menu.message_id)
    assert shown is not None and not shown.keyboard
    before = await patient_row(running, patient)

    for data in ("set:headsup", "set:time:0800", "set:open:sites"):
        query = press_anyway(patient, old_menu.message_id, data)
        assert (await patient.wait_for_answer(query)).text == texts.BUTTON_NO_LONGER_VALID
    live = patient.chat.last_keyboard_message
    assert live is not None
    for data in ("set:time:0800", "set:site:left_thigh", "set:zone:0", "set:", "set:open:x:y"):
        query = press_anyway(patient, live.message_id, data)
        assert (await patient.wait_for_answer(query)).text == texts.BUTTON_NO_LONGER_VALID

    other = patient.fake.patient(first_name="Bea")
    query_id = "foreign-1"
    patient.fake.open_callback_queries.add(query_id)
    message = patient.chat.message(live.message_id)
    assert message is not None
    patient.fake.enqueue_update(
        "callback_query",
        {
            "id": query_id,
            "from": other.user.to_api(),
            "message": message.to_api(patient.chat),
            "chat_instance": "1",
            "data": "set:headsup",
        },
    )
    assert (await patient.wait_for_answer(query_id)).text == texts.BUTTON_NO_LONGER_VALID
    assert await patient_row(running, patient) == before


async def test_someone_not_set_up_is_pointed_to_start(
    patient: Patient, running: RunningBot
) -> None:
    """No patient row: /start; still onboarding: finish first. Nothing is stored or changed."""
    await patient.send("/settings")
    assert (await patient.wait_for_message()).text == texts.NOT_SET_UP
    assert await patient_row(running, patient) is None
    await agree(patient)
    await patient.send("/settings")
    assert (await patient.wait_for_message()).text == texts.FINISH_SET_UP_FIRST
    stored = await patient_row(running, patient)
    assert stored is not None and stored.status is PatientStatus.ONBOARDING
    async with running.services.database.sessions() as session:
        state = await ConversationStateRepository(session).get(patient.user_id)
    assert state is not None and state.step.startswith("onboarding:")


# --- fuzz through the real bot ------------------------------------------------------------------

TRICKY_TEXTS = [
    "",
    " ",
    "9",
    "25:99",
    "yes",
    "no",
    "none of these",
    "Keep my time zone",
    "USA",
    "London",
    "Europe",
    "Mars/Base",
    "/",
    "\u0000",
    "💉" * 50,
    "x" * 4000,
    "set:time:0800",
]
TRICKY_DATA = [
    "set:",
    "set:open",
    "set:open:zone:extra",
    "set:zone:9",
    "set:zone:-1",
    "set:zone:yes",
    "set:site:left_upper_arm",
    "set:site:" + "x" * 50,
    "set:quiet:99999999",
    "set:mode:weekly",
    "set:time:2400",
    "set:back",
    "set:done",
    "set:close",
    "set:headsup:1",
]


def random_text(rng: random.Random) -> str:
    alphabet = "abcXYZ019:./- \n\t éü€💉/_"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


class ErrorRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_QUERY_IDS = itertools.count()


def forge(patient: Patient, message_id: int, data: str) -> str:
    """A callback query with any data on any message of the chat, with a fresh id."""
    message = patient.chat.message(message_id)
    assert message is not None
    query_id = f"fuzz-{next(_QUERY_IDS)}"
    patient.fake.open_callback_queries.add(query_id)
    patient.fake.enqueue_update(
        "callback_query",
        {
            "id": query_id,
            "from": patient.user.to_api(),
            "message": message.to_api(patient.chat),
            "chat_instance": "1",
            "data": data,
        },
    )
    return query_id


async def put_at_step(patient: Patient, step: Step) -> None:
    """Open /settings and walk to `step` through the real buttons."""
    await open_settings(patient)
    openers = {
        Step.TIME: texts.BUTTON_SETTINGS_TIME,
        Step.MODE: texts.BUTTON_SETTINGS_MODE,
        Step.QUIET: texts.BUTTON_SETTINGS_QUIET,
        Step.WHO: texts.BUTTON_SETTINGS_WHO,
        Step.SITES: texts.BUTTON_SETTINGS_SITES,
    }
    if step in openers:
        await patient.press(openers[step])
        await patient.wait_for_message()
    elif step in (Step.ZONE, Step.CHOOSE_ZONE, Step.CONFIRM_ZONE):
        await patient.press(texts.BUTTON_SETTINGS_ZONE)
        await patient.wait_for_message(texts.ASK_TIME_ZONE)
        if step is not Step.ZONE:
            await patient.send("USA" if step is Step.CHOOSE_ZONE else "London")
            await patient.wait_for_message(
                texts.CHOOSE_TIME_ZONE if step is Step.CHOOSE_ZONE else texts.IS_THAT_RIGHT
            )


async def test_random_input_at_every_settings_step_never_breaks_a_handler(
    patient: Patient, running: RunningBot
) -> None:
    """Random and tricky texts, locations and button data at each step: every button answered,
    no handler error, and the stored step is always a valid one (or none)."""
    await set_up_new_patient(patient)
    errors = ErrorRecorder()
    logging.getLogger().addHandler(errors)
    rng = random.Random(5)
    try:
        for step in Step:
            await put_at_step(patient, step)
            live = patient.chat.last_keyboard_message
            queries = []
            for index in range(12):
                text = TRICKY_TEXTS[index % len(TRICKY_TEXTS)] if index % 2 else random_text(rng)
                if text.strip() and not text.startswith("/"):
                    await patient.send(text)
                if index % 4 == 0:
                    await patient.send_location(rng.uniform(-95, 95), rng.uniform(-185, 185))
                data = rng.choice(TRICKY_DATA) if index % 3 else "set:" + random_text(rng)
                message_id = live.message_id if live is not None and index % 2 else 1
                queries.append(forge(patient, message_id, data[:64]))
            await settle(patient)
            for query in queries:
                await patient.wait_for_answer(query)
            async with running.services.database.sessions() as session:
                state = await ConversationStateRepository(session).get(patient.user_id)
            assert state is None or flow.load(state.step, state.data) is not None
            stored = await patient_row(running, patient)
            assert stored is not None
            assert set(stored.excluded_sites) != set(InjectionSite)
    finally:
        logging.getLogger().removeHandler(errors)
    assert [r.getMessage() for r in errors.records] == []
