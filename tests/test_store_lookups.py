"""The store's small reads and claims that the chat face, the sender and the jobs call instead
of writing SQL of their own (tests/test_architecture.py keeps it that way)."""

from datetime import timedelta

import pytest
from sqlalchemy import create_engine

from store.infra.db import ping, session_scope
from store.infra.errors import NotFound
from store.records import decisions, job_runs, outbox, people
from store.records.enums import DecisionKind, Register, RiskCategory, RiskScope, RiskStatus
from store.records.models import Decision, JobRun, Risk
from store.records.outbox import IN_FLIGHT, Method, Notice
from tests.conftest import START
from tests.world import build_world


def test_a_record_pointing_at_nobody_finds_nobody(engine):
    world = build_world(engine, now=START)
    with session_scope(engine, write=False) as session:
        assert people.person_by_id(session, person_id=None) is None
        assert people.service_by_id(session, service_id=None) is None
        found = people.person_by_id(session, person_id=world.manager.id)
        assert found is not None and found.slack_user_id == world.manager.slack_user_id
        service = people.service_by_id(session, service_id=world.oakwood.id)
        assert service is not None and service.name == "Oakwood House"


def test_a_decision_is_about_its_risk_and_never_about_nothing(engine):
    with session_scope(engine) as session:
        risk = Risk(
            number=7,
            title="Agency staff cannot log in on night shifts",
            category=RiskCategory.DATA_MIGRATION,
            scope=RiskScope.ORGANISATION,
            risk_register=Register.IMPLEMENTATION,
            status=RiskStatus.OPEN,
            created_at=START,
            updated_at=START,
        )
        session.add(risk)
        session.flush()
        on_risk = Decision(risk_id=risk.id, kind=DecisionKind.ACCEPT, summary="", decided_at=START)
        on_nothing = Decision(kind=DecisionKind.ACCEPT, summary="", decided_at=START)
        session.add_all([on_risk, on_nothing])
    with session_scope(engine, write=False) as session:
        found = decisions.decision_by_id(session, decision_id=on_risk.id or 0)
        assert found is not None
        assert decisions.subject_of(session, decision=found).ref == "R-007"
        with pytest.raises(NotFound):
            decisions.subject_of(session, decision=on_nothing)


def test_a_due_message_is_claimed_once_and_marked_in_flight(engine):
    with session_scope(engine) as session:
        outbox.enqueue(
            session, key="k", method=Method.DM, notice=Notice.DIGEST, user="U1", now=START
        )
    with session_scope(engine) as session:
        message = outbox.due(session, now=START)[0]
    lease = timedelta(minutes=2)
    assert message.id is not None
    with session_scope(engine) as session:
        assert outbox.claim(session, message_id=message.id, now=START, lease=lease)
    with session_scope(engine) as session:
        assert not outbox.claim(session, message_id=message.id, now=START, lease=lease)
        claimed = outbox.message_by_id(session, message_id=message.id)
        assert claimed.last_error == IN_FLIGHT
        assert claimed.next_attempt_at == START + lease


def test_a_job_claims_its_period_once_and_keeps_what_it_did(engine):
    with session_scope(engine) as session:
        assert job_runs.claim(session, job="reminders", period="2026-11-23", now=START)
        job_runs.record_summary(session, job="reminders", period="2026-11-23", summary="x" * 600)
    with session_scope(engine) as session:
        assert not job_runs.claim(session, job="reminders", period="2026-11-23", now=START)
        assert job_runs.claim(session, job="reminders", period="2026-11-24", now=START)
    with session_scope(engine, write=False) as session:
        run = session.get(JobRun, 1)
        assert run is not None and run.summary == "x" * 500


def test_ping_answers_for_a_live_database_and_raises_for_a_dead_one(engine, tmp_path):
    ping(engine)
    missing = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises)
        ping(missing)
