"""The job registry, and the one path every run takes: the scheduler, ``golive job NAME --at``
and the start-up catch-up all call ``run_job``.

A run (``_run``, which ``preview_job`` takes too, then rolls back) works out the period its
time falls in, checks the phase, claims the (job, period) pair
in the database and owes its posts to the outbox, all in one transaction: a second run for
the same period (a retry, a restart, a second scheduler) finds the claim and does nothing,
and a run that fails half-way leaves nothing behind. Jobs only enqueue; the sender delivers.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import Engine
from sqlmodel import Session

from schedules.cadence import (
    DIGESTS,
    Job,
    ScheduleSettings,
    jobs_for,
    phases_text,
    runs_in,
    schedule_for,
    zone_of,
)
from schedules.commissioner import summary_schedule
from schedules.digests import NotRun, Owed, Window, owed_digest, run_digest
from schedules.escalation_sweep import run_escalation
from schedules.posts import JSON
from schedules.recurrence import Every, Schedule, local_date
from schedules.reminders import run_reminders
from schedules.retention import run_retention
from store.infra.db import session_scope
from store.records import job_runs, outbox
from store.records.care import handover_times, parse_times
from store.records.models import Service
from store.records.people import list_services
from store.records.phases import current_phase, phase_at

JobFunction = Callable[[Session, Window, ScheduleSettings], str]

JOBS: dict[Job, tuple[JobFunction, str]] = {
    Job.DAILY_DIGEST: (run_digest, "Daily issue digest to the project channel"),
    Job.WEEKLY_DIGEST: (run_digest, "Weekly issue digest to the project channel"),
    Job.BOARD_REVIEW: (run_digest, "Weekly board review of the risk register"),
    Job.MONTHLY_REVIEW: (run_digest, "Monthly post-implementation review to the board"),
    Job.REMINDERS: (run_reminders, "One direct message per owner listing overdue work"),
    Job.ESCALATION: (run_escalation, "Escalate unacknowledged and unresolved items"),
    Job.RETENTION: (run_retention, "Remove closed issues' free text after the retention period"),
}


OWED_BY_ESCALATION = {"handover": "handover summaries", "commissioner": "commissioner summaries"}
"""What ``golive jobs`` lists beside the jobs but the escalation run owes when due."""


def job_named(name: str) -> Job:
    try:
        return Job(name.strip().lower().replace("-", "_"))
    except ValueError:
        known = ", ".join(job.value for job in Job)
        owed = name.strip().lower()
        if owed in OWED_BY_ESCALATION:
            raise ValueError(
                f"The {OWED_BY_ESCALATION[owed]} are owed by the escalation run, which posts "
                f"any that are due: run the job 'escalation' (with --at the time they are due)"
            ) from None
        raise ValueError(f"There is no job '{name}'. Jobs: {known}") from None


def window_for(job: Job, settings: ScheduleSettings, *, at: datetime, phase_of: Session) -> Window:
    """The period ``at`` falls in: from the occurrence before to the latest one at or before."""
    if at.tzinfo is None:
        raise ValueError("a job runs at a tz-aware time")
    schedule = schedule_for(job, settings)
    occurrence = schedule.last_at(at)
    zone = zone_of(settings)
    return Window(
        job=job,
        period=schedule.period(occurrence),
        start=schedule.previous(occurrence),
        end=occurrence,
        now=at,
        phase=phase_at(phase_of, occurrence),
        today=local_date(at, zone),
        local_day=local_date(occurrence, zone),
    )


class Result(Enum):
    """Whether a run ran, or what kept it from running."""

    RAN = "ran"
    OUT_OF_PHASE = "out of phase"
    ALREADY_DONE = "already done"


@dataclass(frozen=True)
class Outcome:
    """How one run went, labelled with its job and period: its summary when it ran, or why
    the phase kept it from running."""

    label: str
    result: Result
    text: str = ""


def _run(session: Session, job: Job, settings: ScheduleSettings, at: datetime) -> Outcome:
    """The one place that decides whether a job runs at ``at``: the phase, then the claim on
    (job, period); then the run, its posts owed and its summary kept, in ``session``."""
    function, _ = JOBS[job]
    window = window_for(job, settings, at=at, phase_of=session)
    label = f"{job} {window.period}"
    if not runs_in(job, window.phase):
        return Outcome(
            label,
            Result.OUT_OF_PHASE,
            f"the project is in {window.phase.label.lower()} and this job runs in "
            f"{phases_text(job)}",
        )
    if not job_runs.claim(session, job=str(job), period=window.period, now=at):
        return Outcome(label, Result.ALREADY_DONE)
    summary = function(session, window, settings)
    job_runs.record_summary(session, job=str(job), period=window.period, summary=summary)
    return Outcome(label, Result.RAN, summary)


def run_job(name: str, *, engine: Engine, settings: ScheduleSettings, at: datetime) -> str:
    """Run one job once, as if at ``at``; a one-line summary of what it did."""
    job = job_named(name)
    try:
        with session_scope(engine) as session:
            outcome = _run(session, job, settings, at)
    except NotRun as reason:
        return f"{job}: not run; {reason}"
    if outcome.result == Result.RAN:
        return f"{outcome.label}: {outcome.text}"
    if outcome.result == Result.OUT_OF_PHASE:
        return f"{outcome.label}: not run; {outcome.text}"
    return f"{outcome.label}: already done"


def preview_digest(name: str, *, engine: Engine, settings: ScheduleSettings, at: datetime) -> Owed:
    """What a digest would say if it ran at ``at``, whatever the phase; nothing is owed or
    recorded (``golive demo``)."""
    job = job_named(name)
    if job not in DIGESTS:
        raise ValueError(f"'{name}' is not a digest. Digests: {', '.join(DIGESTS)}")
    with session_scope(engine) as session:
        window = window_for(job, settings, at=at, phase_of=session)
        return owed_digest(session, window, settings)


def describe_jobs(
    *, engine: Engine, settings: ScheduleSettings, now: datetime
) -> list[tuple[str, str, str]]:
    """Each job with its next run (local time, ISO; empty when the current phase does not run
    it) and what it does, for ``golive jobs``."""
    with session_scope(engine) as session:
        phase = current_phase(session)
    active = set(jobs_for(phase))
    zone = zone_of(settings)
    rows = []
    for job, (_, description) in JOBS.items():
        schedule = schedule_for(job, settings)
        next_run = schedule.next_after(now).astimezone(zone).isoformat(timespec="minutes")
        when = f"{schedule.describe()}, in {phases_text(job)}"
        rows.append((str(job), next_run if job in active else "", f"{description}, {when}"))
    return rows


@dataclass(frozen=True)
class OwedPost:
    """One message a run would owe: where it goes (a channel, a person, or the earlier post
    it updates), its notice kind and the facts it carries, for a face to word."""

    method: str
    channel: str | None
    user: str | None
    target_key: str | None
    notice: str
    facts: JSON


@dataclass(frozen=True)
class Preview:
    """What a run would report and owe, learnt from a run that was then rolled back."""

    summary: str
    posts: list[OwedPost]


def preview_job(name: str, *, engine: Engine, settings: ScheduleSettings, at: datetime) -> Preview:
    """What ``run_job`` would owe at ``at`` (``golive job --preview``). The job runs as it
    would for real, so the preview cannot drift from the run, in a transaction that is rolled
    back: no post is owed, no period claimed, no audit event kept. A period already claimed
    owes nothing, as it would for real."""
    job = job_named(name)
    try:
        with session_scope(engine) as session:
            try:
                mark = outbox.newest_id(session)
                outcome = _run(session, job, settings, at)
                posts = [
                    OwedPost(
                        method=row.method,
                        channel=row.channel,
                        user=row.user,
                        target_key=row.target_key,
                        notice=row.notice,
                        facts=outbox.payload_of(row),
                    )
                    for row in outbox.owed_after(session, mark)
                ]
            finally:
                session.rollback()
    except NotRun as reason:
        return Preview(f"{job}: would not run; {reason}", [])
    if outcome.result == Result.RAN:
        return Preview(f"{outcome.label}: {outcome.text}", posts)
    if outcome.result == Result.OUT_OF_PHASE:
        return Preview(f"{outcome.label}: would not run; {outcome.text}", [])
    return Preview(f"{outcome.label}: already done, so a run now would owe nothing", [])


def describe_escalation_posts(
    *, engine: Engine, settings: ScheduleSettings, now: datetime
) -> list[tuple[str, str, str]]:
    """The summaries the escalation run owes on clocks of their own, for ``golive jobs``: the
    handover summary at each shift change and the monthly commissioner summary, each with its
    next time (local time, ISO; empty while nobody is set up to receive it) and what it is."""
    zone = zone_of(settings)
    with session_scope(engine, write=False) as session:
        services = [service for service in list_services(session) if service.channel_id]
        shifts = {
            at
            for service in services
            for at in handover_times(session, service=service, default=settings.handover_times)
        }
    handover = min(
        (Schedule(Every.DAY, zone, at=at).next_after(now) for at in shifts), default=None
    )
    monthly = summary_schedule(settings)
    commissioner = monthly.next_after(now) if settings.commissioner_channel else None
    shift_changes = ", ".join(at.strftime("%H:%M") for at in parse_times(settings.handover_times))
    sent = "every phase; owed by the escalation run"
    return [
        (
            "handover",
            "" if handover is None else handover.astimezone(zone).isoformat(timespec="minutes"),
            f"Handover summary to each service's own channel ({_services_with(services)}), "
            f"daily at {shift_changes} or the service's own times, {sent}",
        ),
        (
            "commissioner",
            ""
            if commissioner is None
            else commissioner.astimezone(zone).isoformat(timespec="minutes"),
            "Last month's commissioner summary to GOLIVE_COMMISSIONER_CHANNEL"
            + ("" if settings.commissioner_channel else " (not set)")
            + f", {monthly.describe()}, {sent}",
        ),
    ]


def _services_with(services: list[Service]) -> str:
    if not services:
        return "no service has one yet"
    return "1 service has one" if len(services) == 1 else f"{len(services)} services have one"
