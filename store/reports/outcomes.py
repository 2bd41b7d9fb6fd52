"""Outcome measures computed from the records: is the go-live settling, and did the controls
work? Unresolved issues over time, repeat themes, the share closed with evidence, time to
triage and to resolve, and how controls ended up.

Every measure reads its records in one query and works the rest out in memory, so the
evidence pack and the monthly review cost the same few statements at any size; what the
monthly review shows only as a total (unresolved at two moments, the evidence share, the
number of repeat themes) is counted in SQL instead, so it reads no more than it shows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from statistics import median

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from store.records.enums import ControlStatus, IssueCategory
from store.records.models import Control, FollowUpAudit, Issue, Risk, RiskAssessment, Service

Timeline = list[tuple[datetime, datetime | None, datetime | None]]


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class RepeatTheme:
    """One kind of problem that keeps coming back at one service."""

    category: str
    service: str
    count: int
    first: date
    last: date
    refs: list[str]


@dataclass(frozen=True)
class EvidenceShare:
    """Of the issues put right (resolved or closed), how many were closed with evidence."""

    closed_with_evidence: int
    put_right: int

    @property
    def percent(self) -> int | None:
        return (
            None if not self.put_right else round(100 * self.closed_with_evidence / self.put_right)
        )


@dataclass(frozen=True)
class Timing:
    """How long one group of issues took, in hours; None where none got that far."""

    group: str
    issues: int
    triaged: int
    median_triage_hours: float | None
    resolved: int
    median_resolve_hours: float | None


@dataclass(frozen=True)
class ControlTally:
    """How the controls ended up: the seed's complete vs delayed vs ineffective, and the rest."""

    kind: str
    complete: int
    delayed: int
    ineffective: int
    in_progress: int
    planned: int

    @property
    def total(self) -> int:
        return self.complete + self.delayed + self.ineffective + self.in_progress + self.planned


@dataclass(frozen=True)
class WeekVolume:
    week: date
    total: int
    by_category: dict[str, int]


@dataclass(frozen=True)
class Outcomes:
    unresolved: list[DayCount]
    weekly: list[WeekVolume]
    themes: list[RepeatTheme]
    evidence: EvidenceShare
    median_resolve_hours: float | None
    by_category: list[Timing]
    by_service: list[Timing]
    controls: list[ControlTally]


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def _median(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def unresolved_over_time(
    session: Session, *, start: date, end: date, zone: tzinfo = UTC
) -> list[DayCount]:
    """Issues reported but not yet resolved at the end of each day from start to end.

    A reopened issue counts as unresolved from its report, since reopening clears its
    resolution; that is the cautious reading an inspector would want."""
    rows = session.exec(select(Issue.reported_at, Issue.resolved_at, Issue.closed_at)).all()
    days = []
    day = start
    while day <= end:
        cutoff = datetime.combine(day + timedelta(days=1), time(0), zone)
        count = sum(
            1
            for reported, resolved, closed in rows
            if reported < cutoff and not _settled_before(resolved, closed, cutoff)
        )
        days.append(DayCount(day, count))
        day += timedelta(days=1)
    return days


def _settled_before(resolved: datetime | None, closed: datetime | None, cutoff: datetime) -> bool:
    done = [moment for moment in (resolved, closed) if moment is not None]
    return bool(done) and min(done) < cutoff


def weekly_volumes(session: Session, *, zone: tzinfo = UTC) -> list[WeekVolume]:
    """Issues reported each week (weeks start on Monday, in the provider's zone), by category."""
    rows = session.exec(select(Issue.reported_at, Issue.category)).all()
    weeks: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for reported, category in rows:
        day = local_day(reported, zone)
        weeks[day - timedelta(days=day.weekday())][IssueCategory(category).label] += 1
    return [
        WeekVolume(week, sum(counts.values()), dict(sorted(counts.items(), key=lambda c: -c[1])))
        for week, counts in sorted(weeks.items())
    ]


def repeat_themes(
    session: Session, *, min_issues: int = 3, zone: tzinfo = UTC
) -> list[RepeatTheme]:
    """One category at one service reported at least ``min_issues`` times, most first."""
    query = (
        select(Issue.category, Service.name, Issue.number, Issue.reported_at)
        .join(Service, col(Service.id) == Issue.service_id)
        .order_by(col(Issue.number))
    )
    grouped: dict[tuple[IssueCategory, str], list[tuple[int, datetime]]] = defaultdict(list)
    for category, service, number, reported in session.exec(query):
        grouped[(IssueCategory(category), service)].append((number, reported))
    found = [
        RepeatTheme(
            category=category.label,
            service=service,
            count=len(items),
            first=min(local_day(at, zone) for _, at in items),
            last=max(local_day(at, zone) for _, at in items),
            refs=[f"GL-{number:04d}" for number, _ in items],
        )
        for (category, service), items in grouped.items()
        if len(items) >= min_issues
    ]
    return sorted(found, key=lambda t: (-t.count, t.category, t.service))


def evidence_share(session: Session) -> EvidenceShare:
    """Counted in SQL: closure evidence is stored trimmed, so blank means none was given."""
    put_right = col(Issue.resolved_at).is_not(None) | col(Issue.closed_at).is_not(None)
    with_evidence = col(Issue.closed_at).is_not(None) & (
        func.coalesce(func.trim(col(Issue.closure_evidence)), "") != ""
    )
    total, closed_with_evidence = session.exec(
        select(func.count(), func.count(case((with_evidence, 1)))).where(put_right)
    ).one()
    return EvidenceShare(closed_with_evidence=closed_with_evidence, put_right=total)


def timings(session: Session) -> tuple[float | None, list[Timing], list[Timing]]:
    """The median time to resolve overall, then time to triage and to resolve by category and
    by service."""
    rows = [
        (IssueCategory(category), service, issue_times[0], issue_times[1], issue_times[2])
        for category, service, *issue_times in session.execute(
            sa_select(
                col(Issue.category),
                col(Service.name),
                col(Issue.reported_at),
                col(Issue.triaged_at),
                col(Issue.resolved_at),
            ).join(Service, col(Service.id) == Issue.service_id)
        )
    ]

    def group(key_of: int) -> list[Timing]:
        triage: dict[str, list[float]] = defaultdict(list)
        resolve: dict[str, list[float]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        for row in rows:
            key = row[0].label if key_of == 0 else row[1]
            counts[key] += 1
            if row[3] is not None:
                triage[key].append(_hours(row[3] - row[2]))
            if row[4] is not None:
                resolve[key].append(_hours(row[4] - row[2]))
        return [
            Timing(
                group=key,
                issues=counts[key],
                triaged=len(triage[key]),
                median_triage_hours=_median(triage[key]),
                resolved=len(resolve[key]),
                median_resolve_hours=_median(resolve[key]),
            )
            for key in sorted(counts, key=lambda k: (-counts[k], k))
        ]

    overall = _median([_hours(row[4] - row[2]) for row in rows if row[4] is not None])
    return overall, group(0), group(1)


def control_tallies(session: Session) -> list[ControlTally]:
    """Controls on risks and immediate controls on issues, counted by status."""
    query = select(col(Control.risk_id).is_not(None), Control.status, func.count()).group_by(
        col(Control.risk_id).is_not(None), Control.status
    )
    counts: dict[tuple[bool, ControlStatus], int] = {
        (bool(on_risk), ControlStatus(status)): count
        for on_risk, status, count in session.exec(query)
    }

    def tally(kind: str, on_risk: bool) -> ControlTally:
        def n(status: ControlStatus) -> int:
            return counts.get((on_risk, status), 0)

        return ControlTally(
            kind=kind,
            complete=n(ControlStatus.COMPLETE),
            delayed=n(ControlStatus.DELAYED),
            ineffective=n(ControlStatus.INEFFECTIVE),
            in_progress=n(ControlStatus.IN_PROGRESS),
            planned=n(ControlStatus.PLANNED),
        )

    return [tally("Risk controls", True), tally("Immediate controls on issues", False)]


def outcome_measures(
    session: Session, *, start: date, end: date, zone: tzinfo = UTC, theme_min: int = 3
) -> Outcomes:
    """Every measure the seed names, for the days from ``start`` to ``end``."""
    overall, by_category, by_service = timings(session)
    return Outcomes(
        unresolved=unresolved_over_time(session, start=start, end=end, zone=zone),
        weekly=weekly_volumes(session, zone=zone),
        themes=repeat_themes(session, min_issues=theme_min, zone=zone),
        evidence=evidence_share(session),
        median_resolve_hours=overall,
        by_category=by_category,
        by_service=by_service,
        controls=control_tallies(session),
    )


def first_report_day(session: Session, *, zone: tzinfo = UTC) -> date | None:
    first = session.exec(select(func.min(Issue.reported_at))).one()
    return None if first is None else local_day(first, zone)


def ratings_at(session: Session, moment: datetime) -> dict[int, tuple[int, int]]:
    """Each risk's (likelihood, impact) as it stood at ``moment``: its latest assessment by
    then, for risks on the register by then; one query over the scoring history."""
    latest = (
        select(RiskAssessment.risk_id, func.max(RiskAssessment.id).label("last"))
        .where(col(RiskAssessment.assessed_at) <= moment)
        .group_by(col(RiskAssessment.risk_id))
        .subquery()
    )
    query = (
        select(RiskAssessment.risk_id, RiskAssessment.likelihood, RiskAssessment.impact)
        .join(latest, col(RiskAssessment.id) == latest.c.last)
        .join(Risk, col(Risk.id) == RiskAssessment.risk_id)
        .where(col(Risk.created_at) <= moment)
    )
    return {risk_id: (lik, imp) for risk_id, lik, imp in session.exec(query)}


def heat_grid(pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Counts on the 5x5 matrix: ``grid[likelihood - 1][impact - 1]``."""
    grid = [[0] * 5 for _ in range(5)]
    for likelihood, impact in pairs:
        grid[likelihood - 1][impact - 1] += 1
    return grid


@dataclass(frozen=True)
class AuditPoint:
    """One follow-up audit's result and the open risks' residual score when it was recorded."""

    ref: str
    topic: str
    recorded: datetime
    residual: int
    high: int
    reducing: bool


@dataclass(frozen=True)
class MonthlyOutcomes:
    """What the monthly review shows: are things settling, and is residual risk falling?"""

    unresolved_at_start: int
    unresolved_at_end: int
    evidence: EvidenceShare
    median_resolve_hours: float | None
    theme_count: int
    controls: list[ControlTally]
    audits: list[AuditPoint]

    @property
    def residual_falling(self) -> bool | None:
        """None until two audit results exist to compare."""
        if len(self.audits) < 2:
            return None
        return self.audits[-1].residual < self.audits[-2].residual


def residual_trend(session: Session) -> list[AuditPoint]:
    """Follow-up audit results in the order recorded, each with its residual-risk snapshot."""
    query = (
        select(FollowUpAudit)
        .where(col(FollowUpAudit.recorded_at).is_not(None))
        .order_by(col(FollowUpAudit.recorded_at), col(FollowUpAudit.id))
    )
    return [
        AuditPoint(
            ref=item.ref,
            topic=item.topic,
            recorded=item.recorded_at,
            residual=item.residual_score or 0,
            high=item.high_risks or 0,
            reducing=bool(item.risks_reducing),
        )
        for item in session.exec(query)
        if item.recorded_at is not None
    ]


def unresolved_at(session: Session, moments: list[datetime]) -> list[int]:
    """How many issues were reported but not yet resolved or closed at each moment, counted
    in one query; the same reading as ``unresolved_over_time``."""
    reported, resolved, closed = (
        col(Issue.reported_at),
        col(Issue.resolved_at),
        col(Issue.closed_at),
    )
    counts = [
        func.count(
            case(
                (
                    (reported < moment)
                    & (resolved.is_(None) | (resolved >= moment))
                    & (closed.is_(None) | (closed >= moment)),
                    1,
                )
            )
        )
        for moment in moments
    ]
    return [int(count) for count in session.execute(sa_select(*counts)).one()]


def median_resolve_hours(session: Session) -> float | None:
    """The median time from report to resolution over every resolved issue."""
    rows = session.exec(
        select(Issue.reported_at, Issue.resolved_at).where(col(Issue.resolved_at).is_not(None))
    ).all()
    return _median([_hours(resolved - reported) for reported, resolved in rows if resolved])


def repeat_theme_count(session: Session, *, min_issues: int = 3) -> int:
    """How many repeat themes ``repeat_themes`` would list, counted in SQL."""
    themes = (
        select(Issue.category, Service.name)
        .join(Service, col(Service.id) == Issue.service_id)
        .group_by(Issue.category, Service.name)
        .having(func.count() >= min_issues)
        .subquery()
    )
    return session.exec(select(func.count()).select_from(themes)).one()


def monthly_outcomes(
    session: Session, *, start: date, end: date, zone: tzinfo = UTC, theme_min: int = 3
) -> MonthlyOutcomes:
    """The outcome measures for the monthly review of the days from ``start`` to ``end``:
    counts from SQL and one read of resolution times, so the review stays quick however long
    the record."""
    at_start, at_end = unresolved_at(
        session,
        [
            datetime.combine(start, time(0), zone),
            datetime.combine(end + timedelta(days=1), time(0), zone),
        ],
    )
    return MonthlyOutcomes(
        unresolved_at_start=at_start,
        unresolved_at_end=at_end,
        evidence=evidence_share(session),
        median_resolve_hours=median_resolve_hours(session),
        theme_count=repeat_theme_count(session, min_issues=theme_min),
        controls=control_tallies(session),
        audits=residual_trend(session),
    )
