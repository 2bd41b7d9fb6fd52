"""What the evidence pack states, read from the records in a few set-based queries and handed
back as plain values: the face arranges and draws them, and never queries.

Everything here is a fact in domain words (references, labels, names, UTC instants); the pack's
wording, charts and local times are the face's business (documents/evidence.py).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from store.records import phases, review
from store.records.enums import OPEN_ISSUE_STATUSES, IssueStatus
from store.records.models import (
    AuditEvent,
    Control,
    Decision,
    Effectiveness,
    Issue,
    Person,
    Risk,
    RiskAssessment,
    Service,
    issue_ref,
    risk_ref,
)
from store.records.retention import PURGED_TEXT, purged_fields
from store.records.scoring import band_for
from store.reports.outcomes import ratings_at

WHOLE_ORGANISATION = "Whole organisation"


@dataclass(frozen=True)
class Headline:
    """The pack's four headline figures, each with the number it is out of: every issue
    reported is either still open or was put right (resolved or closed), and of those put
    right some were closed with evidence that the fix worked."""

    reported: int
    resolved: int
    closed_with_evidence: int
    open: int


@dataclass(frozen=True)
class RiskFact:
    ref: str
    title: str
    service: str
    owner: str
    category: str
    register: str
    status: str
    is_open: bool
    first: int | None
    at_go_live: int | None
    now: int | None
    likelihood: int | None
    impact: int | None
    review_date: date | None
    review_overdue: bool
    controls_open: int
    transferred_to: str
    transferred_from: str

    @property
    def band(self) -> str:
        return band_for(self.now).label if self.now else "Not scored"

    @property
    def band_key(self) -> str:
        """The band's value, which names its colour in a document."""
        return band_for(self.now).value if self.now else "none"


@dataclass(frozen=True)
class PhaseFact:
    phase: str
    entered: datetime
    note: str
    by: str


@dataclass(frozen=True)
class DecisionFact:
    decided: datetime
    on: str
    kind: str
    summary: str
    owner: str
    by: str
    follow_up: date | None


@dataclass(frozen=True)
class VerdictFact:
    ref: str
    title: str
    service: str
    verdict: str
    verdict_key: str
    evidence: str
    by: str


@dataclass(frozen=True)
class ActionFact:
    ref: str
    description: str
    owner: str
    due: date | None


@dataclass(frozen=True)
class FollowUpFact:
    ref: str
    topic: str
    due: date
    result: str
    residual: int | None
    high: int | None
    reducing: bool | None
    recorded: datetime | None


@dataclass(frozen=True)
class ReviewFacts:
    ref: str
    started: datetime
    started_by: str
    findings: list[tuple[str, str]]
    verdicts: list[VerdictFact]
    verdict_counts: dict[str, int]
    awaiting_verdicts: list[str]
    actions: list[ActionFact]
    audits: list[FollowUpFact]
    closed: datetime | None
    closed_by: str
    closure_note: str


@dataclass(frozen=True)
class IssueFact:
    """One line of the pack's issue appendix."""

    ref: str
    service: str
    category: str
    impact: str
    status: str
    reported: datetime
    closed: datetime | None
    closure_evidence: str


@dataclass(frozen=True)
class TrailFact:
    """One line of the audit-trail extract."""

    at: datetime
    who: str
    record: str
    action: str
    field: str
    old_value: str
    new_value: str


@dataclass(frozen=True)
class TrailExtract:
    start: datetime
    end: datetime
    lines: list[TrailFact]
    total: int


@dataclass(frozen=True)
class EvidenceFacts:
    current_phase: str
    phases: list[PhaseFact]
    services: list[tuple[str, date | None]]
    go_live_at: datetime | None
    risks: list[RiskFact]
    ratings_at_go_live: list[tuple[int, int]]
    decisions: list[DecisionFact]
    review: ReviewFacts | None
    blockers: list[str]
    headline: Headline
    issues: list[IssueFact]


def headline(session: Session) -> Headline:
    """Counted by status in one statement, so open and put right add up to reported."""
    is_open = col(Issue.status).in_(sorted(OPEN_ISSUE_STATUSES))
    with_evidence = (col(Issue.status) == IssueStatus.CLOSED) & (
        func.coalesce(func.trim(col(Issue.closure_evidence)), "") != ""
    )
    reported, still_open, closed_with_evidence = session.exec(
        select(
            func.count(),
            func.count(case((is_open, 1))),
            func.count(case((with_evidence, 1))),
        )
    ).one()
    return Headline(
        reported=int(reported),
        resolved=int(reported) - int(still_open),
        closed_with_evidence=int(closed_with_evidence),
        open=int(still_open),
    )


def _first_scores(session: Session) -> dict[int, int]:
    """Each risk's first score, from the scoring history in one query (read newest first, so
    the oldest assessment is the one left standing)."""
    first: dict[int, int] = {}
    query = select(
        RiskAssessment.risk_id, RiskAssessment.likelihood, RiskAssessment.impact
    ).order_by(col(RiskAssessment.assessed_at).desc(), col(RiskAssessment.id).desc())
    for risk_id, likelihood, impact in session.exec(query):
        first[risk_id] = likelihood * impact
    return first


def _open_controls(session: Session) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    query = select(Control.risk_id, func.count()).where(
        col(Control.risk_id).is_not(None), Control.is_open
    )
    for risk_id, count in session.exec(query.group_by(col(Control.risk_id))):
        if risk_id is not None:
            counts[risk_id] = int(count)
    return counts


def _risks(
    session: Session,
    *,
    today: date,
    go_live_at: datetime | None,
    people: dict[int | None, str],
    services: dict[int | None, str],
) -> list[RiskFact]:
    register = list(session.exec(select(Risk).order_by(col(Risk.number))))
    first = _first_scores(session)
    then = (
        {k: li * im for k, (li, im) in ratings_at(session, go_live_at).items()}
        if go_live_at
        else {}
    )
    open_controls = _open_controls(session)
    refs = {r.id: r.ref for r in register}
    successors = {r.transferred_from_id: r.ref for r in register if r.transferred_from_id}
    return [
        RiskFact(
            ref=r.ref,
            title=r.title,
            service=services.get(r.service_id, WHOLE_ORGANISATION),
            owner=people.get(r.owner_id, "") if r.owner_id else "",
            category=r.category.label,
            register=r.risk_register.label,
            status=r.status.label,
            is_open=r.is_open,
            first=first.get(r.id or 0),
            at_go_live=then.get(r.id or 0),
            now=r.score,
            likelihood=r.likelihood,
            impact=r.impact,
            review_date=r.review_date,
            # flagged as the digest flags it: a late review of a risk still on the books
            review_overdue=r.is_open and r.is_review_overdue(today),
            controls_open=open_controls.get(r.id or 0, 0),
            transferred_to=successors.get(r.id or 0, ""),
            transferred_from=refs.get(r.transferred_from_id, "") if r.transferred_from_id else "",
        )
        for r in register
    ]


def _decisions(
    session: Session, people: dict[int | None, str], risk_refs: dict[int | None, str]
) -> list[DecisionFact]:
    issue_refs = {i: issue_ref(n) for i, n in session.exec(select(Issue.id, Issue.number))}
    query = select(Decision).order_by(col(Decision.decided_at), col(Decision.id))
    return [
        DecisionFact(
            decided=d.decided_at,
            on=risk_refs.get(d.risk_id, "") or issue_refs.get(d.issue_id, ""),
            kind=d.kind.label,
            summary=d.summary,
            owner=people.get(d.owner_id, "") if d.owner_id else "",
            by=people.get(d.decided_by_id, "") if d.decided_by_id else "",
            follow_up=d.follow_up_date,
        )
        for d in session.exec(query)
    ]


def _review(
    session: Session, people: dict[int | None, str], services: dict[int | None, str]
) -> ReviewFacts | None:
    current = review.current_review(session)
    if current is None:
        return None
    given = review.verdicts(session, current)
    pre = review.pre_implementation_risks(session)
    verdicts = [
        VerdictFact(
            ref=risk.ref,
            title=risk.title,
            service=services.get(risk.service_id, WHOLE_ORGANISATION),
            verdict=given[risk.id].verdict.label,
            verdict_key=given[risk.id].verdict.value,
            evidence=given[risk.id].evidence,
            by=people.get(given[risk.id].given_by_id, ""),
        )
        for risk in pre
        if risk.id in given
    ]
    counts = {kind.label: 0 for kind in Effectiveness}
    for line in verdicts:
        counts[line.verdict] += 1
    return ReviewFacts(
        ref=current.ref,
        started=current.started_at,
        started_by=people.get(current.started_by_id, "") if current.started_by_id else "",
        findings=[(label, getattr(current, name)) for name, label in review.FINDING_LABELS.items()],
        verdicts=verdicts,
        verdict_counts=counts,
        awaiting_verdicts=[f"{r.ref} {r.title}" for r in pre if r.id not in given],
        actions=[
            ActionFact(a.ref, a.description, people.get(a.owner_id, ""), a.due_date)
            for a in review.leadership_actions(session, current)
        ],
        audits=[
            FollowUpFact(
                ref=a.ref,
                topic=a.topic,
                due=a.due_date,
                result=a.result or "",
                residual=a.residual_score,
                high=a.high_risks,
                reducing=a.risks_reducing,
                recorded=a.recorded_at,
            )
            for a in review.audits(session, current)
        ],
        closed=current.closed_at,
        closed_by=people.get(current.closed_by_id, "") if current.closed_by_id else "",
        closure_note=current.closure_note or "",
    )


def issue_appendix(session: Session, services: dict[int | None, str]) -> list[IssueFact]:
    """Every issue in reference order, with how it was closed; closure evidence purged under
    the retention policy reads as removed, as it does in the exports."""
    purged = purged_fields(session)
    found = []
    for issue in session.exec(select(Issue).order_by(col(Issue.number))):
        evidence = issue.closure_evidence or ""
        if evidence and "closure_evidence" in purged.get(issue.ref, ()):
            evidence = PURGED_TEXT
        found.append(
            IssueFact(
                ref=issue.ref,
                service=services.get(issue.service_id, ""),
                category=issue.category.label,
                impact=issue.impact.label,
                status=issue.status.label,
                reported=issue.reported_at,
                closed=issue.closed_at,
                closure_evidence=evidence,
            )
        )
    return found


def audit_extract(
    session: Session, *, start: datetime, end: datetime, limit: int = 300
) -> TrailExtract:
    """The audit trail from ``start`` up to ``end``, oldest first, at most ``limit`` lines
    (the count says how many there were: the whole trail goes in its own CSV file)."""
    period = (col(AuditEvent.at) >= start, col(AuditEvent.at) < end)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*period)).one()
    purged = purged_fields(session)
    lines = []
    query = select(AuditEvent).where(*period).order_by(col(AuditEvent.at), col(AuditEvent.id))
    for event in session.exec(query.limit(limit)):
        hidden = event.field in purged.get(event.entity_ref, ())
        lines.append(
            TrailFact(
                at=event.at,
                who=event.actor_name,
                record=event.entity_ref,
                action=event.action,
                field=event.field or "",
                old_value=PURGED_TEXT if hidden and event.old_value else event.old_value or "",
                new_value=PURGED_TEXT if hidden and event.new_value else event.new_value or "",
            )
        )
    return TrailExtract(start=start, end=end, lines=lines, total=int(total))


def evidence_facts(session: Session, *, today: date) -> EvidenceFacts:
    """Every fact the pack shows but the outcome measures (store/reports/outcomes.py) and the
    audit-trail extract, whose period the reader picks."""
    people: dict[int | None, str] = {p.id: p.name for p in session.exec(select(Person))}
    listed = list(session.exec(select(Service).order_by(col(Service.name))))
    services: dict[int | None, str] = {s.id: s.name for s in listed}
    go_live_at = review.go_live_at(session)
    risks = _risks(session, today=today, go_live_at=go_live_at, people=people, services=services)
    risk_refs: dict[int | None, str] = {
        k: risk_ref(n) for k, n in session.exec(select(Risk.id, Risk.number))
    }
    return EvidenceFacts(
        current_phase=phases.current_phase(session).label,
        phases=[
            PhaseFact(
                phase=change.phase.label,
                entered=change.set_at,
                note=change.note,
                by=people.get(change.set_by_id, "golive") if change.set_by_id else "golive",
            )
            for change in phases.history(session)
        ],
        services=[(s.name, s.golive_date) for s in listed],
        go_live_at=go_live_at,
        risks=risks,
        ratings_at_go_live=list(ratings_at(session, go_live_at).values()) if go_live_at else [],
        decisions=_decisions(session, people, risk_refs),
        review=_review(session, people, services),
        blockers=[b.text for b in review.closing_blockers(session)],
        headline=headline(session),
        issues=issue_appendix(session, services),
    )
