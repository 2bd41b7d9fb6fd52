"""The register, issue log, controls, decisions and audit trail as plain rows, in the words an
inspector reads; written as CSV files by ``golive export``.

Each table is read in one query, with names looked up from one read of people and services,
so an export of years of records costs a handful of statements.
"""

import csv
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from store.audit import as_text
from store.models import AuditEvent, Control, Decision, Issue, Person, Risk, Service
from store.scoring import band_for

Row = dict[str, Any]


class _Names:
    def __init__(self, session: Session) -> None:
        self.people = {p.id: p.name for p in session.exec(select(Person))}
        self.services = {s.id: s.name for s in session.exec(select(Service))}

    def person(self, person_id: int | None) -> str:
        return self.people.get(person_id, "") if person_id else ""

    def service(self, service_id: int | None) -> str:
        return self.services.get(service_id, "") if service_id else "Whole organisation"


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return as_text(value) or ""


def risk_register(session: Session) -> list[Row]:
    names = _Names(session)
    rows = []
    for risk in session.exec(select(Risk).order_by(col(Risk.number))):
        rows.append(
            {
                "Reference": risk.ref,
                "Title": risk.title,
                "Description": risk.description,
                "Category": risk.category.label,
                "Service": names.service(risk.service_id),
                "Likelihood": risk.likelihood or "",
                "Impact": risk.impact or "",
                "Score": risk.score or "",
                "Band": band_for(risk.score).label if risk.score else "",
                "Target score": (risk.target_likelihood or 0) * (risk.target_impact or 0) or "",
                "Owner": names.person(risk.owner_id),
                "Review date": _text(risk.review_date),
                "Escalation route": risk.escalation_route or "",
                "Register": risk.risk_register.label,
                "Status": risk.status.label,
                "Recorded": _text(risk.created_at),
            }
        )
    return rows


def issue_log(session: Session) -> list[Row]:
    names = _Names(session)
    controls: dict[int, list[str]] = {}
    for control in session.exec(select(Control).where(col(Control.issue_id).is_not(None))):
        controls.setdefault(control.issue_id or 0, []).append(control.description)
    rows = []
    for issue in session.exec(select(Issue).order_by(col(Issue.number))):
        rows.append(
            {
                "Reference": issue.ref,
                "Reported": _text(issue.reported_at),
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
                "Immediate controls": "; ".join(controls.get(issue.id or 0, [])),
                "Correction action": issue.correction_action or "",
                "Target date": _text(issue.correction_due),
                "Resolved": _text(issue.resolved_at),
                "Closed": _text(issue.closed_at),
                "Closure evidence": issue.closure_evidence or "",
            }
        )
    return rows


def control_list(session: Session) -> list[Row]:
    names = _Names(session)
    risk_refs = {r.id: r.ref for r in session.exec(select(Risk))}
    issue_refs = {
        i.id: i.ref
        for i in session.exec(
            select(Issue).where(
                col(Issue.id).in_(
                    select(Control.issue_id).where(col(Control.issue_id).is_not(None))
                )
            )
        )
    }
    return [
        {
            "Control": control.ref,
            "On": risk_refs.get(control.risk_id, "") or issue_refs.get(control.issue_id, ""),
            "Description": control.description,
            "Owner": names.person(control.owner_id),
            "Due date": _text(control.due_date),
            "Status": control.status.label,
            "Priority": "yes" if control.priority else "",
        }
        for control in session.exec(select(Control).order_by(col(Control.id)))
    ]


def decision_log(session: Session) -> list[Row]:
    names = _Names(session)
    risk_refs = {r.id: r.ref for r in session.exec(select(Risk))}
    issue_refs = {
        i.id: i.ref
        for i in session.exec(
            select(Issue).where(
                col(Issue.id).in_(
                    select(Decision.issue_id).where(col(Decision.issue_id).is_not(None))
                )
            )
        )
    }
    return [
        {
            "Decided": _text(decision.decided_at),
            "On": risk_refs.get(decision.risk_id, "") or issue_refs.get(decision.issue_id, ""),
            "Decision": decision.kind.label,
            "Summary": decision.summary,
            "Owner": names.person(decision.owner_id),
            "Escalation route": decision.escalation_route or "",
            "Follow-up date": _text(decision.follow_up_date),
            "Decided by": names.person(decision.decided_by_id),
        }
        for decision in session.exec(select(Decision).order_by(col(Decision.decided_at)))
    ]


def audit_trail(session: Session) -> list[Row]:
    return [
        {
            "When": _text(event.at),
            "Who": event.actor_name,
            "Record": event.entity_ref,
            "Action": event.action,
            "Field": event.field or "",
            "Old value": event.old_value or "",
            "New value": event.new_value or "",
        }
        for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))
    ]


TABLES = {
    "risk-register": risk_register,
    "issue-log": issue_log,
    "controls": control_list,
    "decisions": decision_log,
    "audit-trail": audit_trail,
}


def _write_csv(path: Path, rows: Iterable[Row], headers: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)


def write_csv(session: Session, folder: Path) -> list[Path]:
    """One CSV per table (UTF-8 with a byte-order mark, so Excel reads names correctly)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in TABLES.items():
        rows = build(session)
        headers = list(rows[0]) if rows else list(_empty_headers(name))
        path = folder / f"{name}.csv"
        _write_csv(path, rows, headers)
        written.append(path)
    return written


def _empty_headers(name: str) -> list[str]:
    return {
        "risk-register": ["Reference", "Title", "Score", "Band", "Owner", "Status"],
        "issue-log": ["Reference", "Reported", "Service", "Category", "Status"],
        "controls": ["Control", "On", "Description", "Owner", "Due date", "Status"],
        "decisions": ["Decided", "On", "Decision", "Summary", "Decided by"],
        "audit-trail": ["When", "Who", "Record", "Action", "Field", "Old value", "New value"],
    }[name]
