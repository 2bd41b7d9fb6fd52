"""Open and overdue, the register's two rules, said once each on the models (risks, controls,
issues and their correction actions): the same hybrid answers in Python on a record (a view,
a digest line) and in SQL on its class (a list, a count), and the two never disagree."""

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from store.infra.db import session_scope
from store.records.enums import (
    ControlStatus,
    Impact,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Register,
    RiskCategory,
    RiskScope,
    RiskStatus,
    Urgency,
    Workaround,
)
from store.records.models import Control, Issue, Person, Risk, Service
from tests.conftest import START

TODAY = START.date()
DAYS = [None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1)]
OPEN_CONTROLS = {ControlStatus.PLANNED, ControlStatus.IN_PROGRESS, ControlStatus.DELAYED}
OPEN_ISSUES = {
    IssueStatus.NEW,
    IssueStatus.TRIAGED,
    IssueStatus.IN_PROGRESS,
    IssueStatus.AWAITING_SUPPLIER,
    IssueStatus.REOPENED,
}


def risk(number: int, status: RiskStatus, review_date: date | None = None) -> Risk:
    return Risk(
        number=number,
        title=f"Risk {number}",
        category=RiskCategory.DATA_MIGRATION,
        scope=RiskScope.ORGANISATION,
        risk_register=Register.IMPLEMENTATION,
        status=status,
        review_date=review_date,
        created_at=START,
        updated_at=START,
    )


def control(status: ControlStatus, due_date: date | None, *, risk_id: int = 1) -> Control:
    return Control(
        risk_id=risk_id,
        description=f"{status} due {due_date}",
        status=status,
        due_date=due_date,
        created_at=START,
        updated_at=START,
    )


def issue(
    number: int, status: IssueStatus, correction_due: date | None, *, ids: tuple[int, int] = (1, 1)
) -> Issue:
    service_id, reporter_id = ids
    return Issue(
        number=number,
        category=IssueCategory.RECORDS,
        service_id=service_id,
        description=f"{status} correction due {correction_due}",
        impact=Impact.SOME,
        urgency=Urgency.MEDIUM,
        workaround=Workaround.SAFE,
        reporter_id=reporter_id,
        reported_at=START,
        source=IssueSource.CLI,
        status=status,
        correction_due=correction_due,
        updated_at=START,
    )


@pytest.mark.parametrize("status", list(RiskStatus))
def test_a_risk_is_open_while_open_or_escalated(status):
    assert risk(1, status).is_open == (status in {RiskStatus.OPEN, RiskStatus.ESCALATED})


@pytest.mark.parametrize("status", list(ControlStatus))
def test_a_control_is_open_while_planned_in_progress_or_delayed(status):
    assert control(status, None).is_open == (status in OPEN_CONTROLS)


@pytest.mark.parametrize("status", list(ControlStatus))
@pytest.mark.parametrize("due", DAYS)
def test_a_control_is_overdue_only_while_open_past_its_due_date(status, due):
    late = due is not None and due < TODAY
    assert control(status, due).is_overdue(TODAY) == (late and status in OPEN_CONTROLS)


@pytest.mark.parametrize("status", list(IssueStatus))
def test_an_issue_is_open_until_it_is_resolved_or_closed(status):
    assert issue(1, status, None).is_open == (status in OPEN_ISSUES)


@pytest.mark.parametrize("status", list(IssueStatus))
@pytest.mark.parametrize("due", DAYS)
def test_a_correction_action_is_overdue_only_while_its_issue_is_open_past_its_date(status, due):
    late = due is not None and due < TODAY
    assert issue(1, status, due).is_correction_overdue(TODAY) == (late and status in OPEN_ISSUES)


@pytest.mark.parametrize("status", list(RiskStatus))
@pytest.mark.parametrize("review", DAYS)
def test_a_risk_review_is_overdue_once_its_date_has_passed_whatever_its_status(status, review):
    late = review is not None and review < TODAY
    assert risk(1, status, review).is_review_overdue(TODAY) == late


def test_the_database_agrees_with_python_on_every_status_and_date(engine):
    """Each rule as a filter and as a selected column, against the same rule on the records
    the database hands back: NULL dates count as not overdue, never as unknown."""
    risks = [
        risk(number, status, review)
        for number, (status, review) in enumerate(
            ((s, d) for s in RiskStatus for d in DAYS), start=1
        )
    ]
    with session_scope(engine) as session:
        session.add_all(risks)
        session.flush()
        first = risks[0].id
        assert first is not None
        session.add_all(control(s, d, risk_id=first) for s in ControlStatus for d in DAYS)

    with session_scope(engine, write=False) as session:
        found_risks = list(session.exec(select(Risk).order_by(col(Risk.id))))
        found_controls = list(session.exec(select(Control).order_by(col(Control.id))))
        assert len(found_risks) == len(RiskStatus) * len(DAYS)
        assert len(found_controls) == len(ControlStatus) * len(DAYS)

        def where(model, rule) -> set[int]:
            return set(session.exec(select(model.id).where(rule)))

        def column(model, rule) -> dict[int, bool]:
            return dict(session.exec(select(model.id, rule)).all())

        assert where(Risk, Risk.is_open) == {r.id for r in found_risks if r.is_open}
        assert where(Risk, ~Risk.is_open) == {r.id for r in found_risks if not r.is_open}
        overdue = Risk.is_review_overdue(TODAY)
        assert where(Risk, overdue) == {r.id for r in found_risks if r.is_review_overdue(TODAY)}
        assert column(Risk, overdue) == {r.id: r.is_review_overdue(TODAY) for r in found_risks}

        assert where(Control, Control.is_open) == {c.id for c in found_controls if c.is_open}
        late = Control.is_overdue(TODAY)
        assert where(Control, late) == {c.id for c in found_controls if c.is_overdue(TODAY)}
        assert column(Control, late) == {c.id: c.is_overdue(TODAY) for c in found_controls}
        assert sum(c.is_overdue(TODAY) for c in found_controls) == len(OPEN_CONTROLS)


def test_the_database_agrees_with_python_on_every_issue_status_and_correction_date(engine):
    """The issue rules as filters and as selected columns: a correction with no target date
    is never overdue, in SQL as in Python."""
    with session_scope(engine) as session:
        home = Service(key="oakwood", name="Oakwood", created_at=START)
        reporter = Person(slack_user_id="U0REPORTER", name="Rita Reporter", created_at=START)
        session.add_all([home, reporter])
        session.flush()
        assert home.id is not None and reporter.id is not None
        ids = (home.id, reporter.id)
        session.add_all(
            issue(number, status, due, ids=ids)
            for number, (status, due) in enumerate(
                ((s, d) for s in IssueStatus for d in DAYS), start=1
            )
        )

    with session_scope(engine, write=False) as session:
        found = list(session.exec(select(Issue).order_by(col(Issue.id))))
        assert len(found) == len(IssueStatus) * len(DAYS)

        def where(rule) -> set[int]:
            return set(session.exec(select(Issue.id).where(rule)))

        def column(rule) -> dict[int, bool]:
            return dict(session.exec(select(Issue.id, rule)).all())

        assert where(Issue.is_open) == {i.id for i in found if i.is_open}
        assert where(~Issue.is_open) == {i.id for i in found if not i.is_open}
        assert column(Issue.is_open) == {i.id: i.is_open for i in found}
        late = Issue.is_correction_overdue(TODAY)
        assert where(late) == {i.id for i in found if i.is_correction_overdue(TODAY)}
        assert column(late) == {i.id: i.is_correction_overdue(TODAY) for i in found}
        assert sum(i.is_correction_overdue(TODAY) for i in found) == len(OPEN_ISSUES)
