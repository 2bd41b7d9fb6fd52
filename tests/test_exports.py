"""Exports as an inspector opens them: the XLSX workbook read back with openpyxl and the CSVs
with the csv module, checked cell by cell against the database."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlmodel import col, select

from bot.demo import provider as demo
from documents import csv_files
from documents import workbook as workbook_file
from documents.evidence import write_exports
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.records import issues, review, risks
from store.records.enums import (
    Impact,
    IssueCategory,
    IssueSource,
    Phase,
    RiskCategory,
    RiskScope,
    Urgency,
    Workaround,
)
from store.records.models import AuditEvent, Control, Decision, Issue, Person, Risk, RiskAssessment
from store.records.phases import set_phase
from store.records.scoring import band_for
from store.reports import exports
from tests.conftest import BACKENDS, drop_database, fresh_database
from tests.world import build_world

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAY = "2026-11-27"
FILLS = {"Low": "92D050", "Moderate": "FFFF00", "High": "FFC000", "Extreme": "FF0000"}


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, tmp_path_factory):
    """The demo provider, seeded once per backend and only read by these tests."""
    _, engine, schema = fresh_database(request.param, tmp_path_factory.mktemp("seeded"))
    demo.seed(engine, now=NOW, zone=LONDON)
    try:
        yield engine
    finally:
        drop_database(engine, schema)


def workbook(engine, tmp_path: Path) -> openpyxl.Workbook:
    with session_scope(engine) as session:
        path = workbook_file.write_xlsx(
            session, tmp_path / "golive.xlsx", generated=NOW, zone=LONDON, provider="Demo"
        )
    return openpyxl.load_workbook(path)


def rows_of(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def local(moment: datetime) -> datetime:
    return moment.astimezone(LONDON).replace(tzinfo=None)


def widths(sheet) -> list[int]:
    """Each column's width in characters, as Excel shows it: the file stores a few pixels of
    padding on top, and one entry for neighbouring columns of the same width."""
    found: dict[int, int] = {}
    for dimension in sheet.column_dimensions.values():
        for position in range(dimension.min, dimension.max + 1):
            found[position] = int(dimension.width)
    return [found.get(position, 0) for position in range(1, max(found) + 1)]


def test_workbook_has_a_sheet_per_table_with_frozen_headers_and_filters(seeded, tmp_path):
    book = workbook(seeded, tmp_path)
    assert book.sheetnames == ["About"] + [t.title for t in exports.WORKBOOK_TABLES]
    assert exports.AUDIT_TRAIL.title not in book.sheetnames
    for table in exports.WORKBOOK_TABLES:
        sheet = book[table.title]
        assert [c.value for c in sheet[1]] == table.headers
        assert sheet.freeze_panes == "A2"
        last = openpyxl.utils.get_column_letter(len(table.headers))
        assert sheet.auto_filter.ref == f"A1:{last}{max(sheet.max_row, 2)}"
        assert widths(sheet) == [c.width for c in table.columns]
        assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb[-6:] == "1F4E78"
    about = book["About"]
    assert (about["A2"].value, about["B2"].value) == ("Provider", "Demo")
    assert about["B4"].value == "Europe/London"
    assert about["B3"].value == local(NOW) and about["B3"].number_format == "yyyy-mm-dd hh:mm"
    assert (about["A14"].value, about["B14"].value) == (
        "Audit trail",
        "In its own file, golive-audit-trail-2026-11-27.csv, which comes with this workbook",
    )


def test_risk_register_sheet_matches_the_database_cell_by_cell(seeded, tmp_path):
    sheet = workbook(seeded, tmp_path)["Risk register"]
    rows = rows_of(sheet)
    with session_scope(seeded) as session:
        register = list(session.exec(select(Risk).order_by(col(Risk.number))))
        people = {p.id: p.name for p in session.exec(select(Person))}
    assert len(rows) == len(register) == 22
    for index, (row, risk) in enumerate(zip(rows, register, strict=True), start=2):
        assert row["Reference"] == risk.ref
        assert row["Title"] == risk.title
        assert row["Score"] == risk.score
        assert row["Likelihood"] == risk.likelihood and row["Impact"] == risk.impact
        assert row["Band"] == band_for(risk.score).label
        assert row["Owner"] == people[risk.owner_id]
        assert row["Status"] == risk.status.label
        assert row["Review date"].date() == risk.review_date
        assert row["Recorded"] == local(risk.created_at)
        band_cell = sheet.cell(row=index, column=exports.TABLE_LIST[0].headers.index("Band") + 1)
        assert band_cell.fill.fgColor.rgb[-6:] == FILLS[row["Band"]]
        score_cell = sheet.cell(row=index, column=exports.TABLE_LIST[0].headers.index("Score") + 1)
        assert score_cell.fill.fgColor.rgb[-6:] == FILLS[row["Band"]]
        assert sheet.cell(row=index, column=12).number_format == "yyyy-mm-dd"
    assert {row["Band"] for row in rows} >= {"High", "Extreme"}


def test_issue_log_keeps_dates_as_dates_and_controls_and_evidence(seeded, tmp_path):
    rows = rows_of(workbook(seeded, tmp_path)["Issue log"])
    with session_scope(seeded) as session:
        logged = list(session.exec(select(Issue).order_by(col(Issue.number))))
        controls: dict[int, list[str]] = {}
        for control in session.exec(select(Control).where(col(Control.issue_id).is_not(None))):
            controls.setdefault(control.issue_id, []).append(control.description)
    assert len(rows) == len(logged)
    closed = 0
    for row, issue in zip(rows, logged, strict=True):
        assert row["Reference"] == issue.ref
        assert isinstance(row["Reported"], datetime)
        assert row["Reported"] == local(issue.reported_at)
        assert row["What happened"] == issue.description
        assert row["Impact on care"] == issue.impact.label
        assert (row["Immediate controls"] or "") == "; ".join(controls.get(issue.id, []))
        assert (row["Correction action"] or "") == (issue.correction_action or "")
        assert (row["Closure evidence"] or "") == (issue.closure_evidence or "")
        if issue.closed_at:
            closed += 1
            assert row["Closed"] == local(issue.closed_at)
        else:
            assert row["Closed"] is None
    assert closed > 0


def test_score_history_and_decisions_sheets_and_the_audit_trail_file_match(seeded, tmp_path):
    book = workbook(seeded, tmp_path)
    with session_scope(seeded) as session:
        assessments = session.exec(
            select(RiskAssessment, Risk)
            .join(Risk, col(Risk.id) == RiskAssessment.risk_id)
            .order_by(col(Risk.number), col(RiskAssessment.assessed_at), col(RiskAssessment.id))
        ).all()
        decisions = session.exec(select(Decision).order_by(col(Decision.decided_at))).all()
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    history = rows_of(book["Score history"])
    assert [(r["Risk"], r["Score"], r["Reason"]) for r in history] == [
        (risk.ref, a.likelihood * a.impact, a.reason) for a, risk in assessments
    ]
    decided = rows_of(book["Decisions"])
    assert [(r["Decided"], r["Summary"]) for r in decided] == [
        (local(d.decided_at), d.summary) for d in decisions
    ]
    with session_scope(seeded) as session:
        name, data = csv_files.audit_trail_file(session, day=local(NOW).date())
    assert name == "golive-audit-trail-2026-11-27.csv"
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    assert reader.fieldnames == exports.AUDIT_TRAIL.headers
    trail = list(reader)
    assert len(events) > 50
    assert [(r["When"], r["Record"], r["Action"], r["New value"]) for r in trail] == [
        (e.at.isoformat(), e.entity_ref, e.action, csv_files.csv_text(e.new_value or ""))
        for e in events
    ]


def test_review_sheets_show_verdicts_actions_and_audits(engine, clock, tmp_path):
    world = build_world(engine, now=clock.now())
    with session_scope(engine) as session:
        risk = risks.create_risk(
            session,
            actor=world.project_lead,
            now=clock.now(),
            data=risks.NewRisk(
                title="Oakwood MAR migration",
                category=RiskCategory.DATA_MIGRATION,
                scope=RiskScope.SERVICE,
                service_id=world.oakwood.id,
                owner_id=world.manager.id,
            ),
        )
        ref = risk.ref
    clock.advance(timedelta(days=1))
    with session_scope(engine) as session:
        set_phase(session, actor=world.project_lead, phase=Phase.GO_LIVE, now=clock.now())
        review.start_review(
            session,
            actor=world.quality_lead,
            findings=review.Findings("a", "b", "c", "d"),
            now=clock.now(),
        )
        review.record_verdict(
            session,
            actor=world.manager,
            ref=ref,
            verdict="partly",
            evidence="3 errors found",
            now=clock.now(),
        )
        review.record_leadership_action(
            session,
            actor=world.board_member,
            description="Second trainer",
            owner=world.project_lead,
            due_date=date(2027, 2, 1),
            now=clock.now(),
        )
        review.schedule_audits(
            session,
            actor=world.quality_lead,
            topic="MAR accuracy",
            first_due=date(2026, 12, 24),
            months=2,
            now=clock.now(),
        )
    book = workbook(engine, tmp_path)
    [verdict] = rows_of(book["Control verdicts"])
    assert (verdict["Risk"], verdict["Controls effective"], verdict["Evidence"]) == (
        ref,
        "Partly effective",
        "3 errors found",
    )
    assert verdict["Given by"] == "Mo Manager"
    [action] = rows_of(book["Leadership actions"])
    assert (action["Owner"], action["Due date"]) == ("Pat Project", datetime(2027, 2, 1))
    audits = rows_of(book["Follow-up audits"])
    assert [(a["Audit"], a["Due date"], a["Result"]) for a in audits] == [
        ("FA-1", datetime(2026, 12, 24), None),
        ("FA-2", datetime(2027, 1, 24), None),
    ]


def test_text_that_looks_like_a_formula_stays_text(engine, clock, tmp_path):
    world = build_world(engine, now=clock.now())
    formula = '=HYPERLINK("http://evil.example","click")'
    with session_scope(engine) as session:
        issues.report_issue(
            session,
            reporter=world.staff,
            now=clock.now(),
            report=issues.IssueReport(
                service_id=world.oakwood.id,
                category=IssueCategory.OTHER,
                description=formula,
                impact=Impact.NONE,
                urgency=Urgency.LOW,
                workaround=Workaround.NONE,
                source=IssueSource.SLASH_COMMAND,
            ),
        )
    cell = workbook(engine, tmp_path)["Issue log"]["E2"]
    assert (cell.value, cell.data_type) == (formula, "s")
    with session_scope(engine) as session:
        files = dict(csv_files.csv_files(session, day=date.fromisoformat(DAY)))
    [row] = list(read_csv(files[f"golive-issue-log-{DAY}.csv"]))
    assert row["What happened"] == "'" + formula


def read_csv(data: bytes) -> csv.DictReader:
    return csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))


def test_csv_files_match_the_database(seeded, tmp_path):
    with session_scope(seeded) as session:
        written = csv_files.csv_files(session, day=date.fromisoformat(DAY))
        register = list(session.exec(select(Risk).order_by(col(Risk.number))))
    assert [name for name, _ in written] == [
        f"golive-{t.name}-2026-11-27.csv" for t in exports.TABLE_LIST
    ]
    files = dict(written)
    reader = read_csv(files[f"golive-risk-register-{DAY}.csv"])
    assert reader.fieldnames == exports.TABLE_LIST[0].headers
    rows = list(reader)
    assert [(r["Reference"], r["Score"], r["Band"], r["Recorded"]) for r in rows] == [
        (r.ref, str(r.score), band_for(r.score).label, r.created_at.isoformat()) for r in register
    ]
    reader = read_csv(files[f"golive-leadership-actions-{DAY}.csv"])
    assert list(reader) == []
    assert reader.fieldnames == exports.TABLE_LIST[6].headers


@pytest.mark.parametrize(
    ("fmt", "suffixes"),
    [
        ("all", [".xlsx", *[".csv"] * 9, ".html", ".pdf"]),
        ("xlsx", [".xlsx", ".csv"]),
        ("evidence", [".html"]),
        ("pdf", [".pdf"]),
        ("csv", [".csv"] * 9),
    ],
)
def test_command_line_export_writes_the_chosen_files(engine, clock, tmp_path, fmt, suffixes):
    with session_scope(engine) as session:
        written = write_exports(session, tmp_path, fmt=fmt, now=clock.now(), zone=LONDON)
    assert [p.suffix for p in written] == suffixes
    assert all(p.exists() and p.stat().st_size > 0 for p in written)
    if fmt == "xlsx":
        assert openpyxl.load_workbook(written[0]).sheetnames[1] == "Risk register"


def test_command_line_export_refuses_an_unknown_format(engine, clock, tmp_path):
    with session_scope(engine) as session, pytest.raises(ValidationError, match="xlsx, csv"):
        write_exports(session, tmp_path / "out", fmt="docx", now=clock.now())
    assert not (tmp_path / "out").exists()
