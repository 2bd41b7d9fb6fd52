"""The facts a digest reports for a period, gathered in a few set-based queries.

Each function returns plain, display-ready records (names resolved, labels chosen), so a
template can show them without touching the database, and a digest costs the same few
queries whether the register holds ten items or ten thousand.
"""

from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.enums import (
    OPEN_CONTROL_STATUSES,
    OPEN_ISSUE_STATUSES,
    Band,
    ControlStatus,
    Impact,
    IssueCategory,
    IssueStatus,
    Register,
    RiskStatus,
    Urgency,
    Workaround,
)
from store.models import (
    Control,
    Decision,
    Escalation,
    Issue,
    Person,
    Risk,
    RiskAssessment,
    Service,
)
from store.scoring import IMPACT, LIKELIHOOD, band_for

OPEN_RISK_STATUSES = (RiskStatus.OPEN, RiskStatus.ESCALATED)
HIGH_SCORE = 8
BOARD_LEVEL = "board"


@dataclass(frozen=True)
class ControlLine:
    ref: str
    description: str
    status: str
    owner: str | None
    due: date | None
    overdue: bool


@dataclass(frozen=True)
class IssueLine:
    ref: str
    category: str
    service: str
    description: str
    urgency: Urgency
    impact: Impact
    workaround: Workaround
    workaround_detail: str | None
    status: IssueStatus
    owner: str | None
    reported_at: datetime
    correction_action: str | None
    correction_due: date | None
    closure_evidence: str | None
    controls: list[ControlLine] = field(default_factory=list)

    @property
    def flags(self) -> str:
        words = []
        if self.urgency == Urgency.URGENT:
            words.append("urgent")
        if self.impact == Impact.SAFE_CARE:
            words.append("affects safe care")
        if self.workaround == Workaround.UNSAFE:
            words.append("unsafe workaround")
        return ", ".join(words)


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class Theme:
    category: str
    service: str
    count: int
    refs: list[str]


@dataclass(frozen=True)
class IssueFacts:
    start: datetime
    end: datetime
    now: datetime
    today: date
    new_total: int
    new_by_category_service: list[Count]
    open_total: int
    urgent_open: list[IssueLine]
    overdue_corrections: list[IssueLine]
    themes: list[Theme]
    unsafe_workarounds: list[IssueLine]
    closed: list[IssueLine]
    closed_without_evidence: list[IssueLine]
    awaiting_evidence: list[IssueLine]
    oldest_open: list[IssueLine]


def _issue_lines(session: Session, query_filter: object) -> list[IssueLine]:
    """Issues matching a filter, with service and owner names and their immediate controls,
    in two queries."""
    owner = aliased(Person)
    query = (
        select(Issue, Service.name, owner.name)
        .join(Service, col(Service.id) == Issue.service_id)
        .join(owner, col(owner.id) == Issue.owner_id, isouter=True)
        .where(query_filter)  # type: ignore[arg-type]
        .order_by(col(Issue.reported_at), col(Issue.number))
    )
    rows = list(session.exec(query))
    ids = [issue.id for issue, _, _ in rows]
    controls = controls_by(session, col(Control.issue_id).in_(ids)) if ids else {}
    return [
        IssueLine(
            ref=issue.ref,
            category=issue.category.label,
            service=service,
            description=issue.description,
            urgency=issue.urgency,
            impact=issue.impact,
            workaround=issue.workaround,
            workaround_detail=issue.workaround_detail,
            status=issue.status,
            owner=owner_name,
            reported_at=issue.reported_at,
            correction_action=issue.correction_action,
            correction_due=issue.correction_due,
            closure_evidence=issue.closure_evidence,
            controls=controls.get(("issue", issue.id), []),
        )
        for issue, service, owner_name in rows
    ]


def controls_by(
    session: Session, query_filter: object, *, today: date | None = None
) -> dict[tuple[str, int | None], list[ControlLine]]:
    owner = aliased(Person)
    query = (
        select(Control, owner.name)
        .join(owner, col(owner.id) == Control.owner_id, isouter=True)
        .where(query_filter)  # type: ignore[arg-type]
        .order_by(col(Control.id))
    )
    grouped: dict[tuple[str, int | None], list[ControlLine]] = defaultdict(list)
    for control, owner_name in session.exec(query):
        parent = ("risk", control.risk_id) if control.risk_id else ("issue", control.issue_id)
        overdue = bool(
            today
            and control.due_date
            and control.due_date < today
            and control.status in OPEN_CONTROL_STATUSES
        )
        grouped[parent].append(
            ControlLine(
                ref=control.ref,
                description=control.description,
                status=control.status.label,
                owner=owner_name,
                due=control.due_date,
                overdue=overdue,
            )
        )
    return grouped


def themes(session: Session, *, now: datetime, window_days: int, min_issues: int) -> list[Theme]:
    """Repeated issues: at least ``min_issues`` of one category at one service in the window."""
    since = now - timedelta(days=window_days)
    query = (
        select(Issue.category, Service.name, Issue.number)
        .join(Service, col(Service.id) == Issue.service_id)
        .where(col(Issue.reported_at) >= since, col(Issue.reported_at) <= now)
        .order_by(col(Issue.number))
    )
    grouped: dict[tuple[IssueCategory, str], list[int]] = defaultdict(list)
    for category, service, number in session.exec(query):
        grouped[(IssueCategory(category), service)].append(number)
    found = [
        Theme(
            category=category.label,
            service=service,
            count=len(numbers),
            refs=[f"GL-{n:04d}" for n in numbers],
        )
        for (category, service), numbers in grouped.items()
        if len(numbers) >= min_issues
    ]
    return sorted(found, key=lambda t: (-t.count, t.category, t.service))


def issue_facts(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    today: date,
    theme_days: int,
    theme_min: int,
    oldest: int = 5,
) -> IssueFacts:
    """The daily (or weekly) issue digest: what came in between ``start`` and ``end``, and
    what is still open at ``now``."""
    new_query = (
        select(Issue.category, Service.name, func.count())
        .join(Service, col(Service.id) == Issue.service_id)
        .where(col(Issue.reported_at) >= start, col(Issue.reported_at) < end)
        .group_by(Issue.category, Service.name)
    )
    new_rows = sorted(
        (
            (IssueCategory(category).label, service, count)
            for category, service, count in session.exec(new_query)
        ),
        key=lambda row: (-row[2], row[0], row[1]),
    )
    open_statuses = list(OPEN_ISSUE_STATUSES)
    lines = _issue_lines(
        session,
        or_(
            col(Issue.status).in_(open_statuses),
            col(Issue.status) == IssueStatus.RESOLVED,
            (col(Issue.closed_at) >= start) & (col(Issue.closed_at) < end),
        ),
    )
    open_lines = [line for line in lines if line.status in OPEN_ISSUE_STATUSES]
    closed = [line for line in lines if line.status == IssueStatus.CLOSED]
    return IssueFacts(
        start=start,
        end=end,
        now=now,
        today=today,
        new_total=sum(row[2] for row in new_rows),
        new_by_category_service=[Count(f"{c} · {s}", n) for c, s, n in new_rows],
        open_total=len(open_lines),
        urgent_open=[
            line
            for line in open_lines
            if line.urgency == Urgency.URGENT or line.impact == Impact.SAFE_CARE
        ],
        overdue_corrections=[
            line for line in open_lines if line.correction_due and line.correction_due < today
        ],
        themes=themes(session, now=now, window_days=theme_days, min_issues=theme_min),
        unsafe_workarounds=[line for line in open_lines if line.workaround == Workaround.UNSAFE],
        closed=closed,
        closed_without_evidence=[
            line for line in closed if not (line.closure_evidence or "").strip()
        ],
        awaiting_evidence=[line for line in lines if line.status == IssueStatus.RESOLVED],
        oldest_open=open_lines[:oldest],
    )


@dataclass(frozen=True)
class RiskLine:
    ref: str
    title: str
    service: str | None
    score: int
    band: Band
    owner: str | None
    review_date: date | None
    review_overdue: bool
    escalation_route: str | None
    controls: list[ControlLine]


@dataclass(frozen=True)
class HeatRow:
    likelihood: int
    label: str
    cells: list[int]


@dataclass(frozen=True)
class Rescore:
    ref: str
    title: str
    old: int | None
    new: int

    @property
    def direction(self) -> str:
        if self.old is None:
            return "scored"
        return "up" if self.new > self.old else "down" if self.new < self.old else "confirmed"


@dataclass(frozen=True)
class DecisionLine:
    ref: str
    kind: str
    summary: str
    decided_by: str | None
    decided_at: datetime


@dataclass(frozen=True)
class AskLine:
    ref: str
    reason: str
    since: datetime


@dataclass(frozen=True)
class RegisterFacts:
    start: datetime
    end: datetime
    today: date
    open_total: int
    unscored: int
    heat: list[HeatRow]
    impact_labels: list[str]
    bands: dict[Band, int]
    bands_before: dict[Band, int]
    high_risks: list[RiskLine]
    control_counts: dict[str, int]
    overdue_controls: int
    overdue_reviews: list[RiskLine]
    new_risks: list[str]
    closed_risks: list[str]
    rescored: list[Rescore]
    decisions: list[DecisionLine]
    asks: list[AskLine]
    by_register: dict[str, int]
    ineffective: list[ControlLine]


def register_facts(
    session: Session, *, start: datetime, end: datetime, today: date
) -> RegisterFacts:
    """The board's view of the register: heat map, high and extreme risks with their controls,
    control status, decisions taken and asked for, and what changed since ``start``."""
    owner = aliased(Person)
    risk_rows = list(
        session.exec(
            select(Risk, Service.name, owner.name)
            .join(Service, col(Service.id) == Risk.service_id, isouter=True)
            .join(owner, col(owner.id) == Risk.owner_id, isouter=True)
            .order_by(col(Risk.score).desc().nulls_last(), col(Risk.number))
        )
    )
    open_rows = [row for row in risk_rows if row[0].status in OPEN_RISK_STATUSES]
    open_ids = [risk.id for risk, _, _ in open_rows]
    controls = (
        controls_by(session, col(Control.risk_id).in_(open_ids), today=today) if open_ids else {}
    )
    grid = {(lk, im): 0 for lk in range(1, 6) for im in range(1, 6)}
    bands = dict.fromkeys(Band, 0)
    by_register: Tally[str] = Tally()
    for risk, _, _ in open_rows:
        by_register[risk.risk_register.label] += 1
        if risk.likelihood and risk.impact:
            grid[(risk.likelihood, risk.impact)] += 1
            bands[band_for(risk.likelihood * risk.impact)] += 1

    def line(risk: Risk, service: str | None, owner_name: str | None) -> RiskLine:
        score = risk.score or 0
        return RiskLine(
            ref=risk.ref,
            title=risk.title,
            service=service,
            score=score,
            band=band_for(score) if score else Band.LOW,
            owner=owner_name,
            review_date=risk.review_date,
            review_overdue=bool(risk.review_date and risk.review_date < today),
            escalation_route=risk.escalation_route,
            controls=controls.get(("risk", risk.id), []),
        )

    all_controls = [c for group in controls.values() for c in group]
    status_counts: Tally[str] = Tally(c.status for c in all_controls)
    before = _scores_before(session, start)
    bands_before = dict.fromkeys(Band, 0)
    for risk, _, _ in risk_rows:
        was_open = risk.created_at < start and (
            risk.status in OPEN_RISK_STATUSES or risk.updated_at >= start
        )
        score = before.get(risk.id or 0)
        if was_open and score:
            bands_before[band_for(score)] += 1
    rescored = _rescored(session, start=start, end=end, before=before)
    return RegisterFacts(
        start=start,
        end=end,
        today=today,
        open_total=len(open_rows),
        unscored=sum(1 for risk, _, _ in open_rows if risk.score is None),
        heat=[
            HeatRow(lk, LIKELIHOOD[lk][0], [grid[(lk, im)] for im in range(1, 6)])
            for lk in range(5, 0, -1)
        ],
        impact_labels=[IMPACT[im][0] for im in range(1, 6)],
        bands=bands,
        bands_before=bands_before,
        high_risks=[line(*row) for row in open_rows if (row[0].score or 0) >= HIGH_SCORE],
        control_counts={status.label: status_counts[status.label] for status in ControlStatus},
        overdue_controls=sum(1 for c in all_controls if c.overdue),
        overdue_reviews=[
            line(*row)
            for row in open_rows
            if row[0].review_date is not None and row[0].review_date < today
        ],
        new_risks=[
            f"{risk.ref} {risk.title}" for risk, _, _ in risk_rows if start <= risk.created_at < end
        ],
        closed_risks=[
            f"{risk.ref} {risk.title} ({risk.status.label.lower()})"
            for risk, _, _ in risk_rows
            if risk.status not in OPEN_RISK_STATUSES and start <= risk.updated_at < end
        ],
        rescored=rescored,
        decisions=_decisions(session, start=start, end=end),
        asks=_asks(session),
        by_register={
            register.label: by_register[register.label]
            for register in Register
            if by_register[register.label]
        },
        ineffective=[c for c in all_controls if c.status == ControlStatus.INEFFECTIVE.label],
    )


def _scores_before(session: Session, start: datetime) -> dict[int, int]:
    """Each risk's score as it stood at ``start``, from its scoring history."""
    query = (
        select(RiskAssessment.risk_id, RiskAssessment.likelihood, RiskAssessment.impact)
        .where(col(RiskAssessment.assessed_at) < start)
        .order_by(col(RiskAssessment.assessed_at), col(RiskAssessment.id))
    )
    return {risk_id: lk * im for risk_id, lk, im in session.exec(query)}


def _rescored(
    session: Session, *, start: datetime, end: datetime, before: dict[int, int]
) -> list[Rescore]:
    query = (
        select(Risk, RiskAssessment.likelihood, RiskAssessment.impact)
        .join(Risk, col(Risk.id) == RiskAssessment.risk_id)
        .where(col(RiskAssessment.assessed_at) >= start, col(RiskAssessment.assessed_at) < end)
        .order_by(col(RiskAssessment.assessed_at), col(RiskAssessment.id))
    )
    latest: dict[int, Rescore] = {}
    for risk, lk, im in session.exec(query):
        assert risk.id is not None
        latest[risk.id] = Rescore(
            ref=risk.ref, title=risk.title, old=before.get(risk.id), new=lk * im
        )
    return sorted(latest.values(), key=lambda r: r.ref)


def _decisions(session: Session, *, start: datetime, end: datetime) -> list[DecisionLine]:
    decider = aliased(Person)
    query = (
        select(Decision, Risk, Issue, decider.name)
        .join(Risk, col(Risk.id) == Decision.risk_id, isouter=True)
        .join(Issue, col(Issue.id) == Decision.issue_id, isouter=True)
        .join(decider, col(decider.id) == Decision.decided_by_id, isouter=True)
        .where(col(Decision.decided_at) >= start, col(Decision.decided_at) < end)
        .order_by(col(Decision.decided_at), col(Decision.id))
    )
    return [
        DecisionLine(
            ref=risk.ref if risk else issue.ref if issue else "",
            kind=decision.kind.label,
            summary=decision.summary,
            decided_by=name,
            decided_at=decision.decided_at,
        )
        for decision, risk, issue, name in session.exec(query)
    ]


def _asks(session: Session) -> list[AskLine]:
    """Items escalated to the board and not yet resolved: the decisions it is asked to take."""
    query = (
        select(Escalation)
        .where(Escalation.level == BOARD_LEVEL, col(Escalation.resolved_at).is_(None))
        .order_by(col(Escalation.escalated_at), col(Escalation.id))
    )
    return [
        AskLine(ref=row.item_ref, reason=row.reason, since=row.escalated_at)
        for row in session.exec(query)
    ]
