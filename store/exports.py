"""The register, its score history, controls, issue log, decisions, the post-implementation
review and the audit trail as plain rows, in the words an inspector reads; written as CSV files
and as one XLSX workbook (a sheet per table, header frozen, filters on, bands coloured).

Each table is read in one query, with names looked up from one read of people and services,
so an export of years of records costs a handful of statements. Rows hold typed values (dates
as dates, numbers as numbers): the workbook keeps them so, the CSV writes them as ISO text.

Personal data: an export masks NHS numbers and dates of birth (store/privacy.py) unless the
caller passes ``reveal=True``, which golive does only for a registered manager, quality lead or
admin receiving it privately, and for the operator's ``golive export``. Free text purged under
the retention policy reads "[removed under the retention policy]", in the audit trail too.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from store.audit import as_text
from store.enums import Band
from store.models import (
    ISSUE_PREFIX,
    RISK_PREFIX,
    AuditEvent,
    Control,
    ControlVerdict,
    Decision,
    FollowUpAudit,
    Issue,
    LeadershipAction,
    Person,
    Risk,
    RiskAssessment,
    Service,
)
from store.privacy import mask
from store.retention import PURGED_TEXT, purged_fields
from store.scoring import band_for

Row = dict[str, Any]

TEXT, LONG, DATE, TIME, NUMBER, BAND = "text", "long", "date", "time", "number", "band"

BAND_FILLS = {
    Band.LOW.label: "92D050",
    Band.MODERATE.label: "FFFF00",
    Band.HIGH.label: "FFC000",
    Band.EXTREME.label: "FF0000",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    width: int = 16


@dataclass(frozen=True)
class Table:
    """One export table: its file name, sheet title, columns and the query that fills it."""

    name: str
    title: str
    columns: tuple[Column, ...]
    build: Callable[[Session], list[Row]]

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]


class _Names:
    def __init__(self, session: Session) -> None:
        self.people = {p.id: p.name for p in session.exec(select(Person))}
        self.services = {s.id: s.name for s in session.exec(select(Service))}

    def person(self, person_id: int | None) -> str:
        return self.people.get(person_id, "") if person_id else ""

    def service(self, service_id: int | None) -> str:
        return self.services.get(service_id, "") if service_id else "Whole organisation"


def _band(score: int | None) -> str:
    return band_for(score).label if score else ""


def _or_blank(value: Any) -> Any:
    return "" if value is None else value


def risk_register(session: Session) -> list[Row]:
    names = _Names(session)
    register = list(session.exec(select(Risk).order_by(col(Risk.number))))
    origins = {r.id: r.ref for r in register}
    rows = []
    for risk in register:
        target = (risk.target_likelihood or 0) * (risk.target_impact or 0)
        rows.append(
            {
                "Reference": risk.ref,
                "Title": risk.title,
                "Description": risk.description,
                "Category": risk.category.label,
                "Service": names.service(risk.service_id),
                "Likelihood": _or_blank(risk.likelihood),
                "Impact": _or_blank(risk.impact),
                "Score": _or_blank(risk.score),
                "Band": _band(risk.score),
                "Target score": target or "",
                "Owner": names.person(risk.owner_id),
                "Review date": _or_blank(risk.review_date),
                "Escalation route": risk.escalation_route or "",
                "Register": risk.risk_register.label,
                "Status": risk.status.label,
                "Transferred from": origins.get(risk.transferred_from_id, ""),
                "Recorded": risk.created_at,
            }
        )
    return rows


def score_history(session: Session) -> list[Row]:
    names = _Names(session)
    query = (
        select(RiskAssessment, Risk.number, Risk.title)
        .join(Risk, col(Risk.id) == RiskAssessment.risk_id)
        .order_by(col(Risk.number), col(RiskAssessment.assessed_at), col(RiskAssessment.id))
    )
    rows = []
    for assessment, number, title in session.exec(query):
        score = assessment.likelihood * assessment.impact
        rows.append(
            {
                "Risk": f"{RISK_PREFIX}{number:03d}",
                "Title": title,
                "Assessed": assessment.assessed_at,
                "Likelihood": assessment.likelihood,
                "Impact": assessment.impact,
                "Score": score,
                "Band": _band(score),
                "Reason": assessment.reason,
                "Assessed by": names.person(assessment.assessed_by_id),
            }
        )
    return rows


def _refs(session: Session) -> tuple[dict[int | None, str], dict[int | None, str]]:
    """Risk and issue references by id, from one read of each."""
    risks = {
        r_id: f"{RISK_PREFIX}{n:03d}" for r_id, n in session.exec(select(Risk.id, Risk.number))
    }
    issues = {
        i_id: f"{ISSUE_PREFIX}{n:04d}" for i_id, n in session.exec(select(Issue.id, Issue.number))
    }
    return risks, issues


def control_list(session: Session) -> list[Row]:
    names = _Names(session)
    risk_refs, issue_refs = _refs(session)
    return [
        {
            "Control": control.ref,
            "On": risk_refs.get(control.risk_id, "") or issue_refs.get(control.issue_id, ""),
            "Description": control.description,
            "Owner": names.person(control.owner_id),
            "Due date": _or_blank(control.due_date),
            "Status": control.status.label,
            "Priority": "yes" if control.priority else "",
            "Updated": control.updated_at,
        }
        for control in session.exec(select(Control).order_by(col(Control.id)))
    ]


def issue_log(session: Session) -> list[Row]:
    names = _Names(session)
    controls: dict[int, list[str]] = {}
    for control in session.exec(
        select(Control).where(col(Control.issue_id).is_not(None)).order_by(col(Control.id))
    ):
        controls.setdefault(control.issue_id or 0, []).append(control.description)
    rows = []
    for issue in session.exec(select(Issue).order_by(col(Issue.number))):
        rows.append(
            {
                "Reference": issue.ref,
                "Reported": issue.reported_at,
                "Service": names.service(issue.service_id),
                "Category": issue.category.label,
                "What happened": issue.description,
                "Impact on care": issue.impact.label,
                "Urgency": issue.urgency.label,
                "Workaround": issue.workaround.label,
                "Reporter": names.person(issue.reporter_id),
                "Source": issue.source.label,
                "Status": issue.status.label,
                "Owner": names.person(issue.owner_id),
                "Triaged": _or_blank(issue.triaged_at),
                "Immediate controls": "; ".join(controls.get(issue.id or 0, [])),
                "Correction action": issue.correction_action or "",
                "Target date": _or_blank(issue.correction_due),
                "Resolved": _or_blank(issue.resolved_at),
                "Closed": _or_blank(issue.closed_at),
                "Closure evidence": issue.closure_evidence or "",
            }
        )
    return rows


def decision_log(session: Session) -> list[Row]:
    names = _Names(session)
    risk_refs, issue_refs = _refs(session)
    query = select(Decision).order_by(col(Decision.decided_at), col(Decision.id))
    return [
        {
            "Decided": decision.decided_at,
            "On": risk_refs.get(decision.risk_id, "") or issue_refs.get(decision.issue_id, ""),
            "Decision": decision.kind.label,
            "Summary": decision.summary,
            "Owner": names.person(decision.owner_id),
            "Escalation route": decision.escalation_route or "",
            "Follow-up date": _or_blank(decision.follow_up_date),
            "Decided by": names.person(decision.decided_by_id),
        }
        for decision in session.exec(query)
    ]


def control_verdicts(session: Session) -> list[Row]:
    names = _Names(session)
    query = (
        select(ControlVerdict, Risk.number, Risk.title, Risk.service_id)
        .join(Risk, col(Risk.id) == ControlVerdict.risk_id)
        .order_by(col(ControlVerdict.review_id), col(Risk.number))
    )
    return [
        {
            "Review": f"PIR-{verdict.review_id}",
            "Risk": f"{RISK_PREFIX}{number:03d}",
            "Title": title,
            "Service": names.service(service_id),
            "Controls effective": verdict.verdict.label,
            "Evidence": verdict.evidence,
            "Given by": names.person(verdict.given_by_id),
            "Given": verdict.updated_at,
        }
        for verdict, number, title, service_id in session.exec(query)
    ]


def leadership_actions(session: Session) -> list[Row]:
    names = _Names(session)
    query = select(LeadershipAction).order_by(col(LeadershipAction.id))
    return [
        {
            "Action": action.ref,
            "Review": f"PIR-{action.review_id}",
            "Description": action.description,
            "Owner": names.person(action.owner_id),
            "Due date": _or_blank(action.due_date),
            "Recorded by": names.person(action.recorded_by_id),
            "Recorded": action.recorded_at,
        }
        for action in session.exec(query)
    ]


def follow_up_audits(session: Session) -> list[Row]:
    names = _Names(session)
    query = select(FollowUpAudit).order_by(col(FollowUpAudit.due_date), col(FollowUpAudit.id))
    return [
        {
            "Audit": item.ref,
            "Review": f"PIR-{item.review_id}",
            "Topic": item.topic,
            "Due date": item.due_date,
            "Result": item.result or "",
            "Residual score": _or_blank(item.residual_score),
            "High or extreme risks": _or_blank(item.high_risks),
            "Risk reducing": ""
            if item.risks_reducing is None
            else ("yes" if item.risks_reducing else "no"),
            "Recorded by": names.person(item.recorded_by_id),
            "Recorded": _or_blank(item.recorded_at),
        }
        for item in session.exec(query)
    ]


def audit_trail(session: Session) -> list[Row]:
    """The trail as written, except that a record's purged free text (the audit rows are
    append-only, so they still hold it) reads as removed."""
    purged = purged_fields(session)

    def value(event: AuditEvent, text: str | None) -> str:
        if text and event.field in purged.get(event.entity_ref, ()):
            return PURGED_TEXT
        return text or ""

    return [
        {
            "When": event.at,
            "Who": event.actor_name,
            "Record": event.entity_ref,
            "Action": event.action,
            "Field": event.field or "",
            "Old value": value(event, event.old_value),
            "New value": value(event, event.new_value),
        }
        for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))
    ]


def table_rows(session: Session, table: Table, *, reveal: bool = False) -> list[Row]:
    """A table's rows as an export shows them: personal data masked unless ``reveal``."""
    rows = table.build(session)
    if reveal:
        return rows
    return [{k: mask(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]


def _cols(*spec: tuple[str, str, int]) -> tuple[Column, ...]:
    return tuple(Column(name, kind, width) for name, kind, width in spec)


TABLE_LIST: tuple[Table, ...] = (
    Table(
        "risk-register",
        "Risk register",
        _cols(
            ("Reference", TEXT, 11),
            ("Title", LONG, 40),
            ("Description", LONG, 40),
            ("Category", TEXT, 20),
            ("Service", TEXT, 20),
            ("Likelihood", NUMBER, 11),
            ("Impact", NUMBER, 9),
            ("Score", NUMBER, 8),
            ("Band", BAND, 11),
            ("Target score", NUMBER, 8),
            ("Owner", TEXT, 18),
            ("Review date", DATE, 12),
            ("Escalation route", LONG, 28),
            ("Register", TEXT, 18),
            ("Status", TEXT, 12),
            ("Transferred from", TEXT, 11),
            ("Recorded", TIME, 17),
        ),
        risk_register,
    ),
    Table(
        "score-history",
        "Score history",
        _cols(
            ("Risk", TEXT, 9),
            ("Title", LONG, 40),
            ("Assessed", TIME, 17),
            ("Likelihood", NUMBER, 11),
            ("Impact", NUMBER, 9),
            ("Score", NUMBER, 8),
            ("Band", BAND, 11),
            ("Reason", LONG, 40),
            ("Assessed by", TEXT, 18),
        ),
        score_history,
    ),
    Table(
        "controls",
        "Controls",
        _cols(
            ("Control", TEXT, 9),
            ("On", TEXT, 10),
            ("Description", LONG, 50),
            ("Owner", TEXT, 18),
            ("Due date", DATE, 12),
            ("Status", TEXT, 12),
            ("Priority", TEXT, 9),
            ("Updated", TIME, 17),
        ),
        control_list,
    ),
    Table(
        "issue-log",
        "Issue log",
        _cols(
            ("Reference", TEXT, 11),
            ("Reported", TIME, 17),
            ("Service", TEXT, 20),
            ("Category", TEXT, 22),
            ("What happened", LONG, 45),
            ("Impact on care", TEXT, 20),
            ("Urgency", TEXT, 10),
            ("Workaround", TEXT, 24),
            ("Reporter", TEXT, 18),
            ("Source", TEXT, 16),
            ("Status", TEXT, 16),
            ("Owner", TEXT, 18),
            ("Triaged", TIME, 17),
            ("Immediate controls", LONG, 36),
            ("Correction action", LONG, 36),
            ("Target date", DATE, 12),
            ("Resolved", TIME, 17),
            ("Closed", TIME, 17),
            ("Closure evidence", LONG, 36),
        ),
        issue_log,
    ),
    Table(
        "decisions",
        "Decisions",
        _cols(
            ("Decided", TIME, 17),
            ("On", TEXT, 10),
            ("Decision", TEXT, 20),
            ("Summary", LONG, 50),
            ("Owner", TEXT, 18),
            ("Escalation route", LONG, 28),
            ("Follow-up date", DATE, 13),
            ("Decided by", TEXT, 18),
        ),
        decision_log,
    ),
    Table(
        "review-verdicts",
        "Control verdicts",
        _cols(
            ("Review", TEXT, 8),
            ("Risk", TEXT, 9),
            ("Title", LONG, 40),
            ("Service", TEXT, 20),
            ("Controls effective", TEXT, 17),
            ("Evidence", LONG, 50),
            ("Given by", TEXT, 18),
            ("Given", TIME, 17),
        ),
        control_verdicts,
    ),
    Table(
        "leadership-actions",
        "Leadership actions",
        _cols(
            ("Action", TEXT, 8),
            ("Review", TEXT, 8),
            ("Description", LONG, 50),
            ("Owner", TEXT, 18),
            ("Due date", DATE, 12),
            ("Recorded by", TEXT, 18),
            ("Recorded", TIME, 17),
        ),
        leadership_actions,
    ),
    Table(
        "follow-up-audits",
        "Follow-up audits",
        _cols(
            ("Audit", TEXT, 8),
            ("Review", TEXT, 8),
            ("Topic", LONG, 30),
            ("Due date", DATE, 12),
            ("Result", LONG, 50),
            ("Residual score", NUMBER, 10),
            ("High or extreme risks", NUMBER, 12),
            ("Risk reducing", TEXT, 10),
            ("Recorded by", TEXT, 18),
            ("Recorded", TIME, 17),
        ),
        follow_up_audits,
    ),
    Table(
        "audit-trail",
        "Audit trail",
        _cols(
            ("When", TIME, 17),
            ("Who", TEXT, 20),
            ("Record", TEXT, 14),
            ("Action", TEXT, 20),
            ("Field", TEXT, 18),
            ("Old value", LONG, 36),
            ("New value", LONG, 36),
        ),
        audit_trail,
    ),
)

TABLES: dict[str, Callable[[Session], list[Row]]] = {t.name: t.build for t in TABLE_LIST}


# CSV


def csv_text(value: Any) -> str:
    """How a value reads in a CSV: ISO dates and times, and text that a spreadsheet would run
    as a formula (=, +, -, @ first) prefixed with an apostrophe, as OWASP advises."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = as_text(value) or ""
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def write_table_csv(handle: Any, table: Table, rows: list[Row]) -> None:
    writer = csv.writer(handle)
    writer.writerow(table.headers)
    for row in rows:
        writer.writerow([csv_text(row[name]) for name in table.headers])


def write_csv(session: Session, folder: Path, *, reveal: bool = False) -> list[Path]:
    """One CSV per table (UTF-8 with a byte-order mark, so Excel reads names correctly)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLE_LIST:
        path = folder / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            write_table_csv(handle, table, table_rows(session, table, reveal=reveal))
        written.append(path)
    return written


def csv_files(session: Session, *, reveal: bool = False) -> list[tuple[str, bytes]]:
    """Each table as (file name, CSV bytes with a byte-order mark), for an upload to Slack."""
    files = []
    for table in TABLE_LIST:
        buffer = io.StringIO(newline="")
        write_table_csv(buffer, table, table_rows(session, table, reveal=reveal))
        files.append((f"{table.name}.csv", buffer.getvalue().encode("utf-8-sig")))
    return files


# XLSX

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_CELL = 32_767


def _local(value: datetime, zone: tzinfo) -> datetime:
    """Excel has no time zones: show the provider's wall-clock time, named in the About sheet."""
    return value.astimezone(zone).replace(tzinfo=None)


def _fill_cell(cell: Cell, column: Column, value: Any, zone: tzinfo) -> None:
    if isinstance(value, datetime):
        cell.value = _local(value, zone)
        cell.number_format = TIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, int) and not isinstance(value, bool):
        cell.value = value
    else:
        # Set as a string explicitly: openpyxl would otherwise store text starting with "=" as
        # a formula, and a report typed by anyone must never run in the reader's spreadsheet.
        cell.value = str(value)[:MAX_CELL]
        cell.data_type = "s"
    cell.alignment = WRAP if column.kind == LONG else TOP
    fill = BAND_FILLS.get(str(value)) if column.kind == BAND else None
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
        if str(value) == Band.EXTREME.label:
            cell.font = Font(bold=True, color="FFFFFF")


def _score_fill(cell: Cell, value: Any) -> None:
    if isinstance(value, int) and 1 <= value <= 25:
        cell.fill = PatternFill("solid", fgColor=BAND_FILLS[band_for(value).label])


def _sheet(book: Workbook, table: Table, rows: list[Row], zone: tzinfo) -> None:
    sheet = book.create_sheet(table.title)
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index, row in enumerate(rows, start=2):
        for position, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=index, column=position)
            value = row[column.name]
            _fill_cell(cell, column, value, zone)
            if column.name == "Score":
                _score_fill(cell, value)
    for position, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = column.width
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(table.columns))
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"


def _about(book: Workbook, *, generated: datetime, zone: tzinfo, provider: str) -> None:
    sheet = book.active
    assert sheet is not None
    sheet.title = "About"
    lines = [
        ("Go-live governance records", provider),
        ("Exported", _local(generated, zone)),
        ("Times shown in", str(zone)),
        ("Bands (NHS 5x5)", "Low 1-3, moderate 4-6, high 8-12, extreme 15-25"),
    ]
    lines.extend((t.title, f"{len(t.columns)} columns") for t in TABLE_LIST)
    for label, value in lines:
        sheet.append([label, value])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["B2"].number_format = TIME_FORMAT
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 60


def build_workbook(
    session: Session,
    *,
    generated: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    reveal: bool = False,
) -> Workbook:
    """The whole record as one workbook: an About sheet, then a sheet per table."""
    book = Workbook()
    _about(book, generated=generated, zone=zone, provider=provider)
    for table in TABLE_LIST:
        _sheet(book, table, table_rows(session, table, reveal=reveal), zone)
    book.properties.title = "Go-live governance records"
    book.properties.creator = "golive"
    return book


def workbook_bytes(
    session: Session,
    *,
    generated: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    reveal: bool = False,
) -> bytes:
    """The workbook as bytes, for an upload to Slack."""
    buffer = io.BytesIO()
    book = build_workbook(
        session, generated=generated, zone=zone, provider=provider, reveal=reveal
    )
    book.save(buffer)
    return buffer.getvalue()


def write_xlsx(
    session: Session,
    path: Path,
    *,
    generated: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    reveal: bool = False,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = workbook_bytes(session, generated=generated, zone=zone, provider=provider, reveal=reveal)
    path.write_bytes(data)
    return path
