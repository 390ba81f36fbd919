"""The admin commands' messages, rendered from query results: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from scheduling.model import PatientStatus
from storage.admin_queries import (
    LateDose,
    OverduePatient,
    PatientDetails,
    Stats,
    reaction_kinds,
)
from storage.audit import AuditEntry


def _kind_label(kind: str) -> str:
    return texts.HISTORY_CHECK_IN_GROUPS.get(kind, kind)


def format_bytes(size: int | None) -> str:
    if size is None:
        return "unknown"
    amount = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def format_uptime(uptime: timedelta) -> str:
    minutes = max(int(uptime.total_seconds()) // 60, 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"


def _share(part: int, whole: int) -> str:
    if whole == 0:
        return texts.ADMIN_STATS_ON_TIME_NONE
    return f"{part} ({round(100 * part / whole)}%)"


def render_stats(stats: Stats, *, uptime: timedelta, version: str) -> str:
    """Every /stats figure on one phone screen."""
    reactions = ", ".join(
        f"{_kind_label(kind)}{'' if severity is None else ' ' + severity} {count}"
        for (kind, severity), count in sorted(
            stats.reactions.items(), key=lambda item: (item[0][0], item[0][1] or "")
        )
    )
    return texts.ADMIN_STATS.format(
        onboarding=stats.patients[PatientStatus.ONBOARDING],
        active=stats.patients[PatientStatus.ACTIVE],
        paused=stats.patients[PatientStatus.PAUSED],
        unreachable=stats.patients[PatientStatus.UNREACHABLE],
        doses=stats.doses,
        on_time=_share(stats.doses_on_time, stats.doses_with_plan),
        overdue=stats.overdue,
        answered=stats.check_ins_answered,
        asked=stats.check_ins_asked,
        reactions=reactions or texts.ADMIN_STATS_NO_REACTIONS,
        urgent=stats.urgent,
        pending=stats.reminders_pending,
        sent_today=stats.reminders_sent_today,
        failed=stats.reminders_failed,
        database=format_bytes(stats.database_bytes),
        uptime=format_uptime(uptime),
        version=version,
    )


def _lateness(late: LateDose) -> str:
    if late.days_late is None:
        return texts.ADMIN_PLAN_UNKNOWN
    if late.days_late == 0:
        return texts.ADMIN_ON_TIME
    if late.days_late > 0:
        return texts.ADMIN_DAYS_LATE.format(days=late.days_late)
    return texts.ADMIN_DAYS_EARLY.format(days=-late.days_late)


def render_patient(details: PatientDetails) -> str:
    """/patient: status, time zone, next dose, last doses, reactions and pending reminders."""
    patient = details.patient
    zone = ZoneInfo(patient.settings.time_zone)
    next_dose = (
        texts.ADMIN_NEXT_DOSE_NONE
        if details.next_dose is None
        else texts.ADMIN_NEXT_DOSE.format(
            number=details.next_dose.number, due_on=details.next_dose.due_on.isoformat()
        )
    )
    lines = [
        texts.ADMIN_PATIENT.format(
            patient_id=patient.id,
            telegram_id=patient.telegram_user_id,
            status=patient.status.value,
            time_zone=patient.settings.time_zone,
            next_dose=next_dose,
        ),
        "",
        texts.ADMIN_LAST_DOSES,
        *(
            texts.ADMIN_DOSE_LINE.format(
                number=late.dose.number,
                injected_on=late.dose.injected_on.isoformat(),
                lateness=_lateness(late),
            )
            for late in details.recent_doses
        ),
        texts.ADMIN_RECENT_REACTIONS,
        *(
            texts.ADMIN_REACTION_LINE.format(
                dose=check_in.dose_number if check_in.dose_number is not None else "?",
                kinds=", ".join(_kind_label(kind) for kind in reaction_kinds(check_in)),
            )
            for check_in in details.recent_reactions
        ),
        texts.ADMIN_PENDING_REMINDERS,
        *(
            texts.ADMIN_REMINDER_LINE.format(
                kind=reminder.kind.value.replace("_", " "),
                due_at=reminder.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            )
            for reminder in details.pending_reminders
        ),
    ]
    for heading in (
        texts.ADMIN_LAST_DOSES,
        texts.ADMIN_RECENT_REACTIONS,
        texts.ADMIN_PENDING_REMINDERS,
    ):
        index = lines.index(heading)
        if index + 1 == len(lines) or not lines[index + 1].startswith("•"):
            lines[index] = f"{heading} {texts.ADMIN_NONE_YET}"
    return "\n".join(lines)


def render_overdue(overdue: Sequence[OverduePatient], total: int, *, now: datetime) -> str:
    """/overdue: the most overdue first, then how many more are not listed."""
    if not overdue:
        return texts.ADMIN_OVERDUE_NONE
    lines = [texts.ADMIN_OVERDUE_TITLE]
    lines.extend(
        texts.ADMIN_OVERDUE_LINE.format(
            telegram_id=entry.telegram_user_id,
            dose=entry.dose_number,
            days=(now - entry.due_at).days,
        )
        for entry in overdue
    )
    if total > len(overdue):
        lines.append(texts.ADMIN_OVERDUE_MORE.format(count=total - len(overdue)))
    return "\n".join(lines)


def render_audit(entries: Sequence[AuditEntry]) -> str:
    """/audit: the latest entries, newest first."""
    if not entries:
        return texts.ADMIN_AUDIT_NONE
    lines = [texts.ADMIN_AUDIT_TITLE]
    lines.extend(
        texts.ADMIN_AUDIT_LINE.format(
            at=entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            admin=entry.admin_telegram_id,
            action=entry.action,
            target="" if entry.target is None else f" {entry.target}",
        )
        for entry in entries
    )
    return "\n".join(lines)
