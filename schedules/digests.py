"""The digests: the daily and weekly issue digests, the weekly board review and the monthly
post-implementation review, each owed to its channel once with the facts of its period (the
chat face words them: bot/views/digests.py)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from schedules.cadence import Job, ScheduleSettings, channel_for_job, zone_of
from schedules.posts import JSON, ScheduledNotice, counted, frozen
from store.records import outbox
from store.records.care import rescores_due
from store.records.enums import Band, Phase
from store.records.outbox import Method
from store.records.training import training_rollup
from store.records.waves import compare_services
from store.reports.digest_facts import IssueFacts, issue_facts, register_facts
from store.reports.outcomes import monthly_outcomes

LIST_LIMIT = 10
OLDEST = 5


class NotRun(Exception):
    """The job cannot run for this period yet (no channel set); nothing is recorded, so the
    next run tries again."""


@dataclass(frozen=True)
class Owed:
    """A post a job owes: its notice kind and the facts it carries."""

    notice: ScheduledNotice
    facts: JSON
    summary: str


@dataclass(frozen=True)
class Window:
    """The period a job run covers: from the previous occurrence to this one."""

    job: Job
    period: str
    start: datetime
    end: datetime
    now: datetime
    phase: Phase
    today: date
    local_day: date


def digest_key(job: Job, period: str, channel: str) -> str:
    """The idempotency key every scheduled post carries: (job, period, recipient)."""
    return f"{job}:{period}:{channel}"


def _owe(
    session: Session, *, job: Job, period: str, channel: str, owed: Owed, now: datetime
) -> bool:
    return outbox.enqueue(
        session,
        key=digest_key(job, period, channel),
        method=Method.POST,
        notice=owed.notice,
        channel=channel,
        subject=f"{job}:{period}",
        payload=owed.facts,
        now=now,
    )


def _channel(session: Session, job: Job, settings: ScheduleSettings) -> str:
    channel = channel_for_job(session, job, settings)
    if not channel:
        raise NotRun(
            "no channel to post to; choose one with 'golive channel set' or golive's setup "
            f"in the chat, or set GOLIVE_{job.upper()}_CHANNEL"
        )
    return channel


def _issues(session: Session, window: Window, settings: ScheduleSettings) -> IssueFacts:
    return issue_facts(
        session,
        start=window.start,
        end=window.end,
        now=window.now,
        today=window.today,
        theme_days=settings.theme_window_days,
        theme_min=settings.theme_min_issues,
        shown=LIST_LIMIT,
        oldest=OLDEST,
    )


def issue_digest(session: Session, window: Window, settings: ScheduleSettings) -> Owed:
    """The daily issue digest during go-live; the same, over a week, in stabilisation."""
    facts = _issues(session, window, settings)
    return Owed(
        ScheduledNotice.ISSUE_DIGEST,
        {
            "job": str(window.job),
            "day": window.local_day.isoformat(),
            "facts": frozen(facts),
            "limit": LIST_LIMIT,
            "theme_min": settings.theme_min_issues,
            "theme_days": settings.theme_window_days,
            "services": frozen(_services(session, window, settings)),
        },
        f"{counted(facts.new_total, 'new issue')}, "
        f"{facts.urgent_open.total} urgent or safe-care open",
    )


def _services(session: Session, window: Window, settings: ScheduleSettings) -> list[Any]:
    """Each service side by side, so the board sees which home is struggling."""
    return compare_services(
        session, now=window.now, today=window.today, theme_days=settings.theme_window_days
    )


def register_review(session: Session, window: Window, settings: ScheduleSettings) -> Owed:
    """The weekly board review, or the monthly post-implementation review."""
    facts = register_facts(
        session, start=window.start, end=window.end, today=window.today, shown=LIST_LIMIT
    )
    monthly = window.job == Job.MONTHLY_REVIEW
    zone = zone_of(settings)
    measures = (
        monthly_outcomes(
            session,
            start=window.start.astimezone(zone).date(),
            end=window.local_day,
            zone=zone,
            theme_min=settings.theme_min_issues,
        )
        if monthly
        else None
    )
    return Owed(
        ScheduledNotice.MONTHLY_REVIEW if monthly else ScheduledNotice.BOARD_REVIEW,
        {
            "job": str(window.job),
            "day": window.local_day.isoformat(),
            "phase": str(window.phase),
            "provider": settings.provider_name,
            "now": window.now.isoformat(),
            "facts": frozen(facts),
            "issues": frozen(_issues(session, window, settings)),
            "outcomes": frozen(measures),
            "limit": LIST_LIMIT,
            "theme_min": settings.theme_min_issues,
            "theme_days": settings.theme_window_days,
            "rescores": frozen(rescores_due(session, today=window.today)),
            "services": frozen(_services(session, window, settings)),
            "training": frozen(training_rollup(session)),
        },
        f"{counted(facts.open_total, 'open risk')}, {facts.bands[Band.EXTREME]} extreme, "
        f"{facts.bands[Band.HIGH]} high",
    )


def owed_digest(session: Session, window: Window, settings: ScheduleSettings) -> Owed:
    """What the window's digest would say, with nothing owed (``golive demo``)."""
    if window.job in (Job.DAILY_DIGEST, Job.WEEKLY_DIGEST):
        return issue_digest(session, window, settings)
    return register_review(session, window, settings)


def run_digest(session: Session, window: Window, settings: ScheduleSettings) -> str:
    """Owe the window's digest to the job's channel; a one-line summary."""
    channel = _channel(session, window.job, settings)
    owed = owed_digest(session, window, settings)
    if not _owe(
        session, job=window.job, period=window.period, channel=channel, owed=owed, now=window.now
    ):
        return f"already sent to {channel}"
    return f"owed to {channel}: {owed.summary}"
