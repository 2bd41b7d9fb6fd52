"""The nightly ``retention`` job: closed issues' free text removed after GOLIVE_RETENTION_DAYS."""

from sqlmodel import Session

from schedules.cadence import ScheduleSettings
from schedules.digests import Window
from schedules.posts import counted
from store.records.retention import purge


def run_retention(session: Session, window: Window, settings: ScheduleSettings) -> str:
    """Purge in the job's own transaction; nothing is posted, the audit trail says what went.

    Messages already posted to Slack keep what they said; only golive's stored copies change."""
    if settings.retention_days == 0:
        return "retention is off (GOLIVE_RETENTION_DAYS=0); nothing removed"
    done = purge(session, now=window.now, days=settings.retention_days)
    noun = "issue" if done.issues == 1 else "issues"
    summary = (
        f"free text removed from {done.issues} closed {noun} "
        f"older than {settings.retention_days} days"
    )
    if done.decisions or done.messages:
        summary += (
            f"; quotes of it removed from {counted(done.decisions, 'decision')} "
            f"and {counted(done.messages, 'stored message')}"
        )
    return summary
