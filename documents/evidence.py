"""The evidence pack: one printable document that answers an inspector's "how did you govern
this go-live, and what risk remains?", rendered with jinja2 from the store's facts, as HTML and,
through WeasyPrint, as a PDF; and the export's files, all named one way.

The facts come from the store (store/reports/evidence_facts.py, outcomes.py); this module only
arranges them for the template and draws the charts. The template is HTML, so it gets HTML
autoescaping (unlike Slack text, which is escaped with bot.escape): every name and note a person
typed is escaped.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from documents.csv_files import audit_trail_file, csv_files, file_name
from store.infra.errors import ValidationError
from store.records.privacy import mask
from store.records.review import HIGH_SCORE
from store.reports import outcomes
from store.reports.evidence_facts import (
    DecisionFact,
    Headline,
    IssueFact,
    PhaseFact,
    ReviewFacts,
    RiskFact,
    TrailExtract,
    audit_extract,
    evidence_facts,
)
from store.reports.exports import AUDIT_TRAIL
from store.reports.outcomes import Outcomes

TEMPLATES = Path(__file__).parent / "templates"
TRAIL_DAYS = 30
"""The audit-trail extract covers the last 30 days unless the reader picks a period."""


def _day(value: date | datetime | None, zone: tzinfo = UTC) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(zone)
    return f"{value:%d %b %Y}"


def _when(value: datetime | None, zone: tzinfo = UTC) -> str:
    return "" if value is None else f"{value.astimezone(zone):%d %b %Y %H:%M}"


@cache
def environment() -> Environment:
    """Built once: HTML autoescaping on, and a missing value is an error, not a blank."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = _day
    env.filters["when"] = _when
    env.filters["hours"] = lambda h: "–" if h is None else f"{h:g} h"
    return env


@dataclass(frozen=True)
class Period:
    """The days the audit-trail extract covers, both included, in the provider's zone."""

    first: date
    last: date

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.first, time(0), tzinfo=zone).astimezone(UTC),
            datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC),
        )


def trail_period(
    *, first: date | None, last: date | None, today: date, days: int = TRAIL_DAYS
) -> Period:
    """The extract's period from what the reader gave: either end may be left out (the last
    ``days`` days up to today by default). Refused, saying what to change, when it runs
    backwards or starts after today."""
    last = last or today
    first = first or (last - timedelta(days=days - 1))
    if first > today:
        raise ValidationError(
            f"The audit-trail period starts on {first:%d %b %Y}, which is still to come: "
            f"give a --from date on or before today ({today:%d %b %Y})",
            field="period",
        )
    if first > last:
        raise ValidationError(
            f"The audit-trail period starts on {first:%d %b %Y}, after it ends on "
            f"{last:%d %b %Y}: give a --from date on or before the --to date",
            field="period",
        )
    return Period(first, last)


@dataclass(frozen=True)
class EvidencePack:
    title: str
    provider: str
    generated: datetime
    tz: tzinfo
    zone: str
    current_phase: str
    phases: list[PhaseFact]
    services: list[tuple[str, date | None]]
    go_live: date | None
    first_day: date
    risks: list[RiskFact]
    residual: list[RiskFact]
    high_open: list[RiskFact]
    unowned_high: list[RiskFact]
    overdue_reviews: list[RiskFact]
    decisions: list[DecisionFact]
    outcomes: Outcomes
    headline: Headline
    issues: list[IssueFact]
    trail: TrailExtract
    trail_period: Period
    review: ReviewFacts | None
    blockers: list[str]
    charts: dict[str, str] = field(default_factory=dict)


def gather(
    session: Session,
    *,
    now: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    period: Period | None = None,
) -> EvidencePack:
    """Every fact the pack shows, from the store's report functions."""
    today = now.astimezone(zone).date()
    facts = evidence_facts(session, today=today)
    go_live = None if facts.go_live_at is None else facts.go_live_at.astimezone(zone).date()
    period = period or trail_period(first=None, last=None, today=today)
    start_at, end_at = period.bounds(zone)

    open_risks = [r for r in facts.risks if r.is_open]
    residual = sorted(open_risks, key=lambda r: (-(r.now or 0), r.ref))
    first_day = outcomes.first_report_day(session, zone=zone) or today
    start = min(first_day, go_live) if go_live else first_day
    measures = outcomes.outcome_measures(session, start=start, end=today, zone=zone)
    grid_now = outcomes.heat_grid(
        [(r.likelihood, r.impact) for r in open_risks if r.likelihood and r.impact]
    )
    grid_then = outcomes.heat_grid(facts.ratings_at_go_live)
    pack = EvidencePack(
        title=f"{provider}: go-live evidence pack" if provider else "Go-live evidence pack",
        provider=provider,
        generated=now.astimezone(zone),
        tz=zone,
        zone=str(zone),
        current_phase=facts.current_phase,
        phases=facts.phases,
        services=facts.services,
        go_live=go_live,
        first_day=first_day,
        risks=facts.risks,
        residual=residual,
        high_open=[r for r in residual if (r.now or 0) >= HIGH_SCORE],
        unowned_high=[r for r in residual if (r.now or 0) >= HIGH_SCORE and not r.owner],
        overdue_reviews=[r for r in residual if r.review_overdue],
        decisions=facts.decisions,
        outcomes=measures,
        headline=facts.headline,
        issues=facts.issues,
        trail=audit_extract(session, start=start_at, end=end_at),
        trail_period=period,
        review=facts.review,
        blockers=facts.blockers,
    )
    # Imported here, not at the top: matplotlib (with numpy and Pillow) would otherwise sit in
    # every process of ``golive serve``, about 45 MB each, for the few that draw a pack.
    from documents import charts

    pack.charts.update(
        {
            "open_issues": charts.open_issues_chart(
                [(d.day, d.count) for d in measures.unresolved], go_live=go_live
            ),
            "heat_now": charts.heat_map_chart(grid_now, title="Open risks now"),
            "heat_go_live": charts.heat_map_chart(
                grid_then,
                title=f"At go-live ({go_live:%d %b %Y})" if go_live else "At go-live (not yet)",
            ),
            "time_to_resolve": charts.time_to_resolve_chart(
                [
                    (t.group, t.median_resolve_hours)
                    for t in measures.by_category
                    if t.median_resolve_hours is not None
                ]
            ),
        }
    )
    return pack


def render(pack: EvidencePack) -> str:
    return environment().get_template("evidence_pack.html.j2").render(pack=pack)


def evidence_pack_html(
    session: Session,
    *,
    now: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    period: Period | None = None,
) -> str:
    """The evidence pack as one self-contained HTML document (charts embedded)."""
    return render(gather(session, now=now, zone=zone, provider=provider, period=period))


def pdf_bytes(html: str) -> bytes:
    """The pack printed to PDF on the server by WeasyPrint, with the template's print rules
    (A4, headings kept with what follows, references unbroken). Imported here, not at the
    top: WeasyPrint loads Pango, which only an export that asks for a PDF should need."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    document: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return document


EXPORT_FORMATS = ("all", "xlsx", "csv", "evidence", "pdf")


def export_files(
    session: Session,
    fmt: str,
    *,
    now: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    reveal: bool = False,
    period: Period | None = None,
) -> list[tuple[str, bytes, str]]:
    """The files an export gives, as (file name, bytes, title), every name
    ``golive-<what>-<YYYY-MM-DD>.<ext>``: ``xlsx`` is the workbook and the audit trail as CSV
    beside it; ``csv`` one file per table; ``evidence`` the pack as HTML; ``pdf`` the pack as
    PDF; ``all`` every one of them. Shared by ``/golive export`` and the CLI.
    NHS numbers and dates of birth are masked unless ``reveal`` (store/records/privacy.py)."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"'{fmt}' is not one of {', '.join(EXPORT_FORMATS)}", field="format")
    day = now.astimezone(zone).date()
    files: list[tuple[str, bytes, str]] = []
    if fmt in ("all", "xlsx"):
        # Imported when a workbook is asked for: XlsxWriter stays out of the serving processes.
        from documents.workbook import workbook_bytes

        workbook = workbook_bytes(
            session, generated=now, zone=zone, provider=provider, reveal=reveal
        )
        files.append((file_name("records", day, "xlsx"), workbook, "Go-live records (workbook)"))
    if fmt == "xlsx":
        name, trail = audit_trail_file(session, day=day, reveal=reveal)
        files.append((name, trail, "Go-live audit trail (CSV, goes with the workbook)"))
    if fmt in ("all", "csv"):
        titles = {file_name(AUDIT_TRAIL.name, day, "csv"): "Go-live audit trail (CSV)"}
        files.extend(
            (name, data, titles.get(name, name))
            for name, data in csv_files(session, day=day, reveal=reveal)
        )
    if fmt in ("all", "evidence", "pdf"):
        html = evidence_pack_html(session, now=now, zone=zone, provider=provider, period=period)
        html = html if reveal else mask(html)
        if fmt in ("all", "evidence"):
            files.append(
                (file_name("evidence-pack", day, "html"), html.encode(), "Go-live evidence pack")
            )
        if fmt in ("all", "pdf"):
            files.append(
                (
                    file_name("evidence-pack", day, "pdf"),
                    pdf_bytes(html),
                    "Go-live evidence pack (PDF)",
                )
            )
    return files


def write_exports(
    session: Session,
    folder: Path,
    *,
    fmt: str = "all",
    now: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    period: Period | None = None,
) -> list[Path]:
    """Write an export's files into ``folder`` (for ``golive export --format ...``), unmasked:
    whoever runs the command line already holds the database."""
    files = export_files(
        session, fmt, now=now, zone=zone, provider=provider, reveal=True, period=period
    )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data, _title in files:
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
