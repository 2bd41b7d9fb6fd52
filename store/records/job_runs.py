"""Scheduled jobs done, one row per (job, period): the claim that makes a second run of the
same period (a retry, a restart, a second scheduler) find the work done and do nothing."""

from datetime import datetime

from sqlmodel import Session, select

from store.infra.inserts import insert_if_absent
from store.records.models import JobRun


def claim(session: Session, *, job: str, period: str, now: datetime) -> bool:
    """Take the (job, period) pair for this transaction's run; False if a run already has it.
    The claim commits or rolls back with the work it guards."""
    return insert_if_absent(
        session, JobRun, {"job": job, "period": period, "ran_at": now, "summary": ""}
    )


def record_summary(session: Session, *, job: str, period: str, summary: str) -> None:
    """What the claimed run did, in a line, kept with its claim."""
    run = session.exec(select(JobRun).where(JobRun.job == job, JobRun.period == period)).one()
    run.summary = summary[:500]
    session.add(run)
