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

from sqlmodel import Session, col, func, select

from store.infra.errors import ValidationError
from store.records.enums import OPEN_RISK_STATUSES, Band, Impact, IssueCategory, RiskStatus
from store.records.models import AuditEvent, Issue, Risk, Service
from store.records.scoring import band_for
from store.reports.outcomes import ratings_at, unresolved_at


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
    """A month's summary as at its end: every count is what the records said at ``end``, not
    what they say today, so a summary asked for again later reads the same."""

    start: datetime
    end: datetime
    zone: str
    reported: int
    by_category: list[tuple[str, int]]
    by_service: list[tuple[str, int]]
    resolved: int
    median_resolve_hours: float | None
    open_issues: int
    high_risks: list[OpenRisk]
    care_issues: list[CareIssue]
    care_by_status: list[tuple[str, int]]

    @property
    def period_text(self) -> str:
        """The period's bounds in the provider's own zone, as a reader there counts days."""
        zone = ZoneInfo(self.zone)
        return f"{_local(self.start, zone)} to {_local(self.end, zone)} ({self.zone})"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"


UTC_ZONE = ZoneInfo("UTC")

# What an issue was at a moment, from its own timestamps (closed beats resolved).
AT_END_OPEN, AT_END_RESOLVED, AT_END_CLOSED = "Open", "Resolved", "Closed"


def _status_at(issue: Issue, end: datetime) -> str:
    if issue.closed_at is not None and issue.closed_at < end:
        return AT_END_CLOSED
    if issue.resolved_at is not None and issue.resolved_at < end:
        return AT_END_RESOLVED
    return AT_END_OPEN


def risk_statuses_at(session: Session, end: datetime) -> dict[str, RiskStatus]:
    """Each risk's status at ``end``, from the audit trail's status changes: the last change
    before ``end``, or, where the first change came later, the status it changed from."""
    query = (
        select(AuditEvent.entity_ref, AuditEvent.at, AuditEvent.old_value, AuditEvent.new_value)
        .where(AuditEvent.entity == "risk", AuditEvent.field == "status")
        .order_by(col(AuditEvent.id))
    )
    found: dict[str, RiskStatus] = {}
    for ref, at, old_value, new_value in session.exec(query):
        if at < end and new_value:
            found[ref] = RiskStatus(new_value)
        elif ref not in found and old_value:
            found[ref] = RiskStatus(old_value)
    return found


def high_risks_at(session: Session, end: datetime, names: dict[int | None, str]) -> list[OpenRisk]:
    """The risks open at ``end`` whose score then was high or extreme, highest first."""
    ratings = ratings_at(session, end)
    statuses = risk_statuses_at(session, end)
    found = []
    for risk in session.exec(select(Risk).where(col(Risk.created_at) < end)):
        rating = ratings.get(risk.id or 0)
        status = statuses.get(risk.ref, risk.status)
        if rating is None or status not in OPEN_RISK_STATUSES:
            continue
        score = rating[0] * rating[1]
        if band_for(score) in (Band.HIGH, Band.EXTREME):
            found.append(
                OpenRisk(
                    ref=risk.ref,
                    category=risk.category.label,
                    service=names.get(risk.service_id, "Whole organisation")
                    if risk.service_id
                    else "Whole organisation",
                    band=band_for(score).label,
                    score=score,
                )
            )
    return sorted(found, key=lambda r: (-r.score, r.ref))


def commissioner_facts(
    session: Session, *, start: datetime, end: datetime, zone: ZoneInfo = UTC_ZONE
) -> CommissionerFacts:
    """Issues reported and resolved in [start, end), and the register as it stood at
    ``end``: issues open then, and the risks open then at a high or extreme score."""
    names: dict[int | None, str] = {s.id: s.name for s in session.exec(select(Service))}
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
    # Affecting care within the month: reported in it, or reported before and still open.
    care = [
        CareIssue(
            ref=issue.ref,
            category=issue.category.label,
            service=names.get(issue.service_id, ""),
            impact=issue.impact.label,
            status=_status_at(issue, end),
        )
        for issue in session.exec(
            select(Issue)
            .where(col(Issue.impact) != Impact.NONE, col(Issue.reported_at) < end)
            .order_by(col(Issue.number))
        )
        if issue.reported_at >= start or _status_at(issue, start) == AT_END_OPEN
    ]
    return CommissionerFacts(
        start=start,
        end=end,
        zone=str(zone),
        reported=len(reported),
        by_category=[(c.label, by_category[c]) for c in IssueCategory if by_category[c]],
        by_service=sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0])),
        resolved=len(resolved),
        median_resolve_hours=round(median(hours), 1) if hours else None,
        open_issues=unresolved_at(session, [end])[0],
        high_risks=high_risks_at(session, end, names),
        care_issues=care,
        care_by_status=sorted(Tally(c.status for c in care).items()),
    )


def as_rows(facts: CommissionerFacts) -> list[list[str]]:
    """The same summary as rows for a CSV or a spreadsheet: (section, item, value)."""
    rows = [["Section", "Item", "Value"]]
    zone = ZoneInfo(facts.zone)
    rows.append(["Period", "From", facts.start.astimezone(zone).isoformat()])
    rows.append(["Period", "To", facts.end.astimezone(zone).isoformat()])
    rows.append(["Period", "Time zone", facts.zone])
    rows.append(["Issues", "Reported in the month", str(facts.reported)])
    rows.append(["Issues", "Resolved in the month, whenever reported", str(facts.resolved)])
    median_text = "" if facts.median_resolve_hours is None else str(facts.median_resolve_hours)
    rows.append(["Issues", "Median hours to resolve", median_text])
    rows.append(["Issues", "Open at the end of the month", str(facts.open_issues)])
    rows += [["Issues by category", label, str(n)] for label, n in facts.by_category]
    rows += [["Issues by service", name, str(n)] for name, n in facts.by_service]
    rows += [
        [
            "High or extreme risk open at the end of the month",
            r.ref,
            f"{r.band} ({r.score}) · {r.category} · {r.service}",
        ]
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


def first_record_at(session: Session) -> datetime | None:
    """When golive first recorded anything: every record's creation is in the audit trail."""
    return session.exec(select(func.min(AuditEvent.at))).one()


def ended_month(
    session: Session, *, month: str, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    """The bounds of ``month`` if a summary of it can be trusted: refused when the month has
    not ended yet (its counts would change) or ended before golive held any record (every
    count would be a misleading nought)."""
    first_day = parse_month(month)
    start, end = month_bounds(first_day, zone)
    name = f"{first_day:%B %Y}"
    if end > now:
        raise ValidationError(
            f"{name} has not ended yet (it ends {_local(end, zone)}), so its figures could "
            f"still change; ask for {_previous(first_day):%Y-%m} or an earlier month",
            field="month",
        )
    first = first_record_at(session)
    if first is None or first >= end:
        since = (
            "golive holds no records yet"
            if first is None
            else f"golive's first record is from {first.astimezone(zone):%d %b %Y}; ask for "
            f"{first.astimezone(zone):%Y-%m} or later"
        )
        raise ValidationError(f"{name} ended before the first record: {since}", field="month")
    return start, end


def _previous(first_day: date) -> date:
    return (first_day - timedelta(days=1)).replace(day=1)


def month_facts(
    session: Session, *, month: str, zone: ZoneInfo, now: datetime
) -> CommissionerFacts:
    """The summary of an ended month with records in it, as at the month's end."""
    start, end = ended_month(session, month=month, zone=zone, now=now)
    return commissioner_facts(session, start=start, end=end, zone=zone)


def month_csv(session: Session, *, month: str, zone: ZoneInfo, now: datetime) -> str:
    """The commissioner summary for ``month`` as CSV text, for ``golive commissioner --csv``
    (commands may call this; it needs no template)."""
    out = io.StringIO()
    csv.writer(out).writerows(as_rows(month_facts(session, month=month, zone=zone, now=now)))
    return out.getvalue()
