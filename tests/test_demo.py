"""The demo provider tells one coherent story a care provider would recognise: services going
live in waves, issues only once a service is live, controls that worked, slipped or failed,
a register rescored as the weeks went by, and people with real names."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.demo import provider as demo
from store.infra.db import session_scope
from store.records import review, waves
from store.records.enums import OPEN_CONTROL_STATUSES, ControlStatus, IssueStatus
from store.records.models import (
    AuditEvent,
    Control,
    ControlUpdate,
    Issue,
    Person,
    Risk,
    RiskAssessment,
    Service,
    Verification,
)
from store.reports.outcomes import heat_grid, ratings_at
from tests.conftest import BACKENDS, drop_database, fresh_database

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, tmp_path_factory):
    """The demo seeded once per backend and only read by these tests."""
    _, engine, schema = fresh_database(request.param, tmp_path_factory.mktemp("demo"))
    try:
        demo.seed(engine, now=NOW, zone=LONDON)
        yield engine
    finally:
        drop_database(engine, schema)


def test_services_go_live_in_waves_with_one_about_to_go_live(seeded):
    today = NOW.astimezone(LONDON).date()
    with session_scope(seeded) as session:
        rows = waves.compare_services(session, now=NOW, today=today)
    live = {row.wave for row in rows if row.days_live}
    assert live == {1, 2}
    assert {row.status for row in rows} == {"Stabilising", "Live", "Not started"}
    [coming] = [row for row in rows if not row.days_live]
    assert coming.golive_date is not None and 0 < (coming.golive_date - today).days <= 7
    assert coming.issues_since_golive == 0


def test_issues_are_reported_only_after_their_service_went_live(seeded):
    with session_scope(seeded) as session:
        golive = {s.id: s.golive_date for s in session.exec(select(Service))}
        reported = list(session.exec(select(Issue.service_id, Issue.reported_at)))
    assert len(reported) >= 80
    for service_id, moment in reported:
        assert datetime.combine(golive[service_id], time(0), LONDON) <= moment <= NOW


def test_risk_controls_are_complete_verified_delayed_ineffective_or_under_way(seeded):
    with session_scope(seeded) as session:
        statuses = set(
            session.exec(select(Control.status).where(col(Control.risk_id).is_not(None)))
        )
        verified = session.exec(
            select(Verification).where(
                Verification.item_kind == "control", Verification.status == "verified"
            )
        ).all()
    assert {
        ControlStatus.COMPLETE,
        ControlStatus.DELAYED,
        ControlStatus.INEFFECTIVE,
        ControlStatus.IN_PROGRESS,
        ControlStatus.PLANNED,
    } <= statuses
    assert len(verified) >= 5 and all(v.verified_by_id != v.requested_by_id for v in verified)


def test_risks_were_rescored_so_the_register_at_go_live_and_now_differ(seeded):
    with session_scope(seeded) as session:
        went_live = review.go_live_at(session)
        assert went_live is not None
        then = heat_grid(list(ratings_at(session, went_live).values()))
        now = heat_grid(list(ratings_at(session, NOW).values()))
        rescored_since = session.exec(
            select(RiskAssessment.risk_id).where(col(RiskAssessment.assessed_at) > went_live)
        ).all()
    assert then != now
    assert len(set(rescored_since)) >= 5


def test_closed_issues_leave_no_control_running(seeded):
    with session_scope(seeded) as session:
        closed = session.exec(
            select(Control.status)
            .join(Issue, col(Issue.id) == Control.issue_id)
            .where(Issue.status == IssueStatus.CLOSED)
        ).all()
    assert closed and not set(closed) & OPEN_CONTROL_STATUSES


def test_people_have_distinct_realistic_names(seeded):
    with session_scope(seeded) as session:
        names = list(session.exec(select(Person.name)))
    assert len(names) == len(set(names)) == 30
    assert all(len(name.split()) >= 2 and not any(c.isdigit() for c in name) for name in names)


def test_everything_happened_by_now_and_is_on_the_audit_trail(seeded):
    with session_scope(seeded) as session:
        latest = [
            session.exec(select(column).order_by(column.desc())).first()
            for column in (
                col(AuditEvent.at),
                col(Issue.reported_at),
                col(ControlUpdate.updated_at),
                col(RiskAssessment.assessed_at),
            )
        ]
        refs = {risk.ref for risk in session.exec(select(Risk))}
        scored = set(
            session.exec(select(AuditEvent.entity_ref).where(AuditEvent.action == "scored"))
        )
    assert all(moment is not None and moment <= NOW for moment in latest)
    assert refs <= scored
