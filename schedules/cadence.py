"""Which reviews run in which project phase, when, and to which channel.

The seed's governance clock: the register weekly during active implementation, issues daily
during go-live and weekly after stabilisation, a post-implementation review monthly. Every job
stays registered with the scheduler; a job whose phase is not current does nothing, so the
project lead changing the phase changes the cadence at once, with no restart.
"""

from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from schedules.recurrence import Every, Schedule, parse_time, parse_weekday
from store.records.channels import channel_for
from store.records.enums import ChannelPurpose, Phase


class ScheduleSettings(Protocol):
    """The settings schedules read (bot.settings.Settings has them all)."""

    timezone: str
    project_channel: str | None
    board_channel: str | None
    daily_digest_time: str
    weekly_digest_day: str
    weekly_digest_time: str
    board_review_day: str
    board_review_time: str
    monthly_review_day: int
    monthly_review_time: str
    reminder_time: str
    escalation_every_minutes: int
    daily_digest_channel: str | None
    weekly_digest_channel: str | None
    board_review_channel: str | None
    monthly_review_channel: str | None
    theme_min_issues: int
    theme_window_days: int
    escalation_hours_golive: int
    escalation_hours: int
    reminders_before_escalation: int
    control_delay_escalation_days: int
    handover_times: str
    commissioner_channel: str | None
    retention_days: int
    provider_name: str


class Job(StrEnum):
    DAILY_DIGEST = "daily_digest"
    WEEKLY_DIGEST = "weekly_digest"
    BOARD_REVIEW = "board_review"
    MONTHLY_REVIEW = "monthly_review"
    REMINDERS = "reminders"
    ESCALATION = "escalation"
    RETENTION = "retention"


ALL_PHASES = frozenset(Phase)
RETENTION_TIME = "02:30"  # overnight, when no one is mid-triage

PHASES: dict[Job, frozenset[Phase]] = {
    Job.DAILY_DIGEST: frozenset({Phase.GO_LIVE}),
    Job.WEEKLY_DIGEST: frozenset({Phase.STABILISATION}),
    Job.BOARD_REVIEW: frozenset({Phase.PRE_GO_LIVE, Phase.GO_LIVE, Phase.STABILISATION}),
    Job.MONTHLY_REVIEW: frozenset({Phase.POST_IMPLEMENTATION}),
    Job.REMINDERS: ALL_PHASES,
    Job.ESCALATION: ALL_PHASES,
    Job.RETENTION: ALL_PHASES,
}

DIGESTS = (Job.DAILY_DIGEST, Job.WEEKLY_DIGEST, Job.BOARD_REVIEW, Job.MONTHLY_REVIEW)


def zone_of(settings: ScheduleSettings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def runs_in(job: Job, phase: Phase) -> bool:
    return phase in PHASES[job]


def jobs_for(phase: Phase) -> list[Job]:
    return [job for job in Job if runs_in(job, phase)]


def phases_text(job: Job) -> str:
    if PHASES[job] == ALL_PHASES:
        return "every phase"
    return ", ".join(phase.label.lower() for phase in Phase if phase in PHASES[job])


def schedule_for(job: Job, settings: ScheduleSettings) -> Schedule:
    zone = zone_of(settings)
    if job == Job.DAILY_DIGEST:
        return Schedule(Every.DAY, zone, at=parse_time(settings.daily_digest_time))
    if job == Job.WEEKLY_DIGEST:
        return Schedule(
            Every.WEEK,
            zone,
            at=parse_time(settings.weekly_digest_time),
            weekday=parse_weekday(settings.weekly_digest_day),
        )
    if job == Job.BOARD_REVIEW:
        return Schedule(
            Every.WEEK,
            zone,
            at=parse_time(settings.board_review_time),
            weekday=parse_weekday(settings.board_review_day),
        )
    if job == Job.MONTHLY_REVIEW:
        return Schedule(
            Every.MONTH,
            zone,
            at=parse_time(settings.monthly_review_time),
            month_day=settings.monthly_review_day,
        )
    if job == Job.REMINDERS:
        return Schedule(Every.DAY, zone, at=parse_time(settings.reminder_time))
    if job == Job.RETENTION:
        return Schedule(Every.DAY, zone, at=parse_time(RETENTION_TIME))
    return Schedule(Every.MINUTES, zone, minutes=settings.escalation_every_minutes)


def channel_for_job(session: Session, job: Job, settings: ScheduleSettings) -> str | None:
    """A channel set for the job wins; then the route set in Slack; then the default setting."""
    project = (settings.project_channel, ChannelPurpose.PROJECT)
    board = (settings.board_channel, ChannelPurpose.BOARD)
    override, (fallback, purpose) = {
        Job.DAILY_DIGEST: (settings.daily_digest_channel, project),
        Job.WEEKLY_DIGEST: (settings.weekly_digest_channel, project),
        Job.BOARD_REVIEW: (settings.board_review_channel, board),
        Job.MONTHLY_REVIEW: (settings.monthly_review_channel, board),
        Job.ESCALATION: (None, board),
        Job.REMINDERS: (None, board),
    }[job]
    return override or channel_for(session, purpose) or fallback


def escalation_hours(settings: ScheduleSettings, phase: Phase) -> int:
    """How long an urgent, safe-care or high-rated item may stay unresolved before the board
    hears of it: shorter while go-live is live."""
    return settings.escalation_hours_golive if phase == Phase.GO_LIVE else settings.escalation_hours
