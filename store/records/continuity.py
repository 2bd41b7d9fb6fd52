"""Business continuity: when the system is down, care goes on paper.

An issue that reports the system unavailable, or care or medication that cannot be recorded,
gets the provider's fallback procedure for its category posted into its triage thread (the
bot renders it at send time from a template the provider can edit). When such an issue is
resolved, golive adds the control that closes the loop: back-enter and reconcile the records
made on paper, with an owner and a due date, and its owner is owed a ``RECONCILE_NOTICE``.
"""

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from store.records import audit, outbox
from store.records.actors import Actor, actor_id
from store.records.enums import ControlStatus
from store.records.models import Control, Issue, Person
from store.records.outbox import Method, Notice

FALLBACK_NOTICE = "continuity_fallback"
RECONCILE_NOTICE = "continuity_reconcile"
"""The reconcile control's owner is told it is theirs: the row's subject is the resolved
issue's ref, its payload the control's ref and due date."""
RECONCILE = "Back-enter and reconcile the records made on paper"
RECONCILE_WITHIN_DAYS = 2

_SYSTEM = r"(system|app|ecm|ecms|emar|e-mar|software|server|network|wi-?fi|tablets?|devices?)"
_DOWN = r"(down|unavailable|offline|not available|outage|crashed|not responding)"
OUTAGE_PATTERNS = (
    re.compile(rf"\b{_SYSTEM}\b[^.!?\n]{{0,40}}?\b{_DOWN}\b", re.IGNORECASE),
    re.compile(
        r"\b(can ?not|can'?t|cannot|unable to|not able to|could ?n[o']t|could not)\s+"
        r"(record|log|enter|chart|document|sign for|write up)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\b(system outage|power cut|total outage|nothing is recording)\b", re.IGNORECASE),
)


def reports_outage(issue: Issue) -> bool:
    """The report says the system is unavailable or care or medication can't be recorded."""
    text = issue.description or ""
    return any(pattern.search(text) for pattern in OUTAGE_PATTERNS)


def fallback_key(issue: Issue) -> str:
    return f"issue:{issue.ref}:fallback"


def fallback_row(issue: Issue, *, thread_key: str, now: datetime) -> dict[str, Any] | None:
    """The outbox row that posts the fallback procedure in the triage thread ``thread_key``,
    None if the report needs none. A row, not an insert, so the report writes it with the
    triage post it replies to in one statement (the post is owed in the same insert, so it
    need not be looked up)."""
    if not reports_outage(issue):
        return None
    return outbox.message_row(
        key=fallback_key(issue),
        method=Method.POST,
        notice=FALLBACK_NOTICE,
        thread_key=thread_key,
        subject=issue.ref,
        payload={"category": str(issue.category)},
        now=now,
    )


def reconcile_control(session: Session, issue: Issue) -> Control | None:
    query = select(Control).where(Control.issue_id == issue.id, Control.description == RECONCILE)
    return session.exec(query).first()


def on_resolved(
    session: Session, issue: Issue, *, actor: Actor, thread_key: str, now: datetime
) -> Control | None:
    """After an outage issue is resolved: the paper records must be entered; its owner (or
    whoever resolved it) sees to it within ``RECONCILE_WITHIN_DAYS``. Once per issue."""
    if outbox.by_key(session, fallback_key(issue)) is None and not reports_outage(issue):
        return None
    if reconcile_control(session, issue) is not None:
        return None
    owner_id = issue.owner_id or actor_id(actor)
    control = Control(
        issue_id=issue.id,
        description=RECONCILE,
        owner_id=owner_id,
        due_date=reconcile_due(now),
        status=ControlStatus.PLANNED,
        created_by_id=actor_id(actor),
        created_at=now,
        updated_at=now,
    )
    session.add(control)
    audit.record_created(session, control, actor=actor, now=now)
    owner = session.get(Person, owner_id) if owner_id is not None else None
    if outbox.by_key(session, thread_key) is not None:
        who = f" for {owner.name}" if owner is not None else ""
        outbox.enqueue(
            session,
            key=f"issue:{issue.ref}:reconcile:thread",
            method=Method.POST,
            notice=Notice.ISSUE_CHANGE,
            thread_key=thread_key,
            subject=issue.ref,
            payload={
                "actor": "golive",
                "summary": f"added {control.ref}{who}, due {control.due_date}: {RECONCILE}",
            },
            now=now,
        )
    if owner is not None:
        outbox.enqueue(
            session,
            key=f"issue:{issue.ref}:reconcile:{owner.slack_user_id}",
            method=Method.DM,
            notice=RECONCILE_NOTICE,
            user=owner.slack_user_id,
            subject=issue.ref,
            payload={"control": control.ref, "due": control.due_date},
            now=now,
        )
    return control


def reconcile_due(now: datetime) -> date:
    return now.date() + timedelta(days=RECONCILE_WITHIN_DAYS)
