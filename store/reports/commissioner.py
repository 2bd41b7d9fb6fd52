"""The monthly summary for the local authority's commissioners.

Commissioners need to know the go-live is safe, not who did what: so the summary holds counts,
references, fixed labels (categories, statuses, bands) and service names only, never a
person's name and never anything typed as free text (descriptions, notes, evidence, titles).
Everything here is built from those fields alone, so nothing else can leak in.
"""

import csv
import io
from collections import Counter as Tally
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from store.infra.errors import ValidationError
from store.records.enums import OPEN_ISSUE_STATUSES, Band, Impact, IssueCategory
from store.records.models import Issue, Risk, Service
from store.records.scoring import band_for


@dataclass(frozen=True)
class CareIssue:
    ref: str
    category: str
    service: str
    impact: str
    status: str


@dataclass(frozen=True)
class OpenRisk:
    ref: str
    category: str
    service: str
    band: str
    score: int


@dataclass(frozen=True)
class CommissionerFacts:
    start: datetime
    end: datetime
    reported: int
    by_category: list[tuple[str, int]]
    by_service: list[tuple[str, int]]
    resolved: int
    median_resolve_hours: float | None
    open_issues: int
    high_risks: list[OpenRisk]
    care_issues: list[CareIssue]
    care_by_status: list[tuple[str, int]]


def commissioner_facts(session: Session, *, start: datetime, end: datetime) -> CommissionerFacts:
    """Issues reported and resolved in [start, end), and the register as it stands."""
    names = {s.id: s.name for s in session.exec(select(Service))}
    reported = list(
        session.exec(
            select(Issue)
            .where(col(Issue.reported_at) >= start, col(Issue.reported_at) < end)
            .order_by(col(Issue.number))
        )
    )
    resolved = list(
        session.exec(
            select(Issue).where(col(Issue.resolved_at) >= start, col(Issue.resolved_at) < end)
        )
    )
    hours = [
        (issue.resolved_at - issue.reported_at).total_seconds() / 3600
        for issue in resolved
        if issue.resolved_at is not None
    ]
    by_category = Tally(issue.category for issue in reported)
    by_service = Tally(names.get(issue.service_id, "") for issue in reported)
    open_issues = session.exec(
        select(Issue.id).where(col(Issue.status).in_(list(OPEN_ISSUE_STATUSES)))
    ).all()
    care = [
        CareIssue(
            ref=issue.ref,
            category=issue.category.label,
            service=names.get(issue.service_id, ""),
            impact=issue.impact.label,
            status=issue.status.label,
        )
        for issue in session.exec(
            select(Issue)
            .where(col(Issue.impact) != Impact.NONE)
            .where(
                col(Issue.status).in_(list(OPEN_ISSUE_STATUSES))
                | (col(Issue.reported_at) >= start) & (col(Issue.reported_at) < end)
            )
            .order_by(col(Issue.number))
        )
    ]
    risks = [
        OpenRisk(
            ref=risk.ref,
            category=risk.category.label,
            service=names.get(risk.service_id, "Whole organisation")
            if risk.service_id
            else "Whole organisation",
            band=band_for(risk.score).label,
            score=risk.score,
        )
        for risk in session.exec(
            select(Risk)
            .where(Risk.is_open)
            .where(col(Risk.score).is_not(None))
            .order_by(col(Risk.score).desc(), col(Risk.number))
        )
        if risk.score is not None and band_for(risk.score) in (Band.HIGH, Band.EXTREME)
    ]
    return CommissionerFacts(
        start=start,
        end=end,
        reported=len(reported),
        by_category=[(c.label, by_category[c]) for c in IssueCategory if by_category[c]],
        by_service=sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0])),
        resolved=len(resolved),
        median_resolve_hours=round(median(hours), 1) if hours else None,
        open_issues=len(open_issues),
        high_risks=risks,
        care_issues=care,
        care_by_status=sorted(Tally(c.status for c in care).items()),
    )


def as_rows(facts: CommissionerFacts) -> list[list[str]]:
    """The same summary as rows for a CSV or a spreadsheet: (section, item, value)."""
    rows = [["Section", "Item", "Value"]]
    rows.append(["Period", "From", facts.start.isoformat()])
    rows.append(["Period", "To", facts.end.isoformat()])
    rows.append(["Issues", "Reported", str(facts.reported)])
    rows.append(["Issues", "Resolved", str(facts.resolved)])
    median_text = "" if facts.median_resolve_hours is None else str(facts.median_resolve_hours)
    rows.append(["Issues", "Median hours to resolve", median_text])
    rows.append(["Issues", "Open now", str(facts.open_issues)])
    rows += [["Issues by category", label, str(n)] for label, n in facts.by_category]
    rows += [["Issues by service", name, str(n)] for name, n in facts.by_service]
    rows += [
        ["Open high or extreme risk", r.ref, f"{r.band} ({r.score}) · {r.category} · {r.service}"]
        for r in facts.high_risks
    ]
    rows += [
        ["Issue affecting care", c.ref, f"{c.status} · {c.impact} · {c.category} · {c.service}"]
        for c in facts.care_issues
    ]
    return rows


def month_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local calendar month as UTC instants (its first midnight to the next month's)."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC),
        datetime.combine(following, time(0), tzinfo=zone).astimezone(UTC),
    )


def parse_month(text: str) -> date:
    """``2026-11``: the month a summary covers."""
    year, sep, month = text.strip().partition("-")
    if not (sep and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise ValidationError(f"'{text.strip()}' is not a month like 2026-11", field="month")
    return date(int(year), int(month), 1)


def month_csv(session: Session, *, month: str, zone: ZoneInfo) -> str:
    """The commissioner summary for ``month`` as CSV text, for ``golive export`` and
    ``/golive export`` (commands may call this; it needs no template)."""
    start, end = month_bounds(parse_month(month), zone)
    out = io.StringIO()
    csv.writer(out).writerows(as_rows(commissioner_facts(session, start=start, end=end)))
    return out.getvalue()
