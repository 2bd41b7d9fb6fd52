"""The digests: the daily and weekly issue digests, the weekly board review and the monthly
post-implementation review, each rendered from its template and owed to its channel once."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from schedules import buttons
from schedules.cadence import Job, ScheduleSettings, channel_for_job, zone_of
from schedules.render import Mrkdwn, Rendered, render
from store.records import outbox
from store.records.care import rescores_due
from store.records.enums import Band, Phase
from store.records.outbox import Method, Notice
from store.records.training import training_rollup
from store.records.waves import compare_services
from store.reports.digest_facts import IssueFacts, RegisterFacts, issue_facts, register_facts
from store.reports.outcomes import monthly_outcomes

LIST_LIMIT = 10
OLDEST = 5
BAND_EMOJI = {
    Band.EXTREME: ":red_square:",
    Band.HIGH: ":large_orange_square:",
    Band.MODERATE: ":large_yellow_square:",
    Band.LOW: ":large_green_square:",
}

THEME_BUTTONS = 3


class NotRun(Exception):
    """The job cannot run for this period yet (no channel set); nothing is recorded, so the
    next run tries again."""


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
    session: Session, *, job: Job, period: str, channel: str, rendered: Rendered, now: datetime
) -> bool:
    return outbox.enqueue(
        session,
        key=digest_key(job, period, channel),
        method=Method.POST,
        notice=Notice.DIGEST,
        channel=channel,
        subject=f"{job}:{period}",
        payload=rendered.payload(),
        now=now,
    )


def _channel(session: Session, job: Job, settings: ScheduleSettings) -> str:
    channel = channel_for_job(session, job, settings)
    if not channel:
        raise NotRun(
            "no channel to post to; set one with '/golive setup' or the "
            f"GOLIVE_{job.upper()}_CHANNEL setting"
        )
    return channel


def _period_text(job: Job, local_day: date) -> str:
    """How the period reads in a title: a day, a week, or a month."""
    if job == Job.MONTHLY_REVIEW:
        return local_day.strftime("%B %Y")
    if job in (Job.WEEKLY_DIGEST, Job.BOARD_REVIEW):
        return f"week of {local_day.strftime('%a %d %b %Y')}"
    return local_day.strftime("%a %d %b %Y")


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


def heat_lines(facts: RegisterFacts) -> list[Mrkdwn]:
    """The 5x5 matrix as monospaced rows (likelihood down, impact across), narrow enough to
    read on a phone without scrolling; a dot is an empty cell."""
    lines = [
        Mrkdwn(f"{'Likelihood':<14}Impact"),
        Mrkdwn(" " * 14 + "".join(f"{n:>3}" for n in range(1, 6))),
    ]
    for row in facts.heat:
        label = f"{row.likelihood} {row.label}"[:13]
        cells = "".join(f"{count or '·':>3}" for count in row.cells)
        lines.append(Mrkdwn(f"{label:<14}{cells}"))
    return lines


def _bands(facts: RegisterFacts) -> list[dict[str, Any]]:
    return [
        {
            "emoji": BAND_EMOJI[band],
            "label": band.label,
            "now": facts.bands[band],
            "before": facts.bands_before[band],
        }
        for band in (Band.EXTREME, Band.HIGH, Band.MODERATE, Band.LOW)
    ]


def issue_digest(session: Session, window: Window, settings: ScheduleSettings) -> Rendered:
    """The daily issue digest during go-live; the same, over a week, in stabilisation."""
    title = "Go-live daily digest" if window.job == Job.DAILY_DIGEST else "Weekly issue digest"
    return render(
        "issue_digest.j2",
        title=title,
        period_text=_period_text(window.job, window.local_day),
        facts=_issues(session, window, settings),
        limit=LIST_LIMIT,
        theme_min=settings.theme_min_issues,
        theme_days=settings.theme_window_days,
        services=_services(session, window, settings),
        theme_risk_action=buttons.THEME_RAISE_RISK,
        theme_training_action=buttons.THEME_TRAINING_NEED,
        theme_buttons=THEME_BUTTONS,
    )


def _services(session: Session, window: Window, settings: ScheduleSettings) -> list[Any]:
    """Each service side by side, so the board sees which home is struggling."""
    return compare_services(
        session, now=window.now, today=window.today, theme_days=settings.theme_window_days
    )


def register_review(session: Session, window: Window, settings: ScheduleSettings) -> Rendered:
    """The weekly board review, or the monthly post-implementation review."""
    facts = register_facts(
        session, start=window.start, end=window.end, today=window.today, shown=LIST_LIMIT
    )
    monthly = window.job == Job.MONTHLY_REVIEW
    template = "monthly_review.j2" if monthly else "board_review.j2"
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
    return render(
        template,
        provider=settings.provider_name,
        outcomes=measures,
        period_text=_period_text(window.job, window.local_day),
        phase_label=window.phase.label,
        now=window.now,
        facts=facts,
        issues=_issues(session, window, settings),
        bands=_bands(facts),
        heat_lines=heat_lines(facts),
        band_emoji=BAND_EMOJI,
        limit=LIST_LIMIT,
        theme_min=settings.theme_min_issues,
        theme_days=settings.theme_window_days,
        decision_action=buttons.DECISION_OPEN,
        since_text="last month" if window.job == Job.MONTHLY_REVIEW else "last week",
        rescores=rescores_due(session, today=window.today),
        services=_services(session, window, settings),
        training=training_rollup(session),
    )


def render_digest(session: Session, window: Window, settings: ScheduleSettings) -> Rendered:
    if window.job in (Job.DAILY_DIGEST, Job.WEEKLY_DIGEST):
        return issue_digest(session, window, settings)
    return register_review(session, window, settings)


def run_digest(session: Session, window: Window, settings: ScheduleSettings) -> str:
    """Render the window's digest and owe it to the job's channel; a one-line summary."""
    channel = _channel(session, window.job, settings)
    rendered = render_digest(session, window, settings)
    owed = _owe(
        session,
        job=window.job,
        period=window.period,
        channel=channel,
        rendered=rendered,
        now=window.now,
    )
    if not owed:
        return f"already sent to {channel}"
    return f"owed to {channel} ({len(rendered.blocks)} blocks): {rendered.text}"
