"""The facts a digest reports for a period, gathered in a few set-based queries.

Each function returns plain, display-ready records (names resolved, labels chosen), so a
template can show them without touching the database, and a digest costs the same few
queries whether the register holds ten items or ten thousand: lists are counted in SQL and
only the lines a digest shows are read.
"""

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Select,
    SQLColumnExpression,
    Subquery,
    case,
    func,
    literal_column,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.records.control_lines import ControlLine, control_line, controls_by
from store.records.enums import (
    Band,
    ControlStatus,
    Impact,
    IssueCategory,
    IssueStatus,
    Register,
    Urgency,
    Workaround,
)
from store.records.models import (
    RISK_PREFIX,
    Control,
    Decision,
    Escalation,
    Issue,
    Person,
    Risk,
    RiskAssessment,
    Service,
)
from store.records.scoring import HIGH_SCORE, IMPACT, LIKELIHOOD, band_for

BOARD_LEVEL = "board"
Line = TypeVar("Line")


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
class Shown(Generic[Line]):
    """The first lines of a list, as many as a digest shows, and how many there are in all:
    the digest names a few and counts the rest, so only those few are read."""

    lines: list[Line]
    total: int


@dataclass(frozen=True)
class IssueFacts:
    start: datetime
    end: datetime
    now: datetime
    today: date
    new_total: int
    new_by_category_service: list[Count]
    open_total: int
    urgent_open: Shown[IssueLine]
    overdue_corrections: Shown[IssueLine]
    themes: list[Theme]
    unsafe_workarounds: Shown[IssueLine]
    closed: Shown[IssueLine]
    closed_without_evidence: Shown[IssueLine]
    """Every one: closing needs evidence, so these are exceptions the monthly review names in
    full."""
    awaiting_evidence: Shown[IssueLine]
    oldest_open: list[IssueLine]


def _count_if(condition: ColumnExpressionArgument[bool]) -> ColumnElement[int]:
    """How many rows meet ``condition``, as one column of a single aggregate query."""
    return func.count(case((condition, 1)))


def _first_ids(
    id_column: SQLColumnExpression[int | None],
    order: Sequence[ColumnExpressionArgument[Any]],
    lists: Sequence[tuple[ColumnExpressionArgument[bool], int | None]],
) -> Subquery:
    """The ids of the first ``limit`` rows (in ``order``) meeting each list's condition, each
    tagged with its list's position, as one subquery: every list's lines come back in one
    read, whatever the size of the table.

    Rows are ranked rather than cut with LIMIT: with ORDER BY reported_at LIMIT 10,
    PostgreSQL walks the reported_at index from the oldest issue, filtering tens of thousands
    of closed ones to reach the few open ones; ranking reads just the rows that match."""
    parts: list[Select[Any]] = []
    for tag, (condition, limit) in enumerate(lists):
        rank = func.row_number().over(order_by=order).label("rank")
        ranked = sa_select(id_column, rank).where(condition).subquery()
        part = sa_select(ranked.c.id, literal_column(str(tag)).label("tag"))
        parts.append(part if limit is None else part.where(ranked.c.rank <= limit))
    return union_all(*parts).subquery()


def _issue_lines(
    session: Session, lists: Sequence[tuple[ColumnExpressionArgument[bool], int | None]]
) -> list[list[IssueLine]]:
    """The first issues of each list, oldest first, with service and owner names and their
    immediate controls, in two queries."""
    order = (col(Issue.reported_at), col(Issue.number))
    tagged = _first_ids(col(Issue.id), order, lists)
    owner = aliased(Person)
    query = (
        select(Issue, Service.name, owner.name, tagged.c.tag)
        .join(tagged, tagged.c.id == col(Issue.id))
        .join(Service, col(Service.id) == Issue.service_id)
        .join(owner, col(owner.id) == Issue.owner_id, isouter=True)
        .order_by(*order)
    )
    rows = list(session.exec(query))
    ids = list({issue.id for issue, _, _, _ in rows})
    controls = controls_by(session, col(Control.issue_id).in_(ids)) if ids else {}
    found: list[list[IssueLine]] = [[] for _ in lists]
    for issue, service, owner_name, tag in rows:
        found[int(tag)].append(
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
        )
    return found


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


def _closed_between(
    session: Session, *, start: datetime, end: datetime
) -> tuple[list[int], list[int]]:
    """The ids of the issues closed between ``start`` and ``end``, oldest reported first, and
    of those closed without evidence: one read of the period's closures (by the closed_at
    index) yields both lists and the count."""
    blank = func.coalesce(func.trim(col(Issue.closure_evidence)), "") == ""
    rows = session.exec(
        select(Issue.id, blank)
        .where(
            col(Issue.status) == IssueStatus.CLOSED,
            col(Issue.closed_at) >= start,
            col(Issue.closed_at) < end,
        )
        .order_by(col(Issue.reported_at), col(Issue.number))
    ).all()
    closed: list[int] = []
    unproven: list[int] = []
    for issue_id, blank_evidence in rows:
        assert issue_id is not None
        closed.append(issue_id)
        if blank_evidence:
            unproven.append(issue_id)
    return closed, unproven


def issue_facts(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    today: date,
    theme_days: int,
    theme_min: int,
    shown: int,
    oldest: int = 5,
) -> IssueFacts:
    """The daily (or weekly) issue digest: what came in between ``start`` and ``end``, and
    what is still open at ``now``. Each list is counted in SQL and only its first ``shown``
    lines are read."""
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
    is_open = Issue.is_open
    urgent = is_open & (
        (col(Issue.urgency) == Urgency.URGENT) | (col(Issue.impact) == Impact.SAFE_CARE)
    )
    overdue = Issue.is_correction_overdue(today)
    unsafe = is_open & (col(Issue.workaround) == Workaround.UNSAFE)
    awaiting = col(Issue.status) == IssueStatus.RESOLVED
    open_total, urgent_total, overdue_total, unsafe_total, awaiting_total = session.execute(
        sa_select(
            _count_if(is_open),
            _count_if(urgent),
            _count_if(overdue),
            _count_if(unsafe),
            _count_if(awaiting),
        ).where(is_open | awaiting)
    ).one()
    closed, no_evidence = _closed_between(session, start=start, end=end)
    lists = _issue_lines(
        session,
        [
            (urgent, shown),
            (overdue, shown),
            (unsafe, shown),
            (col(Issue.id).in_(closed[:shown]), None),
            (col(Issue.id).in_(no_evidence), None),
            (awaiting, shown),
            (is_open, oldest),
        ],
    )
    urgent_lines, overdue_lines, unsafe_lines, closed_lines, no_evidence_lines = lists[:5]
    awaiting_lines, oldest_lines = lists[5:]
    return IssueFacts(
        start=start,
        end=end,
        now=now,
        today=today,
        new_total=sum(row[2] for row in new_rows),
        new_by_category_service=[Count(f"{c} · {s}", n) for c, s, n in new_rows],
        open_total=open_total,
        urgent_open=Shown(urgent_lines, urgent_total),
        overdue_corrections=Shown(overdue_lines, overdue_total),
        themes=themes(session, now=now, window_days=theme_days, min_issues=theme_min),
        unsafe_workarounds=Shown(unsafe_lines, unsafe_total),
        closed=Shown(closed_lines, len(closed)),
        closed_without_evidence=Shown(no_evidence_lines, len(no_evidence_lines)),
        awaiting_evidence=Shown(awaiting_lines, awaiting_total),
        oldest_open=oldest_lines,
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
    high_risks: Shown[RiskLine]
    control_counts: dict[str, int]
    overdue_controls: int
    overdue_reviews: Shown[RiskLine]
    new_risks: Shown[str]
    closed_risks: Shown[str]
    rescored: list[Rescore]
    decisions: list[DecisionLine]
    asks: Shown[AskLine]
    by_register: dict[str, int]
    ineffective: Shown[ControlLine]


def register_facts(
    session: Session, *, start: datetime, end: datetime, today: date, shown: int
) -> RegisterFacts:
    """The board's view of the register: heat map, high and extreme risks with their controls,
    control status, decisions taken and asked for, and what changed since ``start``.

    Counts come from grouped queries and only the first ``shown`` risks and controls of each
    list are read, so the review costs the same whatever the size of the register."""
    is_open = Risk.is_open
    grid = {(lk, im): 0 for lk in range(1, 6) for im in range(1, 6)}
    bands = dict.fromkeys(Band, 0)
    by_register: Tally[str] = Tally()
    open_total = unscored = 0
    for register, likelihood, impact, count in session.exec(
        select(Risk.risk_register, Risk.likelihood, Risk.impact, func.count())
        .where(is_open)
        .group_by(col(Risk.risk_register), col(Risk.likelihood), col(Risk.impact))
    ):
        open_total += count
        by_register[Register(register).label] += count
        if likelihood and impact:
            grid[(likelihood, impact)] += count
            bands[band_for(likelihood * impact)] += count
        else:
            unscored += count
    high = is_open & (col(Risk.score) >= HIGH_SCORE)
    review_overdue = is_open & Risk.is_review_overdue(today)
    created = (col(Risk.created_at) >= start) & (col(Risk.created_at) < end)
    closed = ~is_open & (col(Risk.updated_at) >= start) & (col(Risk.updated_at) < end)
    high_total, overdue_total, new_total, closed_total = session.exec(
        select(_count_if(high), _count_if(review_overdue), _count_if(created), _count_if(closed))
    ).one()
    high_rows, overdue_rows, new_rows, closed_rows = _risk_rows(
        session, [(high, shown), (review_overdue, shown), (created, shown), (closed, shown)]
    )
    listed = [risk.id for risk, _, _ in high_rows + overdue_rows]
    controls = controls_by(session, col(Control.risk_id).in_(listed), today=today) if listed else {}

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
            review_overdue=risk.is_review_overdue(today),
            escalation_route=risk.escalation_route,
            controls=controls.get(("risk", risk.id), []),
        )

    status_counts, overdue_controls = _control_counts(session, today=today)
    return RegisterFacts(
        start=start,
        end=end,
        today=today,
        open_total=open_total,
        unscored=unscored,
        heat=[
            HeatRow(lk, LIKELIHOOD[lk][0], [grid[(lk, im)] for im in range(1, 6)])
            for lk in range(5, 0, -1)
        ],
        impact_labels=[IMPACT[im][0] for im in range(1, 6)],
        bands=bands,
        bands_before=_bands_before(session, start),
        high_risks=Shown([line(*row) for row in high_rows], high_total),
        control_counts={status.label: status_counts.get(status, 0) for status in ControlStatus},
        overdue_controls=overdue_controls,
        overdue_reviews=Shown([line(*row) for row in overdue_rows], overdue_total),
        new_risks=Shown([f"{risk.ref} {risk.title}" for risk, _, _ in new_rows], new_total),
        closed_risks=Shown(
            [
                f"{risk.ref} {risk.title} ({risk.status.label.lower()})"
                for risk, _, _ in closed_rows
            ],
            closed_total,
        ),
        rescored=_rescored(session, start=start, end=end),
        decisions=_decisions(session, start=start, end=end),
        asks=_asks(session, limit=shown),
        by_register={
            register.label: by_register[register.label]
            for register in Register
            if by_register[register.label]
        },
        ineffective=Shown(
            _ineffective(session, today=today, limit=shown),
            status_counts.get(ControlStatus.INEFFECTIVE, 0),
        ),
    )


RiskRow = tuple[Risk, str | None, str | None]


def _risk_rows(
    session: Session, lists: Sequence[tuple[ColumnExpressionArgument[bool], int | None]]
) -> list[list[RiskRow]]:
    """The first risks of each list, highest score first, with service and owner names, in
    one query."""
    order = (col(Risk.score).desc().nulls_last(), col(Risk.number))
    tagged = _first_ids(col(Risk.id), order, lists)
    owner = aliased(Person)
    query = (
        select(Risk, Service.name, owner.name, tagged.c.tag)
        .join(tagged, tagged.c.id == col(Risk.id))
        .join(Service, col(Service.id) == Risk.service_id, isouter=True)
        .join(owner, col(owner.id) == Risk.owner_id, isouter=True)
        .order_by(*order)
    )
    found: list[list[RiskRow]] = [[] for _ in lists]
    for risk, service, owner_name, tag in session.exec(query):
        found[int(tag)].append((risk, service, owner_name))
    return found


def _control_counts(session: Session, *, today: date) -> tuple[dict[ControlStatus, int], int]:
    """How many controls on open risks stand at each status, and how many are overdue."""
    query = (
        select(Control.status, func.count(), _count_if(Control.is_overdue(today)))
        .join(Risk, col(Risk.id) == Control.risk_id)
        .where(Risk.is_open)
        .group_by(Control.status)
    )
    counts: dict[ControlStatus, int] = {}
    late = 0
    for status, count, overdue_count in session.exec(query):
        counts[ControlStatus(status)] = count
        late += overdue_count
    return counts, late


def _ineffective(session: Session, *, today: date, limit: int) -> list[ControlLine]:
    """The first controls on open risks found ineffective: grouped by risk, risks in the order
    of their first control, as the review has always listed them."""
    sibling = aliased(Control)
    first_of_risk = (
        select(func.min(sibling.id)).where(sibling.risk_id == Control.risk_id).scalar_subquery()
    )
    owner = aliased(Person)
    query = (
        select(Control, owner.name)
        .join(Risk, col(Risk.id) == Control.risk_id)
        .join(owner, col(owner.id) == Control.owner_id, isouter=True)
        .where(
            Risk.is_open,
            col(Control.status) == ControlStatus.INEFFECTIVE,
        )
        .order_by(first_of_risk, col(Control.id))
        .limit(limit)
    )
    return [control_line(control, owner_name, today) for control, owner_name in session.exec(query)]


def _latest_scores(since: datetime | None, until: datetime) -> Subquery:
    """Each risk's last scoring in [``since``, ``until``): its risk id and score."""
    rank = (
        func.row_number()
        .over(
            partition_by=col(RiskAssessment.risk_id),
            order_by=(col(RiskAssessment.assessed_at).desc(), col(RiskAssessment.id).desc()),
        )
        .label("rank")
    )
    window = [col(RiskAssessment.assessed_at) < until]
    if since is not None:
        window.append(col(RiskAssessment.assessed_at) >= since)
    ranked = (
        select(
            col(RiskAssessment.risk_id).label("risk_id"),
            (col(RiskAssessment.likelihood) * col(RiskAssessment.impact)).label("score"),
            rank,
        )
        .where(*window)
        .subquery()
    )
    return select(ranked.c.risk_id, ranked.c.score).where(ranked.c.rank == 1).subquery()


def _bands_before(session: Session, start: datetime) -> dict[Band, int]:
    """The bands of the risks open at ``start``, by the score each had then."""
    before = _latest_scores(None, start)
    query = (
        select(before.c.score, func.count())
        .join(Risk, col(Risk.id) == before.c.risk_id)
        .where(
            col(Risk.created_at) < start,
            Risk.is_open | (col(Risk.updated_at) >= start),
        )
        .group_by(before.c.score)
    )
    bands = dict.fromkeys(Band, 0)
    for score, count in session.exec(query):
        if score:
            bands[band_for(score)] += count
    return bands


def _rescored(session: Session, *, start: datetime, end: datetime) -> list[Rescore]:
    """Each risk scored between ``start`` and ``end``: its score at ``start`` and its last."""
    before = _latest_scores(None, start)
    latest = _latest_scores(start, end)
    query = (
        select(Risk.number, Risk.title, before.c.score, latest.c.score)
        .join(latest, latest.c.risk_id == col(Risk.id))
        .join(before, before.c.risk_id == col(Risk.id), isouter=True)
    )
    found = [
        Rescore(ref=f"{RISK_PREFIX}{number:03d}", title=title, old=old, new=new)
        for number, title, old, new in session.exec(query)
    ]
    return sorted(found, key=lambda r: r.ref)


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


def _asks(session: Session, *, limit: int) -> Shown[AskLine]:
    """Items escalated to the board and not yet resolved: the decisions it is asked to take.
    The first ``limit`` and, with each, how many there are in all, in one query."""
    query = (
        select(Escalation.item_ref, Escalation.reason, Escalation.escalated_at, func.count().over())
        .where(Escalation.level == BOARD_LEVEL, col(Escalation.resolved_at).is_(None))
        .order_by(col(Escalation.escalated_at), col(Escalation.id))
        .limit(limit)
    )
    rows = session.exec(query).all()
    return Shown(
        [AskLine(ref=ref, reason=reason, since=since) for ref, reason, since, _ in rows],
        rows[0][3] if rows else 0,
    )
