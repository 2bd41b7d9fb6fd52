"""The register, its score history, controls, issue log, decisions, the post-implementation
review and the audit trail as plain rows, in the words an inspector reads. The face writes them
as files (documents/csv_files.py, documents/workbook.py); the store only says what the rows are.

Each table is read in one query of the columns it shows, with names looked up from one read of
people and services, so an export of years of records costs a handful of statements. Rows hold
typed values (dates as dates, numbers as numbers): the workbook keeps them so, the CSV writes
them as ISO text.

Personal data: an export masks NHS numbers and dates of birth (store/records/privacy.py) unless the
caller passes ``reveal=True``, which golive does only for a registered manager, quality lead or
admin receiving it privately, and for the operator's ``golive export``. Free text purged under
the retention policy reads "[removed under the retention policy]", in the audit trail too.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

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


REFERENCE = re.compile(r"[A-Z]{1,4}-\d{1,6}")
"""A record's reference (I-0042, R-007, C-15, PIR-3): one dash between letters and at most six
digits can be neither an NHS number (ten digits) nor a date (two separators, or a month word),
so the export's hundred thousand references skip the masking patterns."""


def _mask(value: str) -> str:
    return value if REFERENCE.fullmatch(value) else mask(value)


def table_rows(session: Session, table: Table, *, reveal: bool = False) -> list[Row]:
    """A table's rows as an export shows them: personal data masked unless ``reveal``."""
    rows = table.build(session)
    if reveal:
        return rows
    # Names, labels and references repeat on every row: mask each distinct text once.
    masked = cache(_mask)
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
