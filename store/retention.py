"""Data retention: closed records' free text is removed after the retention period.

What people typed about a problem (what happened, the workaround, the correction, the closure
evidence, the immediate controls and their notes) can name residents; the governance skeleton
(which issue, when, who, which status, which category and impact) is evidence and stays.

The audit trail is append-only, enforced by database triggers, and those stay: a purge does
not rewrite old events. It writes one ``purged`` event per record naming the fields removed,
and every reader of the trail (exports, views) shows those fields' old values as removed.
The period is GOLIVE_RETENTION_DAYS, counted from closure; 0 keeps everything.
"""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from store import audit
from store.actors import SystemActor
from store.enums import IssueStatus
from store.models import AuditEvent, Control, ControlUpdate, Issue

PURGED_TEXT = "[removed under the retention policy]"
PURGED = "purged"
ISSUE_FIELDS = ("description", "workaround_detail", "correction_action", "closure_evidence")
CONTROL_FIELDS = ("description",)
RETENTION = SystemActor(name="golive retention policy")


def _blank(record: Issue | Control | ControlUpdate, fields: tuple[str, ...]) -> list[str]:
    """Replace each field that holds text; the names of those replaced."""
    removed = []
    for name in fields:
        if getattr(record, name):
            setattr(record, name, PURGED_TEXT)
            removed.append(name)
    return removed


def due_issues(session: Session, *, now: datetime, days: int) -> list[Issue]:
    """Closed issues past the period whose text is still there."""
    if days <= 0:
        return []
    cutoff = now - timedelta(days=days)
    query = select(Issue).where(
        Issue.status == IssueStatus.CLOSED,
        col(Issue.closed_at).is_not(None),
        col(Issue.closed_at) <= cutoff,
        Issue.description != PURGED_TEXT,
    )
    return list(session.exec(query.order_by(col(Issue.id))))


def purge(session: Session, *, now: datetime, days: int) -> int:
    """Remove the free text of every closed issue past the period; how many were purged.

    Written directly rather than through ``audit.audited``: that would copy the text being
    removed into new audit events."""
    purged = 0
    for issue in due_issues(session, now=now, days=days):
        removed = _blank(issue, ISSUE_FIELDS)
        issue.updated_at = now
        session.add(issue)
        audit.record_action(
            session, issue, actor=RETENTION, action=PURGED, now=now, note=", ".join(removed)
        )
        controls = session.exec(select(Control).where(Control.issue_id == issue.id)).all()
        for control in controls:
            if _blank(control, CONTROL_FIELDS):
                control.updated_at = now
                session.add(control)
                audit.record_action(
                    session, control, actor=RETENTION, action=PURGED, now=now, note="description"
                )
            for update in session.exec(
                select(ControlUpdate).where(ControlUpdate.control_id == control.id)
            ):
                if _blank(update, ("note",)):
                    session.add(update)
        purged += 1
    return purged


def purged_fields(session: Session) -> dict[str, frozenset[str]]:
    """For each record that was purged, the fields whose text the audit trail must hide."""
    events = session.exec(select(AuditEvent).where(AuditEvent.action == PURGED))
    found: dict[str, set[str]] = {}
    for event in events:
        names = {name.strip() for name in (event.new_value or "").split(",") if name.strip()}
        found.setdefault(event.entity_ref, set()).update(names)
    return {ref: frozenset(names) for ref, names in found.items()}
