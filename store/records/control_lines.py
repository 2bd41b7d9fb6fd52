"""Controls as a list shows them: display-ready lines, owner named and lateness decided.

A digest lists an issue's or a risk's controls under it, and so does a board escalation;
both read them here, so the records never reach into the reports for them.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.records.models import Control, Person

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
    in one query."""
    owner = aliased(Person)
    query = (
        select(Control, owner.name)
        .join(owner, col(owner.id) == Control.owner_id, isouter=True)
        .where(query_filter)
        .order_by(col(Control.id))
    )
    grouped: dict[Parent, list[ControlLine]] = defaultdict(list)
    for control, owner_name in session.exec(query):
        parent = ("risk", control.risk_id) if control.risk_id else ("issue", control.issue_id)
        grouped[parent].append(control_line(control, owner_name, today))
    return grouped
