"""Controls as a list shows them: display-ready lines, owner named and lateness decided.

A digest lists an issue's or a risk's controls under it, and so does a board escalation;
both read them here, so the records never reach into the reports for them.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from store.records.enums import OPEN_CONTROL_STATUSES
from store.records.models import Control, Person, control_ref

# What a control belongs to: ("risk", its id) or ("issue", its id).
Parent = tuple[str, int | None]


@dataclass(frozen=True)
class ControlLine:
    ref: str
    description: str
    status: str
    owner: str | None
    due: date | None
    overdue: bool


def control_line(control: Control, owner_name: str | None, today: date | None) -> ControlLine:
    """One control as a list shows it; overdue only when ``today`` is given."""
    return ControlLine(
        ref=control.ref,
        description=control.description,
        status=control.status.label,
        owner=owner_name,
        due=control.due_date,
        overdue=today is not None and control.is_overdue(today),
    )


def controls_by(
    session: Session, query_filter: ColumnElement[bool], *, today: date | None = None
) -> dict[Parent, list[ControlLine]]:
    """The controls meeting ``query_filter``, oldest first, grouped by what they belong to,
    in one query of the columns a line shows (a sweep lists thousands: records would cost
    several times the query)."""
    owner = aliased(Person)
    query = (
        select(
            col(Control.id),
            col(Control.risk_id),
            col(Control.issue_id),
            col(Control.description),
            col(Control.status),
            col(Control.due_date),
            col(owner.name),
        )
        .join(owner, col(owner.id) == Control.owner_id, isouter=True)
        .where(query_filter)
        .order_by(col(Control.id))
    )
    grouped: dict[Parent, list[ControlLine]] = defaultdict(list)
    rows = session.execute(query)
    for control_id, risk_id, issue_id, description, status, due, owner_name in rows:
        parent = ("risk", risk_id) if risk_id else ("issue", issue_id)
        grouped[parent].append(
            ControlLine(
                ref=control_ref(control_id),
                description=description,
                status=status.label,
                owner=owner_name,
                due=due,
                overdue=today is not None
                and status in OPEN_CONTROL_STATUSES
                and due is not None
                and due < today,
            )
        )
    return grouped
