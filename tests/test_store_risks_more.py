"""Store rules added for the risk register in Slack: priority controls, owed notices, the
controls a checkpoint asks each owner about, and counting a filtered register."""

from datetime import timedelta

import pytest
from sqlmodel import select

from store.infra.db import session_scope
from store.infra.errors import DomainError, PermissionDenied
from store.records import audit, checkpoints, controls, decisions, people, risks
from store.records.enums import ControlStatus, DecisionKind, RiskCategory, RiskScope
from store.records.models import OutboxMessage
from store.records.outbox import Notice
from tests.world import BOARD_CHANNEL, build_world


@pytest.fixture
def world(engine, clock):
    return build_world(engine, now=clock.now())


def new_risk(engine, world, clock, *, title="Staff cannot log in on night shift", owner=None):
    data = risks.NewRisk(
        title=title,
        category=RiskCategory.ACCESS,
        scope=RiskScope.ORGANISATION,
        owner_id=(owner or world.manager).id,
        first_controls=["Print login cards for every night carer"],
    )
    with session_scope(engine) as session:
        return risks.create_risk(session, actor=world.project_lead, data=data, now=clock.now()).ref


def first_control(session, ref):
    return risks.controls_of(session, risks.get_risk(session, ref))[0]


def test_only_the_quality_lead_makes_a_control_a_priority(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session:
        control = first_control(session, ref)
        with pytest.raises(PermissionDenied, match="Quality lead"):
            controls.set_priority(
                session, actor=world.project_lead, control=control, priority=True, now=clock.now()
            )
        controls.set_priority(
            session, actor=world.quality_lead, control=control, priority=True, now=clock.now()
        )
        assert control.priority is True
        with pytest.raises(DomainError, match="already a priority"):
            controls.set_priority(
                session, actor=world.quality_lead, control=control, priority=True, now=clock.now()
            )
        events = audit.trail(session, entity_ref=control.ref)
    assert [(e.action, e.field, e.new_value) for e in events if e.action == "priority set"] == [
        ("priority set", "priority", "yes")
    ]


def test_a_new_owner_is_told_but_not_someone_who_takes_a_control_themselves(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session:
        control = first_control(session, ref)
        assert controls.owe_assignment_notice(
            session, actor=world.project_lead, control=control, now=clock.now()
        )
        assert not controls.owe_assignment_notice(
            session, actor=world.manager, control=control, now=clock.now()
        )
    with session_scope(engine) as session:
        rows = [
            (m.notice, m.user, m.subject)
            for m in session.exec(
                select(OutboxMessage).where(OutboxMessage.notice == Notice.CONTROL_ASSIGNED)
            )
        ]
    assert rows == [(Notice.CONTROL_ASSIGNED, world.manager.slack_user_id, str(control.id))]


def test_a_board_decision_is_owed_to_the_board_channel_once(engine, world, clock):
    ref = new_risk(engine, world, clock)
    with session_scope(engine) as session:
        decision = decisions.record_decision(
            session,
            actor=world.board_member,
            risk=risks.get_risk(session, ref),
            data=decisions.NewDecision(DecisionKind.ACCEPT, "Accept with login cards"),
            now=clock.now(),
        )
        assert decisions.owe_board_notice(session, decision=decision, now=clock.now())
        assert not decisions.owe_board_notice(session, decision=decision, now=clock.now())
    with session_scope(engine) as session:
        rows = [
            (m.channel, m.subject)
            for m in session.exec(
                select(OutboxMessage).where(OutboxMessage.notice == Notice.DECISION_RECORDED)
            )
        ]
    assert rows == [(BOARD_CHANNEL, str(decision.id))]


def test_a_checkpoint_keeps_asking_about_controls_updated_at_it(engine, world, clock):
    ref = new_risk(engine, world, clock)
    new_risk(engine, world, clock, title="Tablets not charged", owner=world.quality_lead)
    with session_scope(engine) as session:
        checkpoint = checkpoints.open_checkpoint(
            session, actor=world.project_lead, name="Wave 1 live", now=clock.now()
        )
        mine = checkpoints.controls_for(session, checkpoint=checkpoint, person=world.manager)
        assert [c.description for c in mine] == ["Print login cards for every night carer"]
        controls.update_status(
            session,
            actor=world.manager,
            control=first_control(session, ref),
            status=ControlStatus.COMPLETE,
            note=None,
            now=clock.now(),
            checkpoint=checkpoint,
        )
        after = checkpoints.controls_for(session, checkpoint=checkpoint, person=world.manager)
        assert [c.status for c in after] == [ControlStatus.COMPLETE]
        assert [u.new_status for u in checkpoints.updates_at(session, checkpoint=checkpoint)] == [
            ControlStatus.COMPLETE
        ]
        later = checkpoints.open_checkpoint(
            session,
            actor=world.project_lead,
            name="Wave 2 live",
            now=clock.now() + timedelta(days=7),
        )
        assert checkpoints.controls_for(session, checkpoint=later, person=world.manager) == []


def test_counting_the_register_matches_the_list(engine, world, clock):
    for n in range(3):
        new_risk(engine, world, clock, title=f"Risk {n}")
    with session_scope(engine) as session:
        filters = risks.RiskFilter(owner_id=world.manager.id)
        assert risks.count_risks(session, filters=filters) == 3
        assert len(risks.list_risks(session, filters=filters, limit=2)) == 2
        names = people.by_ids(session, ids={world.manager.id, None})
    assert {p.name for p in names.values()} == {"Mo Manager"}


def test_each_person_records_risks_only_where_their_role_allows(engine, world, clock):
    with session_scope(engine) as session:
        assert risks.recordable_scopes(session, actor=world.manager) == [world.oakwood.id]
        assert risks.recordable_scopes(session, actor=world.other_manager) == [world.riverside.id]
        assert risks.recordable_scopes(session, actor=world.project_lead) == [
            None,
            world.oakwood.id,
            world.riverside.id,
        ]
        assert risks.recordable_scopes(session, actor=world.staff) == []


def test_only_people_with_an_implementation_role_read_the_register(engine, world, clock):
    with session_scope(engine) as session:
        for reader in (world.team_leader, world.manager, world.board_member, world.admin):
            risks.require_reader(session, actor=reader)
        with pytest.raises(PermissionDenied, match="see the risk register"):
            risks.require_reader(session, actor=world.staff)


def test_only_admins_list_someones_roles(engine, world, clock):
    with session_scope(engine) as session:
        roles = people.roles_for_admin(session, actor=world.admin, person=world.manager)
        assert [(role.value, service.key) for role, service in roles] == [
            ("registered_manager", "oakwood-house")
        ]
        with pytest.raises(PermissionDenied, match="grant and remove roles"):
            people.roles_for_admin(session, actor=world.project_lead, person=world.manager)
