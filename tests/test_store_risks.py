"""The risk register in the store: scores, bands, controls, decisions and phases."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from store.infra.db import session_scope
from store.infra.errors import PermissionDenied, ValidationError
from store.records import audit, checkpoints, controls, decisions, phases, risks
from store.records.enums import (
    Band,
    ControlStatus,
    DecisionKind,
    Phase,
    RiskCategory,
    RiskScope,
    RiskStatus,
)
from store.records.scoring import band_for
from tests.world import build_world


@pytest.fixture
def world(engine, clock):
    return build_world(engine, now=clock.now())


def new_risk(engine, world, clock, *, actor=None, scope=RiskScope.ORGANISATION, service=None):
    data = risks.NewRisk(
        title="Medication history does not migrate for residents on PRN",
        category=RiskCategory.DATA_MIGRATION,
        scope=scope,
        service_id=service.id if service else None,
        owner_id=world.manager.id,
        first_controls=["Double-check MAR charts against the paper record for 2 weeks"],
    )
    with session_scope(engine) as session:
        return risks.create_risk(
            session, actor=actor or world.project_lead, data=data, now=clock.now()
        ).ref


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1, Band.LOW),
        (3, Band.LOW),
        (4, Band.MODERATE),
        (6, Band.MODERATE),
        (8, Band.HIGH),
        (12, Band.HIGH),
        (15, Band.EXTREME),
        (25, Band.EXTREME),
    ],
)
def test_bands_follow_the_nhs_matrix(score, band):
    assert band_for(score) == band


def test_score_is_likelihood_times_impact_and_history_is_kept(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session:
        risk = risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=ref,
            likelihood=4,
            impact=4,
            reason="Two homes had PRN gaps in the dry run",
            now=clock.now(),
        )
        assert (risk.score, risks.band(risk)) == (16, Band.EXTREME)
    clock.advance(timedelta(days=7))
    with session_scope(engine) as session:
        risk = risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=ref,
            likelihood="2",
            impact=4,
            reason="Checks in place",
            now=clock.now(),
        )
        assert (risk.score, risks.band(risk)) == (8, Band.HIGH)
        history = risks.assessments(session, risk)
    assert [(a.likelihood, a.impact, a.reason) for a in history] == [
        (4, 4, "Two homes had PRN gaps in the dry run"),
        (2, 4, "Checks in place"),
    ]


def test_the_database_keeps_score_and_ratings_in_step(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with pytest.raises(DBAPIError), session_scope(engine) as session:
        session.execute(
            text("UPDATE risk SET score = 3 WHERE number = :n"), {"n": risks.parse_ref(ref)}
        )
    with pytest.raises(DBAPIError), session_scope(engine) as session:
        session.execute(text("UPDATE risk SET likelihood = 6, impact = 1"))


@pytest.mark.parametrize("bad", [0, 6, "high", "", None, 2.5])
def test_ratings_outside_one_to_five_are_refused(engine, world, clock, bad):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session, pytest.raises(ValidationError) as refused:
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=ref,
            likelihood=bad,
            impact=3,
            reason="x",
            now=clock.now(),
        )
    assert refused.value.field == "likelihood"


def test_only_the_quality_lead_scores(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session, pytest.raises(PermissionDenied, match="Quality lead"):
        risks.score_risk(
            session,
            actor=world.project_lead,
            ref=ref,
            likelihood=2,
            impact=2,
            reason="x",
            now=clock.now(),
        )


def test_registered_manager_records_risks_for_own_service_only(engine, world, clock):
    ref = new_risk(
        engine, world, clock, actor=world.manager, scope=RiskScope.SERVICE, service=world.oakwood
    )
    assert ref == "R-001"
    with pytest.raises(PermissionDenied):
        new_risk(
            engine,
            world,
            clock,
            actor=world.manager,
            scope=RiskScope.SERVICE,
            service=world.riverside,
        )
    with pytest.raises(PermissionDenied):
        new_risk(engine, world, clock, actor=world.manager)


def test_delayed_control_needs_a_new_due_date_and_reason(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session:
        control = risks.controls_of(session, risks.get_risk(session, ref))[0]
        with pytest.raises(ValidationError) as refused:
            controls.update_status(
                session,
                actor=world.manager,
                control=control,
                status=ControlStatus.DELAYED,
                note="Agency cover",
                now=clock.now(),
            )
        assert refused.value.field == "due_date"
        later = clock.now().date() + timedelta(days=10)
        controls.update_status(
            session,
            actor=world.manager,
            control=control,
            status=ControlStatus.DELAYED,
            note="Agency cover",
            new_due_date=later,
            now=clock.now(),
        )
        assert (control.status, control.due_date) == (ControlStatus.DELAYED, later)


def test_ineffective_control_needs_a_note(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session:
        control = risks.controls_of(session, risks.get_risk(session, ref))[0]
        with pytest.raises(ValidationError):
            controls.update_status(
                session,
                actor=world.manager,
                control=control,
                status=ControlStatus.INEFFECTIVE,
                note=None,
                now=clock.now(),
            )


def test_owner_updates_own_control_but_not_others(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session:
        control = risks.controls_of(session, risks.get_risk(session, ref))[0]
        controls.update_status(
            session,
            actor=world.manager,
            control=control,
            status=ControlStatus.COMPLETE,
            note=None,
            now=clock.now(),
        )
        with pytest.raises(PermissionDenied):
            controls.update_status(
                session,
                actor=world.staff,
                control=control,
                status=ControlStatus.INEFFECTIVE,
                note="no",
                now=clock.now(),
            )


def test_checkpoint_asks_each_owner_once_and_tracks_who_updated(engine, world, clock):
    new_risk(engine, world, clock)
    new_risk(engine, world, clock)
    with session_scope(engine) as session:
        checkpoint = checkpoints.open_checkpoint(
            session, actor=world.project_lead, name="Wave 2 training complete", now=clock.now()
        )
        [progress] = checkpoints.progress(session, checkpoint)
        assert progress.owner.id == world.manager.id and not progress.has_updated
        for control in progress.controls:
            controls.update_status(
                session,
                actor=world.manager,
                control=control,
                status=ControlStatus.COMPLETE,
                note=None,
                now=clock.now(),
                checkpoint=checkpoint,
            )
        [progress] = checkpoints.progress(session, checkpoint)
        assert progress.has_updated


def test_board_decision_to_close_closes_the_risk(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session:
        risk = risks.get_risk(session, ref)
        with pytest.raises(PermissionDenied):
            decisions.record_decision(
                session,
                actor=world.project_lead,
                risk=risk,
                data=decisions.NewDecision(DecisionKind.CLOSE, "Done"),
                now=clock.now(),
            )
        decisions.record_decision(
            session,
            actor=world.board_member,
            risk=risk,
            data=decisions.NewDecision(DecisionKind.CLOSE, "Controls work"),
            now=clock.now(),
        )
        assert risk.status == RiskStatus.CLOSED


def test_phase_is_recorded_and_announced(engine, world, clock):
    with session_scope(engine) as session:
        assert phases.current_phase(session) == Phase.PRE_GO_LIVE
        phases.set_phase(session, actor=world.project_lead, phase=Phase.GO_LIVE, now=clock.now())
        assert phases.current_phase(session) == Phase.GO_LIVE
        assert [e.field for e in audit.trail(session) if e.entity == "phase_change"]


def test_audit_trail_is_append_only(engine, world, clock):
    new_risk(engine, world, clock)
    for statement in (
        "UPDATE audit_event SET actor_name = 'someone else'",
        "DELETE FROM audit_event",
    ):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(engine) as session:
            session.execute(text(statement))
