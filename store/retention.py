"""Data retention: closed records' free text is removed after the retention period.

What people typed about a problem (what happened, the workaround, the correction, the closure
evidence, the immediate controls and their notes) can name residents; the governance skeleton
(which issue, when, who, which status, which category and impact) is evidence and stays.

The audit trail is append-only, enforced by database triggers: the one change they allow
(migration 0005) is replacing an event's old or new value with the purge marker. A purge
writes one ``purged`` event per record naming the fields removed, then, in the same
transaction, replaces those fields' values in the records' earlier events, so the text is gone
from the trail while who, when and which status stay. The thread lines golive posted about
the issue (held in the outbox) lose their text too. Every reader of the trail (exports,
views) also shows purged fields' values as removed.
The period is GOLIVE_RETENTION_DAYS, counted from closure; 0 keeps everything.
"""

import json
from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from store import audit
from store.actors import SystemActor
from store.enums import IssueStatus
from store.models import AuditEvent, Control, ControlUpdate, Issue, OutboxMessage, Verification
from store.outbox import Notice

PURGED_TEXT = "[removed under the retention policy]"
PURGED = "purged"
ISSUE_FIELDS = ("description", "workaround_detail", "correction_action", "closure_evidence")
CONTROL_FIELDS = ("description",)
VERIFICATION_FIELDS = ("request_evidence", "evidence")
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
    purged: list[Issue] = []
    control_ids: list[int] = []
    for issue in due_issues(session, now=now, days=days):
        removed = _blank(issue, ISSUE_FIELDS)
        issue.updated_at = now
        session.add(issue)
        audit.record_action(
            session, issue, actor=RETENTION, action=PURGED, now=now, note=", ".join(removed)
        )
        controls = session.exec(select(Control).where(Control.issue_id == issue.id)).all()
        for control in controls:
            assert control.id is not None
            control_ids.append(control.id)
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
        purged.append(issue)
    if purged:
        session.flush()
        _redact(session, [i.id for i in purged if i.id is not None], control_ids)
        _clear_thread_lines(session, [issue.ref for issue in purged])
    return len(purged)


def _redact(session: Session, issue_ids: list[int], control_ids: list[int]) -> None:
    """Replace the purged free text wherever the trail or a verification still holds it.

    One statement per kind of record; structural events (status, dates, owner) are untouched."""
    kinds = ("issue", issue_ids), ("control", control_ids)
    checks = [
        (col(Verification.item_kind) == kind) & col(Verification.item_id).in_(ids)
        for kind, ids in kinds
        if ids
    ]
    checked = select(Verification.id).where(sa.or_(*checks))
    verification_ids = [i for i in session.exec(checked) if i is not None]
    if verification_ids:
        session.execute(
            sa.update(Verification)
            .where(col(Verification.id).in_(verification_ids))
            .values(
                request_evidence=PURGED_TEXT,
                evidence=sa.case((col(Verification.evidence).is_(None), None), else_=PURGED_TEXT),
            )
        )
    _redact_events(session, "issue", issue_ids, ISSUE_FIELDS)
    _redact_events(session, "control", control_ids, CONTROL_FIELDS)
    _redact_events(session, "verification", verification_ids, VERIFICATION_FIELDS)


def _redact_events(
    session: Session, entity: str, ids: Collection[int], fields: tuple[str, ...]
) -> None:
    """Set these records' events on these fields to the marker (the only update the trail's
    triggers accept); empty values stay empty."""
    if not ids:
        return
    session.execute(
        sa.update(AuditEvent)
        .where(
            col(AuditEvent.entity) == entity,
            col(AuditEvent.entity_id).in_(ids),
            col(AuditEvent.field).in_(fields),
        )
        .values(
            old_value=sa.case((col(AuditEvent.old_value).is_(None), None), else_=PURGED_TEXT),
            new_value=sa.case((col(AuditEvent.new_value).is_(None), None), else_=PURGED_TEXT),
        )
        .execution_options(synchronize_session=False)
    )


def _clear_thread_lines(session: Session, refs: list[str]) -> None:
    """The lines posted in the issue's thread quoted the text; the outbox keeps no copy."""
    session.execute(
        sa.update(OutboxMessage)
        .where(
            col(OutboxMessage.notice) == str(Notice.ISSUE_CHANGE),
            col(OutboxMessage.subject).in_(refs),
        )
        .values(payload=json.dumps({"actor": RETENTION.name, "summary": PURGED_TEXT}))
        .execution_options(synchronize_session=False)
    )


def purged_fields(session: Session) -> dict[str, frozenset[str]]:
    """For each record that was purged, the fields whose text the audit trail must hide."""
    events = session.exec(select(AuditEvent).where(AuditEvent.action == PURGED))
    found: dict[str, set[str]] = {}
    for event in events:
        names = {name.strip() for name in (event.new_value or "").split(",") if name.strip()}
        found.setdefault(event.entity_ref, set()).update(names)
    return {ref: frozenset(names) for ref, names in found.items()}
