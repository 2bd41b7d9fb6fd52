"""The nightly ``retention`` job: closed issues' free text removed after GOLIVE_RETENTION_DAYS."""

from sqlmodel import Session

from schedules.cadence import ScheduleSettings
from schedules.digests import Window
from store.retention import purge


def run_retention(session: Session, window: Window, settings: ScheduleSettings) -> str:
    """Purge in the job's own transaction; nothing is posted, the audit trail says what went."""
    if settings.retention_days == 0:
        return "retention is off (GOLIVE_RETENTION_DAYS=0); nothing removed"
    count = purge(session, now=window.now, days=settings.retention_days)
    noun = "issue" if count == 1 else "issues"
    return f"free text removed from {count} closed {noun} older than {settings.retention_days} days"
