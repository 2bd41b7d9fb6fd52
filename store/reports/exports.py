"""The register, its score history, controls, issue log, decisions, the post-implementation
review and the audit trail as plain rows, in the words an inspector reads; written as CSV files
and as one XLSX workbook (a sheet per table, header frozen, filters on, bands coloured). The
audit trail, hundreds of thousands of rows for a large provider, is not a sheet: it goes with
the workbook as a CSV file of its own, which the workbook's About sheet names.

Each table is read in one query of the columns it shows, with names looked up from one read of
people and services, so an export of years of records costs a handful of statements. Rows hold
typed values (dates as dates, numbers as numbers): the workbook keeps them so, the CSV writes
them as ISO text. The workbook is written row by row with XlsxWriter in constant-memory mode,
with one shared format per distinct style.

Personal data: an export masks NHS numbers and dates of birth (store/records/privacy.py) unless the
caller passes ``reveal=True``, which golive does only for a registered manager, quality lead or
admin receiving it privately, and for the operator's ``golive export``. Free text purged under
the retention policy reads "[removed under the retention policy]", in the audit trail too.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from xlsxwriter import Workbook  # type: ignore[import-untyped]
from xlsxwriter.format import Format  # type: ignore[import-untyped]

from store.records.audit import as_text
from store.records.enums import Band
from store.records.models import (
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
from store.records.privacy import mask
from store.records.retention import PURGED_TEXT, purged_fields
from store.records.scoring import band_for

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
    query = sa_select(
        col(Risk.id),
        col(Risk.number),
        col(Risk.title),
        col(Risk.description),
        col(Risk.category),
        col(Risk.service_id),
        col(Risk.likelihood),
        col(Risk.impact),
        col(Risk.score),
        col(Risk.target_likelihood),
        col(Risk.target_impact),
        col(Risk.owner_id),
        col(Risk.review_date),
        col(Risk.escalation_route),
        col(Risk.risk_register),
        col(Risk.status),
        col(Risk.transferred_from_id),
        col(Risk.created_at),
    ).order_by(col(Risk.number))
    register = session.execute(query).all()
    origins = {risk[0]: f"{RISK_PREFIX}{risk[1]:03d}" for risk in register}
    rows = []
    for (
        risk_id,
        _number,
        title,
        description,
        category,
        service_id,
        likelihood,
        impact,
        score,
        target_likelihood,
        target_impact,
        owner_id,
        review_date,
        escalation_route,
        register_kind,
        status,
        transferred_from_id,
        created_at,
    ) in register:
        target = (target_likelihood or 0) * (target_impact or 0)
        rows.append(
            {
                "Reference": origins[risk_id],
                "Title": title,
                "Description": description,
                "Category": category.label,
                "Service": names.service(service_id),
                "Likelihood": _or_blank(likelihood),
                "Impact": _or_blank(impact),
                "Score": _or_blank(score),
                "Band": _band(score),
                "Target score": target or "",
                "Owner": names.person(owner_id),
                "Review date": _or_blank(review_date),
                "Escalation route": escalation_route or "",
                "Register": register_kind.label,
                "Status": status.label,
                "Transferred from": origins.get(transferred_from_id, ""),
                "Recorded": created_at,
            }
        )
    return rows


def score_history(session: Session) -> list[Row]:
    names = _Names(session)
    query = (
        sa_select(
            col(Risk.number),
            col(Risk.title),
            col(RiskAssessment.assessed_at),
            col(RiskAssessment.likelihood),
            col(RiskAssessment.impact),
            col(RiskAssessment.reason),
            col(RiskAssessment.assessed_by_id),
        )
        .join(Risk, col(Risk.id) == RiskAssessment.risk_id)
        .order_by(col(Risk.number), col(RiskAssessment.assessed_at), col(RiskAssessment.id))
    )
    rows = []
    for number, title, assessed_at, likelihood, impact, reason, assessed_by_id in session.execute(
        query
    ):
        score = likelihood * impact
        rows.append(
            {
                "Risk": f"{RISK_PREFIX}{number:03d}",
                "Title": title,
                "Assessed": assessed_at,
                "Likelihood": likelihood,
                "Impact": impact,
                "Score": score,
                "Band": _band(score),
                "Reason": reason,
                "Assessed by": names.person(assessed_by_id),
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
    query = sa_select(
        col(Control.id),
        col(Control.risk_id),
        col(Control.issue_id),
        col(Control.description),
        col(Control.owner_id),
        col(Control.due_date),
        col(Control.status),
        col(Control.priority),
        col(Control.updated_at),
    ).order_by(col(Control.id))
    return [
        {
            "Control": f"C-{control_id}",
            "On": risk_refs.get(risk_id, "") or issue_refs.get(issue_id, ""),
            "Description": description,
            "Owner": names.person(owner_id),
            "Due date": _or_blank(due_date),
            "Status": status.label,
            "Priority": "yes" if priority else "",
            "Updated": updated_at,
        }
        for (
            control_id,
            risk_id,
            issue_id,
            description,
            owner_id,
            due_date,
            status,
            priority,
            updated_at,
        ) in session.execute(query)
    ]


def issue_log(session: Session) -> list[Row]:
    names = _Names(session)
    controls: dict[int, list[str]] = {}
    for issue_id, description in session.execute(
        sa_select(col(Control.issue_id), col(Control.description))
        .where(col(Control.issue_id).is_not(None))
        .order_by(col(Control.id))
    ):
        controls.setdefault(issue_id or 0, []).append(description)
    query = sa_select(
        col(Issue.id),
        col(Issue.number),
        col(Issue.reported_at),
        col(Issue.service_id),
        col(Issue.category),
        col(Issue.description),
        col(Issue.impact),
        col(Issue.urgency),
        col(Issue.workaround),
        col(Issue.reporter_id),
        col(Issue.source),
        col(Issue.status),
        col(Issue.owner_id),
        col(Issue.triaged_at),
        col(Issue.correction_action),
        col(Issue.correction_due),
        col(Issue.resolved_at),
        col(Issue.closed_at),
        col(Issue.closure_evidence),
    ).order_by(col(Issue.number))
    rows = []
    for (
        issue_id,
        number,
        reported_at,
        service_id,
        category,
        description,
        impact,
        urgency,
        workaround,
        reporter_id,
        source,
        status,
        owner_id,
        triaged_at,
        correction_action,
        correction_due,
        resolved_at,
        closed_at,
        closure_evidence,
    ) in session.execute(query):
        rows.append(
            {
                "Reference": f"{ISSUE_PREFIX}{number:04d}",
                "Reported": reported_at,
                "Service": names.service(service_id),
                "Category": category.label,
                "What happened": description,
                "Impact on care": impact.label,
                "Urgency": urgency.label,
                "Workaround": workaround.label,
                "Reporter": names.person(reporter_id),
                "Source": source.label,
                "Status": status.label,
                "Owner": names.person(owner_id),
                "Triaged": _or_blank(triaged_at),
                "Immediate controls": "; ".join(controls.get(issue_id, [])),
                "Correction action": correction_action or "",
                "Target date": _or_blank(correction_due),
                "Resolved": _or_blank(resolved_at),
                "Closed": _or_blank(closed_at),
                "Closure evidence": closure_evidence or "",
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
    query = sa_select(
        col(AuditEvent.at),
        col(AuditEvent.actor_name),
        col(AuditEvent.entity_ref),
        col(AuditEvent.action),
        col(AuditEvent.field),
        col(AuditEvent.old_value),
        col(AuditEvent.new_value),
    ).order_by(col(AuditEvent.id))
    rows = []
    for at, actor_name, ref, action, field, old_value, new_value in session.execute(query):
        hidden = purged.get(ref, ())
        if field in hidden:
            old_value = PURGED_TEXT if old_value else old_value
            new_value = PURGED_TEXT if new_value else new_value
        rows.append(
            {
                "When": at,
                "Who": actor_name,
                "Record": ref,
                "Action": action,
                "Field": field or "",
                "Old value": old_value or "",
                "New value": new_value or "",
            }
        )
    return rows


def table_rows(session: Session, table: Table, *, reveal: bool = False) -> list[Row]:
    """A table's rows as an export shows them: personal data masked unless ``reveal``."""
    rows = table.build(session)
    if reveal:
        return rows
    # Names, labels and references repeat on every row: mask each distinct text once.
    masked = cache(mask)
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str):
                row[key] = masked(value)
    return rows


def _cols(*spec: tuple[str, str, int]) -> tuple[Column, ...]:
    return tuple(Column(name, kind, width) for name, kind, width in spec)


# The workbook's tables; the audit trail, far longer than all of them, is a CSV file of its own.
WORKBOOK_TABLES: tuple[Table, ...] = (
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
)

AUDIT_TRAIL = Table(
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
)
TABLE_LIST: tuple[Table, ...] = (*WORKBOOK_TABLES, AUDIT_TRAIL)

TABLES: dict[str, Callable[[Session], list[Row]]] = {t.name: t.build for t in TABLE_LIST}


# CSV


def csv_text(value: Any) -> str:
    """How a value reads in a CSV: ISO dates and times, and text that a spreadsheet would run
    as a formula (=, +, -, @ first) prefixed with an apostrophe, as OWASP advises."""
    if value.__class__ is str:  # most cells, and the audit trail's million: the short way
        return "'" + value if value.startswith(FORMULA_START) else value
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

HEADER_STYLE = {
    "bold": True,
    "font_color": "#FFFFFF",
    "bg_color": "#1F4E78",
    "pattern": 1,
    "text_wrap": True,
    "valign": "vcenter",
}
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def audit_trail_file_name(generated: datetime, zone: tzinfo = UTC) -> str:
    """The audit trail's own file, which travels beside the workbook (hundreds of thousands
    of rows would make the workbook slow to write and to open)."""
    return f"golive-audit-trail-{generated.astimezone(zone).date().isoformat()}.csv"


def audit_trail_file(
    session: Session, *, generated: datetime, zone: tzinfo = UTC, reveal: bool = False
) -> tuple[str, bytes]:
    """The audit trail as (file name, CSV bytes with a byte-order mark), to go with the
    workbook, whose About sheet names this file."""
    buffer = io.StringIO(newline="")
    write_table_csv(buffer, AUDIT_TRAIL, table_rows(session, AUDIT_TRAIL, reveal=reveal))
    return audit_trail_file_name(generated, zone), buffer.getvalue().encode("utf-8-sig")


def _local(value: datetime, zone: tzinfo) -> datetime:
    """Excel has no time zones: show the provider's wall-clock time, named in the About sheet."""
    return value.astimezone(zone).replace(tzinfo=None)


class _Formats:
    """Each distinct cell style made once and shared by every cell that has it: XlsxWriter
    then writes one style record per style, not one per cell."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.made: dict[tuple[tuple[str, Any], ...], Format] = {}

    def get(self, **style: Any) -> Format:
        key = tuple(sorted(style.items()))
        if key not in self.made:
            self.made[key] = self.book.add_format(style)
        return self.made[key]


@dataclass(frozen=True)
class _ColumnStyle:
    """A column's formats: plain, for dates and times, and by value where the value colours
    the cell (a band label, a 1-25 score)."""

    plain: Format
    date: Format
    time: Format
    by_text: dict[str, Format]
    by_number: dict[int, Format]


def _band_style(label: str) -> dict[str, Any]:
    style: dict[str, Any] = {"bg_color": f"#{BAND_FILLS[label]}", "pattern": 1}
    if label == Band.EXTREME.label:
        style.update(bold=True, font_color="#FFFFFF")
    return style


def _column_style(formats: _Formats, column: Column) -> _ColumnStyle:
    base: dict[str, Any] = {"valign": "top"}
    if column.kind == LONG:
        base["text_wrap"] = True
    by_text = (
        {label: formats.get(**base, **_band_style(label)) for label in BAND_FILLS}
        if column.kind == BAND
        else {}
    )
    by_number = (
        {
            score: formats.get(**base, bg_color=f"#{BAND_FILLS[band_for(score).label]}", pattern=1)
            for score in range(1, 26)
        }
        if column.name == "Score"
        else {}
    )
    return _ColumnStyle(
        plain=formats.get(**base),
        date=formats.get(**base, num_format=DATE_FORMAT),
        time=formats.get(**base, num_format=TIME_FORMAT),
        by_text=by_text,
        by_number=by_number,
    )


def _sheet(book: Workbook, formats: _Formats, table: Table, rows: list[Row], zone: tzinfo) -> None:
    """One table as a sheet, written row by row (constant memory: each row goes to disk as
    soon as the next begins). Blank values leave the cell empty. Text is always written as
    text, never as a formula: a report typed by anyone must not run in the reader's
    spreadsheet."""
    sheet = book.add_worksheet(table.title)
    header = formats.get(**HEADER_STYLE)
    for position, column in enumerate(table.columns):
        sheet.set_column(position, position, column.width)
        sheet.write_string(0, position, column.name, header)
    columns = [
        (position, column.name, _column_style(formats, column))
        for position, column in enumerate(table.columns)
    ]
    write_string, write_number, write_datetime = (
        sheet.write_string,
        sheet.write_number,
        sheet.write_datetime,
    )
    for index, row in enumerate(rows, start=1):
        for position, name, style in columns:
            value = row[name]
            kind = value.__class__  # exact classes, most common first: this runs per cell
            if kind is str:
                if value:
                    write_string(index, position, value, style.by_text.get(value, style.plain))
            elif kind is datetime:
                write_datetime(index, position, _local(value, zone), style.time)
            elif kind is date:
                write_datetime(index, position, value, style.date)
            elif kind is int:
                write_number(index, position, value, style.by_number.get(value, style.plain))
            elif value is not None and (text := str(value)):
                write_string(index, position, text, style.by_text.get(text, style.plain))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(table.columns) - 1)


def _about(
    book: Workbook, formats: _Formats, *, generated: datetime, zone: tzinfo, provider: str
) -> None:
    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 60)
    lines: list[tuple[str, Any]] = [
        ("Go-live governance records", provider),
        ("Exported", _local(generated, zone)),
        ("Times shown in", str(zone)),
        ("Bands (NHS 5x5)", "Low 1-3, moderate 4-6, high 8-12, extreme 15-25"),
    ]
    lines.extend((t.title, f"{len(t.columns)} columns") for t in WORKBOOK_TABLES)
    trail_file = audit_trail_file_name(generated, zone)
    lines.append(
        (AUDIT_TRAIL.title, f"In its own file, {trail_file}, which comes with this workbook")
    )
    title = formats.get(bold=True, font_size=14)
    for index, (label, value) in enumerate(lines):
        sheet.write_string(index, 0, label, title if index == 0 else None)
        if isinstance(value, datetime):
            sheet.write_datetime(index, 1, value, formats.get(num_format=TIME_FORMAT))
        elif value:
            sheet.write_string(index, 1, value)


def _write_workbook(
    session: Session,
    target: str | io.BytesIO,
    *,
    generated: datetime,
    zone: tzinfo,
    provider: str,
    reveal: bool,
) -> None:
    """The whole record but the audit trail as one workbook: an About sheet, then a sheet per
    table. The audit trail goes in its own CSV file (``audit_trail_file``)."""
    book = Workbook(target, {"constant_memory": True})
    book.set_properties({"title": "Go-live governance records", "author": "golive"})
    formats = _Formats(book)
    _about(book, formats, generated=generated, zone=zone, provider=provider)
    for table in WORKBOOK_TABLES:
        _sheet(book, formats, table, table_rows(session, table, reveal=reveal), zone)
    book.close()


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
    _write_workbook(
        session, buffer, generated=generated, zone=zone, provider=provider, reveal=reveal
    )
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
    _write_workbook(
        session, str(path), generated=generated, zone=zone, provider=provider, reveal=reveal
    )
    return path
