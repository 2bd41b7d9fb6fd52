"""The evidence pack: one printable HTML document that answers an inspector's "how did you
govern this go-live, and what risk remains?", rendered with jinja2 from the records.

The facts come from the store in a few set-based queries; this module only arranges them for
the template and draws the charts. The template is HTML, so it gets HTML autoescaping (unlike
Slack text, which is escaped with bot.escape): every name and note a person typed is escaped.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session, col, select

from bot import charts
from store.records import phases, review
from store.records.enums import OPEN_CONTROL_STATUSES
from store.records.models import (
    Control,
    Decision,
    Effectiveness,
    Issue,
    Person,
    Risk,
    RiskAssessment,
    Service,
)
from store.records.privacy import mask
from store.records.risks import OPEN_RISK_STATUSES
from store.records.scoring import band_for
from store.reports import exports, outcomes
from store.reports.outcomes import Outcomes

TEMPLATES = Path(__file__).parent / "templates"


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
    env.filters["day"] = lambda d: "" if d is None else f"{d:%d %b %Y}"
    env.filters["hours"] = lambda h: "–" if h is None else f"{h:g} h"
    return env


@dataclass(frozen=True)
class PhaseLine:
    phase: str
    entered: datetime
    note: str
    by: str


@dataclass(frozen=True)
class RiskLine:
    ref: str
    title: str
    service: str
    owner: str
    category: str
    register: str
    status: str
    first: int | None
    at_go_live: int | None
    now: int | None
    band: str
    band_key: str
    review_date: date | None
    controls_open: int
    transferred_to: str
    transferred_from: str

    @property
    def movement(self) -> str:
        start = self.at_go_live if self.at_go_live is not None else self.first
        if start is None or self.now is None:
            return ""
        if self.now < start:
            return "down"
        return "up" if self.now > start else "same"


@dataclass(frozen=True)
class DecisionLine:
    decided: datetime
    on: str
    kind: str
    summary: str
    owner: str
    by: str
    follow_up: date | None


@dataclass(frozen=True)
class VerdictLine:
    ref: str
    title: str
    service: str
    verdict: str
    verdict_key: str
    evidence: str
    by: str


@dataclass(frozen=True)
class ActionLine:
    ref: str
    description: str
    owner: str
    due: date | None


@dataclass(frozen=True)
class AuditLine:
    ref: str
    topic: str
    due: date
    result: str
    residual: int | None
    high: int | None
    reducing: bool | None
    recorded: datetime | None


@dataclass(frozen=True)
class ReviewSection:
    ref: str
    started: datetime
    started_by: str
    findings: list[tuple[str, str]]
    verdicts: list[VerdictLine]
    verdict_counts: dict[str, int]
    awaiting_verdicts: list[str]
    actions: list[ActionLine]
    audits: list[AuditLine]
    closed: datetime | None
    closed_by: str
    closure_note: str


@dataclass(frozen=True)
class EvidencePack:
    title: str
    provider: str
    generated: datetime
    zone: str
    current_phase: str
    phases: list[PhaseLine]
    services: list[tuple[str, date | None]]
    go_live: date | None
    risks: list[RiskLine]
    residual: list[RiskLine]
    unowned_high: list[RiskLine]
    decisions: list[DecisionLine]
    outcomes: Outcomes
    issues_total: int
    issues_open: int
    review: ReviewSection | None
    blockers: list[str]
    charts: dict[str, str] = field(default_factory=dict)


def _people(session: Session) -> dict[int | None, str]:
    return {p.id: p.name for p in session.exec(select(Person))}


def _services(session: Session) -> list[Service]:
    return list(session.exec(select(Service).order_by(col(Service.name))))


def gather(
    session: Session, *, now: datetime, zone: tzinfo = UTC, provider: str = ""
) -> EvidencePack:
    """Every fact the pack shows, read in a few set-based queries."""
    names = _people(session)
    services = _services(session)
    service_names = {s.id: s.name for s in services}
    go_live_at = review.go_live_at(session)
    go_live = None if go_live_at is None else go_live_at.astimezone(zone).date()

    all_risks = list(session.exec(select(Risk).order_by(col(Risk.number))))
    first_scores = _first_scores(session)
    at_go_live = (
        {k: li * im for k, (li, im) in outcomes.ratings_at(session, go_live_at).items()}
        if go_live_at
        else {}
    )
    open_controls: dict[int, int] = defaultdict(int)
    for risk_id, status in session.exec(
        select(Control.risk_id, Control.status).where(col(Control.risk_id).is_not(None))
    ):
        if status in OPEN_CONTROL_STATUSES and risk_id is not None:
            open_controls[risk_id] += 1
    refs = {r.id: r.ref for r in all_risks}
    successors = {r.transferred_from_id: r.ref for r in all_risks if r.transferred_from_id}
    lines = [
        RiskLine(
            ref=r.ref,
            title=r.title,
            service=service_names.get(r.service_id, "Whole organisation"),
            owner=names.get(r.owner_id, "") if r.owner_id else "",
            category=r.category.label,
            register=r.risk_register.label,
            status=r.status.label,
            first=first_scores.get(r.id or 0),
            at_go_live=at_go_live.get(r.id or 0),
            now=r.score,
            band=band_for(r.score).label if r.score else "Not scored",
            band_key=band_for(r.score).value if r.score else "none",
            review_date=r.review_date,
            controls_open=open_controls.get(r.id or 0, 0),
            transferred_to=successors.get(r.id or 0, ""),
            transferred_from=refs.get(r.transferred_from_id, "") if r.transferred_from_id else "",
        )
        for r in all_risks
    ]
    open_lines = [
        line
        for line, risk in zip(lines, all_risks, strict=True)
        if risk.status in OPEN_RISK_STATUSES
    ]
    residual = sorted(open_lines, key=lambda line: (-(line.now or 0), line.ref))

    first_day = outcomes.first_report_day(session, zone=zone) or now.astimezone(zone).date()
    start = min(first_day, go_live) if go_live else first_day
    measures = outcomes.outcome_measures(
        session, start=start, end=now.astimezone(zone).date(), zone=zone
    )
    issue_total = sum(t.issues for t in measures.by_category)
    grid_now = outcomes.heat_grid(
        [
            (r.likelihood, r.impact)
            for r in all_risks
            if r.status in OPEN_RISK_STATUSES and r.likelihood and r.impact
        ]
    )
    grid_then = outcomes.heat_grid(
        list(outcomes.ratings_at(session, go_live_at).values()) if go_live_at else []
    )
    pack = EvidencePack(
        title=f"{provider}: go-live evidence pack" if provider else "Go-live evidence pack",
        provider=provider,
        generated=now.astimezone(zone),
        zone=str(zone),
        current_phase=phases.current_phase(session).label,
        phases=[
            PhaseLine(
                phase=change.phase.label,
                entered=change.set_at.astimezone(zone),
                note=change.note,
                by=names.get(change.set_by_id, "golive") if change.set_by_id else "golive",
            )
            for change in phases.history(session)
        ],
        services=[(s.name, s.golive_date) for s in services],
        go_live=go_live,
        risks=lines,
        residual=residual,
        unowned_high=[
            line for line in residual if (line.now or 0) >= review.HIGH_SCORE and not line.owner
        ],
        decisions=_decisions(session, names, refs, zone),
        outcomes=measures,
        issues_total=issue_total,
        issues_open=measures.unresolved[-1].count if measures.unresolved else 0,
        review=_review_section(session, names, service_names, zone),
        blockers=[b.text for b in review.closing_blockers(session)],
    )
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


def _decisions(
    session: Session, names: dict[int | None, str], risk_refs: dict[int | None, str], zone: tzinfo
) -> list[DecisionLine]:
    issue_refs = {i: f"GL-{n:04d}" for i, n in session.exec(select(Issue.id, Issue.number))}
    return [
        DecisionLine(
            decided=d.decided_at.astimezone(zone),
            on=risk_refs.get(d.risk_id, "") or issue_refs.get(d.issue_id, ""),
            kind=d.kind.label,
            summary=d.summary,
            owner=names.get(d.owner_id, "") if d.owner_id else "",
            by=names.get(d.decided_by_id, "") if d.decided_by_id else "",
            follow_up=d.follow_up_date,
        )
        for d in session.exec(select(Decision).order_by(col(Decision.decided_at), col(Decision.id)))
    ]


def _review_section(
    session: Session,
    names: dict[int | None, str],
    service_names: dict[int | None, str],
    zone: tzinfo,
) -> ReviewSection | None:
    current = review.current_review(session)
    if current is None:
        return None
    given = review.verdicts(session, current)
    pre = review.pre_implementation_risks(session)
    verdict_lines = [
        VerdictLine(
            ref=risk.ref,
            title=risk.title,
            service=service_names.get(risk.service_id, "Whole organisation"),
            verdict=given[risk.id].verdict.label,
            verdict_key=given[risk.id].verdict.value,
            evidence=given[risk.id].evidence,
            by=names.get(given[risk.id].given_by_id, ""),
        )
        for risk in pre
        if risk.id in given
    ]
    counts = {kind.label: 0 for kind in Effectiveness}
    for line in verdict_lines:
        counts[line.verdict] += 1
    return ReviewSection(
        ref=current.ref,
        started=current.started_at.astimezone(zone),
        started_by=names.get(current.started_by_id, "") if current.started_by_id else "",
        findings=[(label, getattr(current, name)) for name, label in review.FINDING_LABELS.items()],
        verdicts=verdict_lines,
        verdict_counts=counts,
        awaiting_verdicts=[f"{r.ref} {r.title}" for r in pre if r.id not in given],
        actions=[
            ActionLine(a.ref, a.description, names.get(a.owner_id, ""), a.due_date)
            for a in review.leadership_actions(session, current)
        ],
        audits=[
            AuditLine(
                ref=a.ref,
                topic=a.topic,
                due=a.due_date,
                result=a.result or "",
                residual=a.residual_score,
                high=a.high_risks,
                reducing=a.risks_reducing,
                recorded=a.recorded_at.astimezone(zone) if a.recorded_at else None,
            )
            for a in review.audits(session, current)
        ],
        closed=current.closed_at.astimezone(zone) if current.closed_at else None,
        closed_by=names.get(current.closed_by_id, "") if current.closed_by_id else "",
        closure_note=current.closure_note or "",
    )


def render(pack: EvidencePack) -> str:
    return environment().get_template("evidence_pack.html.j2").render(pack=pack)


def evidence_pack_html(
    session: Session, *, now: datetime, zone: tzinfo = UTC, provider: str = ""
) -> str:
    """The evidence pack as one self-contained HTML document (charts embedded)."""
    return render(gather(session, now=now, zone=zone, provider=provider))


def write_evidence_pack(
    session: Session, path: Path, *, now: datetime, zone: tzinfo = UTC, provider: str = ""
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(evidence_pack_html(session, now=now, zone=zone, provider=provider), "utf-8")
    return path


EXPORT_FORMATS = ("all", "xlsx", "csv", "evidence")


def export_files(
    session: Session,
    fmt: str,
    *,
    now: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    reveal: bool = False,
) -> list[tuple[str, bytes, str]]:
    """The files an export gives, as (file name, bytes, title): ``xlsx`` is the workbook and
    the audit trail as CSV beside it, ``all`` those and the evidence pack; ``csv`` is one file
    per table. Shared by ``/golive export`` and the CLI.
    NHS numbers and dates of birth are masked unless ``reveal`` (store/records/privacy.py)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"'{fmt}' is not one of {', '.join(EXPORT_FORMATS)}")
    stamp = now.astimezone(zone).date().isoformat()
    files: list[tuple[str, bytes, str]] = []
    if fmt in ("all", "xlsx"):
        workbook = exports.workbook_bytes(
            session, generated=now, zone=zone, provider=provider, reveal=reveal
        )
        files.append((f"golive-records-{stamp}.xlsx", workbook, "Go-live records (workbook)"))
        # The audit trail is too long for a sheet worth opening; it travels beside the workbook.
        name, trail = exports.audit_trail_file(session, generated=now, zone=zone, reveal=reveal)
        files.append((name, trail, "Go-live audit trail (CSV, goes with the workbook)"))
    if fmt in ("all", "evidence"):
        html = evidence_pack_html(session, now=now, zone=zone, provider=provider)
        html = html if reveal else mask(html)
        files.append(
            (f"golive-evidence-pack-{stamp}.html", html.encode("utf-8"), "Go-live evidence pack")
        )
    if fmt == "csv":
        files.extend((name, data, name) for name, data in exports.csv_files(session, reveal=reveal))
    return files


def write_exports(
    session: Session,
    folder: Path,
    *,
    fmt: str = "all",
    now: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
) -> list[Path]:
    """Write an export's files into ``folder`` (for ``golive export --format ...``), unmasked:
    whoever runs the command line already holds the database."""
    files = export_files(session, fmt, now=now, zone=zone, provider=provider, reveal=True)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data, _title in files:
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
