"""Properties of the pure core that hold for every course, zone, time and outbox (Hypothesis).

Each test states one rule; the oracles in `strategies.py` restate the rules independently.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, example, given
from hypothesis import strategies as st

from scheduling.model import (
    Course,
    InjectedDose,
    InjectionSite,
    MaintenanceMode,
    PatientStatus,
    PlannedDose,
    PlannedReminder,
    QuietHours,
    Reminder,
    ReminderKind,
    ReminderSettings,
    ReminderStatus,
)
from scheduling.planner import (
    EXTEND_LEAD,
    FOLLOW_UP_LOOKAHEAD,
    ONCE_PER_DOSE,
    PLANNED_KINDS,
    PlanFacts,
    Reconciliation,
    desired_reminders,
    plan_window,
    reconcile,
)
from scheduling.regimen import days_late, next_dose, planned_date_of, upcoming_doses
from scheduling.sites import ROTATION_ORDER, allowed_sites, suggest_site
from scheduling.timeline import check_in_reminders, dose_reminders, dose_time
from scheduling.wallclock import local_date, local_instant
from tests.scheduling.strategies import (
    PROPERTY,
    SLOW_PROPERTY,
    courses,
    dates_near_dst,
    first_instant_outside_quiet,
    first_valid_instant,
    inject_next,
    instants,
    month_after,
    months_between,
    reminder_settings,
    wall_exists,
    wall_of,
    walls,
    zones,
)

LOADING_INTERVAL_DAYS = {1: 7, 2: 7, 3: 14}
NAGS = (ReminderKind.DOSE, ReminderKind.FOLLOW_UP)
CHECK_INS = (ReminderKind.CHECK_IN, ReminderKind.CHECK_IN_NUDGE)
DAILY_AND_WEEKLY_DAYS = [*range(1, 15), 21, 28, 35, 42, 49, 56]


def is_aware_utc(instant: datetime | None) -> bool:
    return instant is not None and instant.tzinfo is UTC


# --- regimen -------------------------------------------------------------------------------


@PROPERTY
@given(course=courses())
def test_planned_doses_strictly_increase_and_never_share_a_date(course: Course) -> None:
    """No two planned doses fall on the same date; dates strictly increase, numbers are
    consecutive from the next dose, and the first comes after the last injection."""
    plan = upcoming_doses(course, 15)
    assert plan[0] == next_dose(course)
    assert [dose.number for dose in plan] == list(range(plan[0].number, plan[0].number + 15))
    assert all(a.due_on < b.due_on for a, b in itertools.pairwise(plan))
    if course.injected:
        assert plan[0].due_on > course.injected[-1].injected_on


def _dose_history(course: Course, ahead: int) -> list[tuple[int, date, date | None]]:
    """(number, date it was or will be given, date it was planned) for every known dose:
    the injected ones, then the upcoming ones assumed on time."""
    history = [
        (dose.number, dose.injected_on, planned_date_of(course, dose.number))
        for dose in course.injected
    ]
    history += [(dose.number, dose.due_on, dose.due_on) for dose in upcoming_doses(course, ahead)]
    return history


@PROPERTY
@given(course=courses())
def test_every_interval_counts_from_the_previous_actual_dose(course: Course) -> None:
    """Dose N+1 is planned from the day dose N was actually given (or is planned, for future
    doses): +7, +7, +14 days while loading; then 28 days (every_4_weeks) or, monthly, in the
    next calendar month on the anchor's day of month (clamped to the month's length), where the
    anchor is dose 4, the first dose known, or the latest dose given off its planned date."""
    history = _dose_history(course, 8)
    anchor_day: int | None = None
    for (number, given_on, planned_on), (next_number, _, next_planned) in itertools.pairwise(
        history
    ):
        assert next_number == number + 1
        assert next_planned is not None
        if number in LOADING_INTERVAL_DAYS:
            assert next_planned == given_on + timedelta(days=LOADING_INTERVAL_DAYS[number])
            continue
        if course.mode is MaintenanceMode.EVERY_4_WEEKS:
            assert next_planned == given_on + timedelta(days=28)
            continue
        first_monthly = number == 4 or planned_on is None or anchor_day is None
        if first_monthly or given_on != planned_on:
            anchor_day = given_on.day  # a new anchor
        assert anchor_day is not None
        assert months_between(given_on, next_planned) == 1
        assert next_planned == month_after(given_on, anchor_day)


@PROPERTY
@given(course=courses())
def test_days_late_is_the_distance_from_the_planned_date(course: Course) -> None:
    """days_late is the injection date minus the planned date; unknown only for the first
    dose a mid-treatment patient reported."""
    for index, dose in enumerate(course.injected):
        planned_on = planned_date_of(course, dose.number)
        if planned_on is None:
            assert index == 0 and (dose.number > 1 or course.first_dose_date is None)
            assert days_late(planned_on, dose.injected_on) is None
        else:
            assert days_late(planned_on, dose.injected_on) == (dose.injected_on - planned_on).days


@PROPERTY
@given(course=courses(), offset=st.integers(-6, 30))
def test_due_date_stays_put_until_the_dose_is_injected(course: Course, offset: int) -> None:
    """Whenever a dose is injected, its planned date is the due date it had until then, and
    injecting on that date leaves the rest of the plan as it was."""
    due = next_dose(course)
    injected = inject_next(course, due.due_on + timedelta(days=offset))
    assert planned_date_of(injected, due.number) == due.due_on
    on_time = inject_next(course, due.due_on)
    assert upcoming_doses(on_time, 6) == upcoming_doses(course, 7)[1:]


@PROPERTY
@given(course=courses(), shift=st.integers(1, 6))
def test_late_dose_never_pulls_a_later_dose_earlier_and_early_never_pushes_one_later(
    course: Course, shift: int
) -> None:
    """Compared with injecting the next dose on its due date (later doses then on time), a
    late injection never makes any later dose due earlier, and an early one never makes any
    later. While loading and every 4 weeks the next dose moves by exactly the same days."""
    due = next_dose(course)
    on_time = upcoming_doses(inject_next(course, due.due_on), 8)
    late = upcoming_doses(inject_next(course, due.due_on + timedelta(days=shift)), 8)
    early = upcoming_doses(inject_next(course, due.due_on - timedelta(days=shift)), 8)
    for planned, late_dose, early_dose in zip(on_time, late, early, strict=True):
        assert planned.number == late_dose.number == early_dose.number
        assert early_dose.due_on <= planned.due_on <= late_dose.due_on
    if due.number in LOADING_INTERVAL_DAYS or course.mode is MaintenanceMode.EVERY_4_WEEKS:
        assert late[0].due_on - on_time[0].due_on == timedelta(days=shift)
        assert on_time[0].due_on - early[0].due_on == timedelta(days=shift)


@PROPERTY
@given(course=courses())
def test_planned_date_of_a_future_dose_is_its_upcoming_due_date(course: Course) -> None:
    """For doses not injected yet, planned_date_of agrees with the upcoming plan."""
    for dose in upcoming_doses(course, 6):
        assert planned_date_of(course, dose.number) == dose.due_on


# --- wall clock ----------------------------------------------------------------------------


@PROPERTY
@given(zone=zones, day=dates_near_dst, wall=walls)
def test_local_instant_maps_back_to_the_wall_time_or_the_first_valid_minute(
    zone: str, day: date, wall: time
) -> None:
    """The instant is aware UTC and the clock in the zone shows the chosen time on that date
    then, or the first valid minute after it when the time does not exist (the gap); an
    ambiguous time is its first occurrence."""
    tz = ZoneInfo(zone)
    instant = local_instant(day, wall, tz)
    assert is_aware_utc(instant)
    assert instant == first_valid_instant(day, wall, tz)
    assert local_date(instant, tz) == day
    if wall_exists(day, wall, tz):
        shown = instant.astimezone(tz)
        assert (shown.time(), shown.fold) == (wall, 0)
        earlier = (instant - timedelta(hours=1)).astimezone(tz)
        assert earlier.replace(tzinfo=None) != shown.replace(tzinfo=None)  # not a 2nd time


# --- timeline: before and at the dose ------------------------------------------------------


def _split_follow_ups(
    reminders: list[PlannedReminder],
) -> tuple[PlannedReminder | None, list[PlannedReminder]]:
    follow_ups = [r for r in reminders if r.kind is ReminderKind.FOLLOW_UP]
    if len(follow_ups) == len(DAILY_AND_WEEKLY_DAYS) + 1:
        return follow_ups[0], follow_ups[1:]
    return None, follow_ups


@PROPERTY
@given(prefs=reminder_settings, due_on=dates_near_dst, number=st.integers(1, 30))
def test_dose_reminders_are_aware_utc_at_the_chosen_local_time(
    prefs: ReminderSettings, due_on: date, number: int
) -> None:
    """Every instant is aware UTC. The dose reminder, the heads-up (the day before) and the
    daily-then-weekly follow-ups are at the chosen local time, or the first valid minute after
    it; prep is 30 min before the dose; each nag goes stale when the next is due."""
    tz = ZoneInfo(prefs.time_zone)
    wall = prefs.reminder_time
    reminders = dose_reminders(PlannedDose(number, due_on), prefs)
    assert all(is_aware_utc(r.due_at) for r in reminders)
    assert all(r.expires_at is None or is_aware_utc(r.expires_at) for r in reminders)
    assert all(r.dose_number == number for r in reminders)
    assert [r.due_at for r in reminders] == sorted(r.due_at for r in reminders)
    assert len({r.key for r in reminders}) == len(reminders)

    (dose,) = [r for r in reminders if r.kind is ReminderKind.DOSE]
    assert dose.due_at == first_valid_instant(due_on, wall, tz)
    heads_ups = [r for r in reminders if r.kind is ReminderKind.HEADS_UP]
    preps = [r for r in reminders if r.kind is ReminderKind.PREP]
    assert len(heads_ups) == int(prefs.heads_up)
    assert len(preps) == int(prefs.prep)
    for heads_up in heads_ups:
        assert heads_up.due_at == first_valid_instant(due_on - timedelta(days=1), wall, tz)
        assert heads_up.expires_at == dose.due_at
    for prep in preps:
        assert prep.due_at == dose.due_at - timedelta(minutes=30)
        assert prep.expires_at == dose.due_at

    _, daily = _split_follow_ups(reminders)
    assert [r.due_at for r in daily] == [
        first_valid_instant(due_on + timedelta(days=day), wall, tz) for day in DAILY_AND_WEEKLY_DAYS
    ]
    nags = [r for r in reminders if r.kind in NAGS]
    assert nags[0] is dose
    for current, following in itertools.pairwise(nags):
        assert current.expires_at == following.due_at


@PROPERTY
@given(prefs=reminder_settings, due_on=dates_near_dst)
def test_first_follow_up_is_outside_quiet_hours_and_clear_of_the_next_daily_one(
    prefs: ReminderSettings, due_on: date
) -> None:
    """The +2 h follow-up, when planned, is after the dose reminder, outside quiet hours and
    more than 1 h before the first daily follow-up."""
    tz = ZoneInfo(prefs.time_zone)
    reminders = dose_reminders(PlannedDose(5, due_on), prefs)
    first, daily = _split_follow_ups(reminders)
    if first is None:
        return
    (dose,) = [r for r in reminders if r.kind is ReminderKind.DOSE]
    assert first.due_at > dose.due_at
    assert wall_of(first.due_at, tz) not in prefs.quiet_hours
    assert first.due_at < daily[0].due_at - timedelta(hours=1)


def _oracle_first_follow_up(
    dose_at: datetime, first_daily: datetime, prefs: ReminderSettings
) -> datetime | None:
    candidate = first_instant_outside_quiet(dose_at + timedelta(hours=2), prefs)
    return candidate if candidate < first_daily - timedelta(hours=1) else None


@PROPERTY
@given(prefs=reminder_settings, due_on=dates_near_dst)
@example(
    prefs=ReminderSettings(
        time_zone="Europe/London",
        reminder_time=time(0, 15),
        quiet_hours=QuietHours(time(0, 0), time(1, 30)),
    ),
    due_on=date(2026, 10, 25),
)
def test_first_follow_up_is_the_first_quiet_free_minute_two_hours_after_the_dose(
    prefs: ReminderSettings, due_on: date
) -> None:
    """The first follow-up is the first minute outside quiet hours from 2 h after the dose
    reminder on, and is dropped exactly when that is within 1 h of the next daily one."""
    reminders = dose_reminders(PlannedDose(5, due_on), prefs)
    first, daily = _split_follow_ups(reminders)
    (dose,) = [r for r in reminders if r.kind is ReminderKind.DOSE]
    expected = _oracle_first_follow_up(dose.due_at, daily[0].due_at, prefs)
    assert (first.due_at if first else None) == expected


@PROPERTY
@given(
    prefs=reminder_settings,
    due_on=dates_near_dst,
    snooze_minutes=st.integers(0, 60 * 24 * 60),
)
def test_snooze_replaces_every_nag_before_it_with_one_at_the_snooze_instant(
    prefs: ReminderSettings, due_on: date, snooze_minutes: int
) -> None:
    """Snoozed (at or after the dose time): no nag is due before the snooze instant, one
    follow-up is due at it, and the nags after it are the unsnoozed plan's."""
    dose = PlannedDose(5, due_on)
    plain = [r for r in dose_reminders(dose, prefs) if r.kind in NAGS]
    snoozed_until = plain[0].due_at + timedelta(minutes=snooze_minutes)
    nags = [r for r in dose_reminders(dose, prefs, snoozed_until=snoozed_until) if r.kind in NAGS]
    assert (nags[0].kind, nags[0].due_at) == (ReminderKind.FOLLOW_UP, snoozed_until)
    assert [r.due_at for r in nags[1:]] == [r.due_at for r in plain if r.due_at > snoozed_until]
    for current, following in itertools.pairwise(nags):
        assert current.expires_at == following.due_at


@PROPERTY
@given(
    course=courses(),
    prefs=reminder_settings,
    hours_from_dose=st.integers(-24 * 40, 24 * 70),
    snooze_minutes=st.one_of(st.none(), st.integers(0, 60 * 24 * 3)),
)
def test_extending_the_window_when_asked_stores_each_reminder_a_day_before_it_is_due(
    course: Course, prefs: ReminderSettings, hours_from_dose: int, snooze_minutes: int | None
) -> None:
    """Planned at any time and replanned at each `extend_at` (never in between), the windows
    together hold the whole plan: each one holds every reminder due before the next
    extension plus `EXTEND_LEAD`, and each extension comes after the one before."""
    dose_at = dose_time(next_dose(course), prefs)
    snoozed_until = None if snooze_minutes is None else dose_at + timedelta(minutes=snooze_minutes)
    facts = PlanFacts(PatientStatus.ACTIVE, course, prefs, snoozed_until=snoozed_until)
    whole = desired_reminders(facts)
    now = dose_at + timedelta(hours=hours_from_dose)
    for _ in range(200):
        window = plan_window(facts, now=now)
        assert [r for r in whole if r in window.reminders] == window.reminders
        if window.extend_at is None:
            assert window.reminders == whole
            break
        assert window.extend_at > now
        due_soon = [r for r in whole if r.due_at < window.extend_at + EXTEND_LEAD]
        assert all(r in window.reminders for r in due_soon)
        now = window.extend_at
    else:
        raise AssertionError("the plan was still being extended after 200 windows")


@PROPERTY
@given(
    course=courses(),
    prefs=reminder_settings,
    hours_from_dose=st.integers(-24 * 40, 24 * 70),
    snooze_minutes=st.one_of(st.none(), st.integers(0, 60 * 24 * 3)),
    check_in_open=st.booleans(),
)
def test_the_window_is_the_whole_plan_cut_at_its_horizon(
    course: Course,
    prefs: ReminderSettings,
    hours_from_dose: int,
    snooze_minutes: int | None,
    check_in_open: bool,
) -> None:
    """`plan_window` plans only as far as it stores, yet stores exactly what cutting the whole
    chain at the horizon would: the same rows, the same expiries, the same `extend_at`."""
    dose = next_dose(course)
    dose_at = dose_time(dose, prefs)
    snoozed_until = None if snooze_minutes is None else dose_at + timedelta(minutes=snooze_minutes)
    facts = PlanFacts(
        PatientStatus.ACTIVE,
        course,
        prefs,
        snoozed_until=snoozed_until,
        check_in_open=check_in_open,
    )
    now = dose_at + timedelta(hours=hours_from_dose)
    horizon = max(now, dose_at) + FOLLOW_UP_LOOKAHEAD
    whole = desired_reminders(facts)

    def left_out(r: PlannedReminder) -> bool:
        return (
            r.kind is ReminderKind.FOLLOW_UP and r.dose_number == dose.number and r.due_at > horizon
        )

    later = [r.due_at for r in whole if left_out(r)]
    window = plan_window(facts, now=now)
    assert window.reminders == [r for r in whole if not left_out(r)]
    assert window.extend_at == (min(later) - EXTEND_LEAD if later else None)


# --- timeline: after the injection ---------------------------------------------------------


@PROPERTY
@given(prefs=reminder_settings, injected_at=instants, number=st.integers(1, 30))
def test_check_ins_lie_inside_the_24_hour_window_and_outside_quiet_hours(
    prefs: ReminderSettings, injected_at: datetime, number: int
) -> None:
    """The check-in and its nudge lie strictly inside (injection, injection + 24 h), outside
    quiet hours, the nudge after the check-in, and both go stale at injection + 24 h (check-in
    delays of 1 h or more)."""
    tz = ZoneInfo(prefs.time_zone)
    dose = InjectedDose(number, local_date(injected_at, tz), injected_at)
    reminders = check_in_reminders(dose, prefs)
    assert [r.kind for r in reminders] == [*CHECK_INS][: len(reminders)]
    window_end = injected_at + timedelta(hours=24)
    for reminder in reminders:
        assert is_aware_utc(reminder.due_at)
        assert reminder.dose_number == number
        assert injected_at < reminder.due_at < window_end
        assert wall_of(reminder.due_at, tz) not in prefs.quiet_hours
        assert reminder.expires_at == window_end
    if len(reminders) == 2:
        assert reminders[0].due_at < reminders[1].due_at


def _oracle_check_ins(
    injected_at: datetime, number: int, prefs: ReminderSettings
) -> list[tuple[ReminderKind, datetime]]:
    """Check-in: the first quiet-free minute from the delay on (3 h at most after dose 1);
    nudge: the first quiet-free minute from 3 h after the check-in; each only inside 24 h."""
    delay = min(prefs.check_in_delay, timedelta(hours=3)) if number == 1 else prefs.check_in_delay
    window_end = injected_at + timedelta(hours=24)
    asked = first_instant_outside_quiet(injected_at + delay, prefs)
    if asked >= window_end:
        return []
    nudge = first_instant_outside_quiet(asked + timedelta(hours=3), prefs)
    planned = [(ReminderKind.CHECK_IN, asked)]
    if nudge < window_end:
        planned.append((ReminderKind.CHECK_IN_NUDGE, nudge))
    return planned


@SLOW_PROPERTY
@given(prefs=reminder_settings, injected_at=instants, number=st.integers(1, 30))
@example(
    prefs=ReminderSettings(
        time_zone="Europe/London",
        quiet_hours=QuietHours(time(0, 0), time(1, 30)),
        check_in_delay=timedelta(hours=1),
    ),
    injected_at=datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
    number=5,
)
def test_check_in_and_nudge_are_the_first_quiet_free_minutes_after_their_delays(
    prefs: ReminderSettings, injected_at: datetime, number: int
) -> None:
    """The check-in is the first minute outside quiet hours from injection + delay on, the
    nudge the first from check-in + 3 h on; either is left out if not inside 24 h."""
    tz = ZoneInfo(prefs.time_zone)
    dose = InjectedDose(number, local_date(injected_at, tz), injected_at)
    actual = [(r.kind, r.due_at) for r in check_in_reminders(dose, prefs)]
    assert actual == _oracle_check_ins(injected_at, number, prefs)


# --- sites ---------------------------------------------------------------------------------

sites = st.sampled_from(list(InjectionSite))
site_histories = st.lists(st.one_of(sites, st.none()), max_size=15)


@PROPERTY
@given(
    history=site_histories,
    caregiver_injects=st.booleans(),
    excluded=st.frozensets(sites, max_size=6),
)
def test_site_suggestion_is_allowed_least_recently_used_and_not_the_last_site(
    history: list[InjectionSite | None],
    caregiver_injects: bool,
    excluded: frozenset[InjectionSite],
) -> None:
    """The suggestion is always allowed (arms only with a caregiver, never excluded), never the
    last site used unless it is the only allowed one, and the allowed zone used longest ago
    (never-used first, in rotation order); None only when no zone is allowed."""
    allowed = [
        site
        for site in ROTATION_ORDER
        if site not in excluded and (caregiver_injects or not site.is_arm)
    ]
    suggestion = suggest_site(history, caregiver_injects=caregiver_injects, excluded=excluded)
    if not allowed:
        assert suggestion is None
        return
    assert suggestion in allowed
    assert not (suggestion.is_arm and not caregiver_injects)
    assert suggestion not in excluded
    recorded = [site for site in history if site is not None]
    last = recorded[-1] if recorded else None
    if len(allowed) > 1:
        assert suggestion != last

    def last_used(site: InjectionSite) -> int:
        positions = [index for index, used in enumerate(recorded) if used == site]
        return positions[-1] if positions else -1

    candidates = [site for site in allowed if site != last] or allowed
    assert suggestion == min(candidates, key=lambda s: (last_used(s), ROTATION_ORDER.index(s)))


@PROPERTY
@given(
    history=site_histories,
    caregiver_injects=st.booleans(),
    excluded=st.frozensets(sites, max_size=5),
)
def test_following_suggestions_visits_every_allowed_zone_before_repeating(
    history: list[InjectionSite | None],
    caregiver_injects: bool,
    excluded: frozenset[InjectionSite],
) -> None:
    """From any history, as many followed suggestions as there are allowed zones use each
    allowed zone exactly once."""
    allowed = allowed_sites(caregiver_injects=caregiver_injects, excluded=excluded)
    assume(allowed)
    followed: list[InjectionSite] = []
    for _ in range(len(allowed)):
        site = suggest_site(
            [*history, *followed], caregiver_injects=caregiver_injects, excluded=excluded
        )
        assert site is not None
        followed.append(site)
    assert sorted(followed) == sorted(allowed)


# --- planner -------------------------------------------------------------------------------

_BASE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
_KEY_INSTANTS = [_BASE + timedelta(hours=hours) for hours in range(0, 12)]
_PLANNED_KINDS = sorted(PLANNED_KINDS)


def _planned(
    kind: ReminderKind, number: int, due_index: int, valid_hours: int | None
) -> PlannedReminder:
    due_at = _KEY_INSTANTS[due_index]
    expires_at = None if valid_hours is None else due_at + timedelta(hours=valid_hours)
    return PlannedReminder(kind, number, due_at, expires_at)


planned_reminders = st.builds(
    _planned,
    st.sampled_from(_PLANNED_KINDS),
    st.integers(1, 3),
    st.integers(0, len(_KEY_INSTANTS) - 1),
    st.one_of(st.none(), st.integers(1, 6)),
)
statuses = st.sampled_from(list(ReminderStatus))


@st.composite
def outboxes(draw: st.DrawFn) -> tuple[list[PlannedReminder], list[Reminder], datetime]:
    """A plan, an outbox that overlaps it (any statuses, some broadcasts) and a `now`."""
    desired = draw(st.lists(planned_reminders, max_size=12, unique_by=lambda r: r.key))
    rows: list[Reminder] = []
    seen: set[tuple[ReminderKind, int | None, datetime]] = set()
    overlapping = draw(st.lists(st.sampled_from(desired), max_size=len(desired))) if desired else []
    others = draw(st.lists(planned_reminders, max_size=8))
    for reminder in [*overlapping, *others]:
        if reminder.key in seen:
            continue
        seen.add(reminder.key)
        rows.append(
            Reminder(
                id=len(rows) + 1,
                patient_id=7,
                kind=reminder.kind,
                dose_number=reminder.dose_number,
                due_at=reminder.due_at,
                status=draw(statuses),
                expires_at=reminder.expires_at,
            )
        )
    for _ in range(draw(st.integers(0, 3))):
        rows.append(
            Reminder(
                id=len(rows) + 1,
                patient_id=7,
                kind=ReminderKind.BROADCAST,
                dose_number=None,
                due_at=draw(st.sampled_from(_KEY_INSTANTS)),
                status=draw(statuses),
                broadcast_id=1,
            )
        )
    now = draw(st.sampled_from(_KEY_INSTANTS)) + timedelta(minutes=draw(st.sampled_from([0, 30])))
    return desired, rows, now


def _apply(existing: list[Reminder], result: Reconciliation) -> list[Reminder]:
    """The outbox after a reconciliation: removed rows gone, added ones pending."""
    removed = set(result.to_remove)
    kept = [row for row in existing if row.id not in removed]
    next_id = max((row.id for row in existing), default=0) + 1
    added = [
        Reminder(
            next_id + offset,
            7,
            r.kind,
            r.dose_number,
            r.due_at,
            ReminderStatus.PENDING,
            r.expires_at,
        )
        for offset, r in enumerate(result.to_add)
    ]
    return kept + added


def _key(row: Reminder) -> tuple[ReminderKind, int | None, datetime]:
    return (row.kind, row.dose_number, row.due_at)


@PROPERTY
@given(case=outboxes())
def test_reconcile_is_idempotent(
    case: tuple[list[PlannedReminder], list[Reminder], datetime],
) -> None:
    """Applying a reconciliation to the outbox and reconciling again changes nothing."""
    desired, existing, now = case
    after = _apply(existing, reconcile(desired, existing, now=now))
    again = reconcile(desired, after, now=now)
    assert again.to_add == []
    assert again.to_remove == []


@PROPERTY
@given(case=outboxes())
def test_reconcile_never_repeats_never_drops_and_never_touches_what_is_not_its_own(
    case: tuple[list[PlannedReminder], list[Reminder], datetime],
) -> None:
    """Added: exactly the wanted reminders whose key is not in the outbox (any status), that
    are not stale at `now`, and whose kind, if a dose gets it once, has not gone out (claimed,
    sent or failed) for that dose. Removed: exactly the pending, planned rows that are not
    wanted; never a claimed or finished row, never a broadcast."""
    desired, existing, now = case
    result = reconcile(desired, existing, now=now)
    planned = [row for row in existing if row.kind is not ReminderKind.BROADCAST]
    known = {_key(row) for row in planned}
    gone_out = {ReminderStatus.CLAIMED, ReminderStatus.SENT, ReminderStatus.FAILED}
    once_done = {
        (row.kind, row.dose_number)
        for row in planned
        if row.kind in ONCE_PER_DOSE and row.status in gone_out
    }
    wanted_keys = {r.key for r in desired}
    assert result.to_add == [
        r
        for r in desired
        if r.key not in known
        and (r.kind, r.dose_number) not in once_done
        and (r.expires_at is None or r.expires_at > now)
    ]
    assert sorted(result.to_remove) == sorted(
        row.id
        for row in existing
        if row.status is ReminderStatus.PENDING
        and row.kind is not ReminderKind.BROADCAST
        and _key(row) not in wanted_keys
    )


@st.composite
def plan_facts(draw: st.DrawFn) -> PlanFacts:
    """A patient's facts: a course whose last dose may carry an injection instant."""
    prefs = draw(reminder_settings)
    course = draw(st.one_of(st.none(), courses(max_injected=6)))
    if course is not None and course.injected and draw(st.booleans()):
        last = course.injected[-1]
        wall = draw(walls)
        at = local_instant(last.injected_on, wall, ZoneInfo(prefs.time_zone))
        course = Course(
            course.mode,
            course.first_dose_date,
            (*course.injected[:-1], InjectedDose(last.number, last.injected_on, at)),
        )
    base = datetime.combine(date(2026, 6, 1), time(0), tzinfo=UTC)
    optional_instant = st.one_of(
        st.none(), st.integers(0, 60 * 24 * 400).map(lambda m: base + timedelta(minutes=m))
    )
    return PlanFacts(
        status=draw(st.sampled_from(list(PatientStatus))),
        course=course,
        settings=prefs,
        snoozed_until=draw(optional_instant),
        check_in_open=draw(st.booleans()),
        reaction_reported_at=draw(optional_instant),
    )


@SLOW_PROPERTY
@given(facts=plan_facts(), now=instants)
def test_whole_plan_is_well_formed_and_reconciles_to_a_fixed_point(
    facts: PlanFacts, now: datetime
) -> None:
    """A patient's plan is empty unless active with a course; otherwise aware UTC, in due order,
    one row per key, about the next dose or the last one injected; and reconciling it into an
    empty outbox, then again, adds and removes nothing the second time."""
    wanted = desired_reminders(facts)
    if facts.status is not PatientStatus.ACTIVE or facts.course is None:
        assert wanted == []
        return
    assert all(is_aware_utc(r.due_at) for r in wanted)
    assert [r.due_at for r in wanted] == sorted(r.due_at for r in wanted)
    assert len({r.key for r in wanted}) == len(wanted)
    upcoming = next_dose(facts.course).number
    last = facts.course.injected[-1].number if facts.course.injected else None
    for reminder in wanted:
        expected = (
            last if reminder.kind in (*CHECK_INS, ReminderKind.REACTION_FOLLOW_UP) else upcoming
        )
        assert reminder.dose_number == expected
    first = reconcile(wanted, [], now=now)
    after = _apply([], first)
    second = reconcile(wanted, after, now=now)
    assert (second.to_add, second.to_remove) == ([], [])
