"""The job registry, and the one path every run takes: the scheduler, ``golive job NAME --at``
and the start-up catch-up all call ``run_job``.

A run works out the period its time falls in, checks the phase, claims the (job, period) pair
in the database and owes its posts to the outbox, all in one transaction: a second run for
the same period (a retry, a restart, a second scheduler) finds the claim and does nothing,
and a run that fails half-way leaves nothing behind. Jobs only enqueue; the sender delivers.
"""

from collections.abc import Callable
from datetime import datetime

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
from schedules.digests import NotRun, Window, render_digest, run_digest
from schedules.escalation_sweep import run_escalation
from schedules.recurrence import local_date
from schedules.reminders import run_reminders
from schedules.render import Rendered
from schedules.retention import run_retention
from store.infra.db import session_scope
from store.records import job_runs
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


def job_named(name: str) -> Job:
    try:
        return Job(name.strip().lower().replace("-", "_"))
    except ValueError:
        known = ", ".join(job.value for job in Job)
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


def run_job(name: str, *, engine: Engine, settings: ScheduleSettings, at: datetime) -> str:
    """Run one job once, as if at ``at``; a one-line summary of what it did."""
    job = job_named(name)
    function, _ = JOBS[job]
    try:
        with session_scope(engine) as session:
            window = window_for(job, settings, at=at, phase_of=session)
            label = f"{job} {window.period}"
            if not runs_in(job, window.phase):
                return (
                    f"{label}: not run; the project is in {window.phase.label.lower()} "
                    f"and this job runs in {phases_text(job)}"
                )
            if not job_runs.claim(session, job=str(job), period=window.period, now=at):
                return f"{label}: already done"
            summary = function(session, window, settings)
            job_runs.record_summary(session, job=str(job), period=window.period, summary=summary)
    except NotRun as reason:
        return f"{job}: not run; {reason}"
    return f"{label}: {summary}"


def preview_digest(
    name: str, *, engine: Engine, settings: ScheduleSettings, at: datetime
) -> Rendered:
    """What a digest would say if it ran at ``at``, whatever the phase; nothing is owed or
    recorded (``golive demo``)."""
    job = job_named(name)
    if job not in DIGESTS:
        raise ValueError(f"'{name}' is not a digest. Digests: {', '.join(DIGESTS)}")
    with session_scope(engine) as session:
        window = window_for(job, settings, at=at, phase_of=session)
        return render_digest(session, window, settings)


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
