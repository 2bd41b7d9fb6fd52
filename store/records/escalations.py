"""The escalation ladder's records: what was taken up a level, to whom, and how it stands.

Two levels: an owner who leaves reminders unanswered is raised to the registered manager of
the service (or the project lead); a high or extreme risk, an urgent issue or one affecting
safe care left unresolved past its threshold is raised to the project board. The unique key
holds each item to one escalation per level (and, for overdue work, per overdue date).
"""

import hashlib
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.infra.inserts import insert_if_absent, insert_many_if_absent, present_keys
from store.records.control_lines import ControlLine, controls_by
from store.records.enums import Impact, Role, Urgency
from store.records.models import (
    Control,
    Decision,
    Escalation,
    Issue,
    Person,
    Risk,
    RiskAssessment,
    Service,
)
from store.records.people import holders, holders_by_service
from store.records.scoring import HIGH_SCORE, band_for

MANAGER = "manager"
BOARD = "board"


def escalation_row(
    *,
    key: str,
    level: str,
    kind: str,
    item_id: int,
    ref: str,
    reason: str,
    recipient: str,
    post_key: str,
    fingerprint: str,
    now: datetime,
) -> dict[str, Any]:
    """An escalation as it is recorded, for ``record`` and ``record_many``."""
    return {
        "key": key,
        "level": level,
        "item_kind": kind,
        "item_id": item_id,
        "item_ref": ref,
        "reason": reason,
        "recipient": recipient[:40],
        "post_key": post_key,
        "fingerprint": fingerprint,
        "escalated_at": now,
        "updated_at": now,
    }


def record(
    session: Session,
    *,
    key: str,
    level: str,
    kind: str,
    item_id: int,
    ref: str,
    reason: str,
    recipient: str,
    post_key: str,
    fingerprint: str,
    now: datetime,
) -> bool:
    """Escalate once: False if this item was already escalated at this level."""
    row = escalation_row(
        key=key,
        level=level,
        kind=kind,
        item_id=item_id,
        ref=ref,
        reason=reason,
        recipient=recipient,
        post_key=post_key,
        fingerprint=fingerprint,
        now=now,
    )
    return insert_if_absent(session, Escalation, row)


def recorded_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` are already escalated, in one query."""
    return present_keys(session, col(Escalation.key), keys)


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Record escalations (rows from ``escalation_row``) in one statement. The caller leaves
    out the keys ``recorded_keys`` found; the unique key still holds each item to one
    escalation if another transaction recorded it in between."""
    insert_many_if_absent(session, Escalation, rows)


def escalations(session: Session, *, level: str) -> list[Escalation]:
    query = select(Escalation).where(Escalation.level == level)
    return list(session.exec(query.order_by(col(Escalation.id))))


def managers_for_owners(
    session: Session, owners: set[tuple[int | None, int]]
) -> dict[tuple[int | None, int], list[Person]]:
    """Who hears when an owner goes quiet, for each (service id, owner id): the service's
    registered manager, else the project lead; never the owner themself. Two queries,
    however many items and services are raised."""
    managers = holders_by_service(
        session, Role.REGISTERED_MANAGER, {service_id for service_id, _ in owners if service_id}
    )
    leads: list[Person] | None = None
    found: dict[tuple[int | None, int], list[Person]] = {}
    for service_id, owner_id in owners:
        people = [p for p in managers[service_id] if p.id != owner_id] if service_id else []
        if not people:
            if leads is None:
                leads = holders(session, Role.PROJECT_LEAD)
            people = [p for p in leads if p.id != owner_id]
        found[(service_id, owner_id)] = people
    return found


@dataclass(frozen=True)
class BoardItem:
    """A risk or issue as its board escalation post shows it."""

    kind: str
    id: int
    ref: str
    title: str
    state: str
    status: str
    owner: str | None
    service: str | None
    reason: str
    resolved: bool
    since: datetime
    decisions: int
    controls: list[ControlLine] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """What the post shows, minus times: when it changes, the post is updated."""
        shown = (
            self.title,
            self.state,
            self.status,
            self.owner,
            self.resolved,
            self.decisions,
            tuple((c.ref, c.status, c.overdue) for c in self.controls),
        )
        return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


def _day(value: date | None) -> str:
    return "not set" if value is None else value.strftime("%a %d %b")


def _hours(threshold: timedelta) -> str:
    hours = int(threshold.total_seconds() // 3600)
    return f"{hours} hours"


def _high_since(session: Session, risk_ids: list[int]) -> dict[int, datetime]:
    """When each risk last rose to high or extreme (and has stayed there), from its scorings."""
    query = (
        select(
            RiskAssessment.risk_id,
            RiskAssessment.likelihood,
            RiskAssessment.impact,
            RiskAssessment.assessed_at,
        )
        .where(col(RiskAssessment.risk_id).in_(risk_ids))
        .order_by(col(RiskAssessment.assessed_at), col(RiskAssessment.id))
    )
    since: dict[int, datetime] = {}
    for risk_id, likelihood, impact, assessed_at in session.exec(query):
        if likelihood * impact >= HIGH_SCORE:
            since.setdefault(risk_id, assessed_at)
        else:
            since.pop(risk_id, None)
    return since


def _decision_counts(session: Session, column: str, ids: list[int]) -> Tally[int]:
    attribute = col(getattr(Decision, column))
    return Tally(value for value in session.exec(select(attribute).where(attribute.in_(ids))))


Watched = TypeVar("Watched", Risk, Issue)


def _watched(
    session: Session,
    record: type[Watched],
    *,
    board_should_see: ColumnElement[bool],
    ids: list[int] | None,
) -> list[tuple[Watched, int, str | None, str | None]]:
    """The risks or issues the board should see (or those named by ``ids``, however they now
    stand) by number, each with its id, its service's name and its owner's name."""
    owner = aliased(Person)
    query = (
        select(record, Service.name, owner.name)
        .join(Service, col(Service.id) == record.service_id, isouter=True)
        .join(owner, col(owner.id) == record.owner_id, isouter=True)
        .where(board_should_see if ids is None else col(record.id).in_(ids))
        .order_by(col(record.number))
    )
    return [
        (item, item.id, service, owner_name)
        for item, service, owner_name in session.exec(query)
        if item.id is not None
    ]


def risk_items(
    session: Session,
    *,
    today: date,
    threshold: timedelta,
    ids: list[int] | None = None,
) -> list[BoardItem]:
    """High and extreme open risks (or the risks named by ``ids``, however they now stand)."""
    high = and_(Risk.is_open, col(Risk.score) >= HIGH_SCORE)
    rows = _watched(session, Risk, board_should_see=high, ids=ids)
    risk_ids = [risk_id for _, risk_id, _, _ in rows]
    if not risk_ids:
        return []
    since = _high_since(session, risk_ids)
    controls = controls_by(session, col(Control.risk_id).in_(risk_ids), today=today)
    decisions = _decision_counts(session, "risk_id", risk_ids)
    items = []
    for risk, risk_id, service, owner_name in rows:
        score = risk.score or 0
        band = band_for(score).label.lower() if score else "unscored"
        resolved = not risk.is_open or score < HIGH_SCORE
        items.append(
            BoardItem(
                kind="risk",
                id=risk_id,
                ref=risk.ref,
                title=risk.title,
                state=f"Score {score} ({band}) · review {_day(risk.review_date)}",
                status=risk.status.label.lower() if score >= HIGH_SCORE else f"rated {band}",
                owner=owner_name,
                service=service,
                reason=(
                    f"{band.capitalize()} risk still unresolved after more than {_hours(threshold)}"
                ),
                resolved=resolved,
                since=since.get(risk_id, risk.updated_at),
                decisions=decisions[risk_id],
                controls=controls.get(("risk", risk_id), []),
            )
        )
    return items


def issue_items(
    session: Session,
    *,
    today: date,
    threshold: timedelta,
    ids: list[int] | None = None,
) -> list[BoardItem]:
    """Open urgent or safe-care issues (or the issues named by ``ids``, however they stand)."""
    pressing = and_(
        Issue.is_open,
        or_(col(Issue.urgency) == Urgency.URGENT, col(Issue.impact) == Impact.SAFE_CARE),
    )
    rows = _watched(session, Issue, board_should_see=pressing, ids=ids)
    issue_ids = [issue_id for _, issue_id, _, _ in rows]
    if not issue_ids:
        return []
    controls = controls_by(session, col(Control.issue_id).in_(issue_ids), today=today)
    decisions = _decision_counts(session, "issue_id", issue_ids)
    items = []
    for issue, issue_id, service, owner_name in rows:
        words = ["Urgent" if issue.urgency == Urgency.URGENT else f"{issue.urgency.label} urgency"]
        if issue.impact == Impact.SAFE_CARE:
            words.append("affects safe care")
        kind = "Urgent issue" if issue.urgency == Urgency.URGENT else "Issue affecting safe care"
        items.append(
            BoardItem(
                kind="issue",
                id=issue_id,
                ref=issue.ref,
                title=f"{issue.category.label}: {issue.description}",
                state=", ".join(words) + f" · {issue.status.label.lower()}",
                status=issue.status.label.lower(),
                owner=owner_name,
                service=service,
                reason=f"{kind} still unresolved after more than {_hours(threshold)}",
                resolved=not issue.is_open,
                since=issue.reported_at,
                decisions=decisions[issue_id],
                controls=controls.get(("issue", issue_id), []),
            )
        )
    return items


def board_items(
    session: Session, *, today: date, threshold: timedelta, ids: dict[str, list[int]]
) -> dict[tuple[str, int], BoardItem]:
    """By (kind, id): every item the board could be shown (high and extreme open risks, open
    urgent or safe-care issues) and the risks and issues named by ``ids`` (those already
    escalated) however they now stand, each built once."""
    items = risk_items(session, today=today, threshold=threshold)
    items += issue_items(session, today=today, threshold=threshold)
    found = {(item.kind, item.id): item for item in items}
    for kind, build in (("risk", risk_items), ("issue", issue_items)):
        missing = [item_id for item_id in ids.get(kind, []) if (kind, item_id) not in found]
        if missing:
            for item in build(session, today=today, threshold=threshold, ids=missing):
                found[(item.kind, item.id)] = item
    return found


def due_for_board(item: BoardItem, *, now: datetime, threshold: timedelta) -> bool:
    """Unresolved for longer than the threshold: the board should now see it."""
    return not item.resolved and item.since + threshold <= now


def update_state(
    session: Session, escalation: Escalation, *, fingerprint: str, resolved: bool, now: datetime
) -> None:
    escalation.fingerprint = fingerprint
    escalation.updated_at = now
    escalation.resolved_at = (escalation.resolved_at or now) if resolved else None
    session.add(escalation)
