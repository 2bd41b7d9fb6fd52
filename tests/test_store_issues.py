"""Go-live issues in the store: the rules a report and its triage must follow."""

from datetime import timedelta
from itertools import product

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from store.infra.db import session_scope
from store.infra.errors import DomainError, PermissionDenied, ValidationError
from store.records import audit, issues, people
from store.records.actors import COMMAND_LINE
from store.records.enums import Impact, IssueCategory, IssueStatus, Role, Urgency, Workaround
from store.records.models import Issue, OutboxMessage
from store.records.permissions import Action, allowed, permissions_for
from tests.world import TRIAGE_CHANNEL, build_world


@pytest.fixture
def world(engine, clock):
    return build_world(engine, now=clock.now())


def report(engine, world, clock, **overrides):
    fields = dict(
        service_id=world.oakwood.id,
        category=IssueCategory.LOGIN_ACCESS,
        description="Night staff cannot log in to the handheld devices",
        impact=Impact.SOME,
        urgency=Urgency.HIGH,
    )
    fields.update(overrides)
    key = fields.pop("submission_key", None)
    with session_scope(engine) as session:
        issue, _ = issues.report_issue(
            session,
            reporter=world.staff,
            report=issues.IssueReport(**fields),
            now=clock.now(),
            submission_key=key,
        )
        return issue.ref


def test_staff_report_gets_a_reference_triage_post_and_confirmation(engine, world, clock):
    ref = report(engine, world, clock)
    assert ref == "GL-0001"
    with session_scope(engine) as session:
        issue = issues.get_issue(session, "gl-1")
        assert issue.status == IssueStatus.NEW
        messages = {m.key: m for m in session.exec(select(OutboxMessage))}
    assert messages["issue:GL-0001:triage"].channel == TRIAGE_CHANNEL
    assert messages["issue:GL-0001:confirmation"].user == world.staff.slack_user_id
    assert not [k for k in messages if ":alert:" in k]


def test_report_affecting_safe_care_alerts_manager_and_project_lead(engine, world, clock):
    report(engine, world, clock, impact=Impact.SAFE_CARE, urgency=Urgency.MEDIUM)
    with session_scope(engine) as session:
        alerted = {m.user for m in session.exec(select(OutboxMessage)) if ":alert:" in m.key}
    assert alerted == {world.manager.slack_user_id, world.project_lead.slack_user_id}


def test_unsafe_workaround_must_be_described(engine, world, clock):
    with pytest.raises(ValidationError) as refused:
        report(engine, world, clock, workaround=Workaround.UNSAFE)
    assert refused.value.field == "workaround_detail"
    with session_scope(engine) as session:
        assert session.exec(select(Issue)).all() == []


def test_same_submission_twice_records_one_issue(engine, world, clock):
    first = report(engine, world, clock, submission_key="view:V1:hash")
    second = report(engine, world, clock, submission_key="view:V1:hash")
    assert first == second == "GL-0001"
    with session_scope(engine) as session:
        assert len(session.exec(select(Issue)).all()) == 1
        assert len([m for m in session.exec(select(OutboxMessage)) if "triage" in m.key]) == 1


def test_failed_report_gives_its_reference_back(engine, world, clock):
    with pytest.raises(ValidationError):
        report(engine, world, clock, description="   ")
    assert report(engine, world, clock) == "GL-0001"
    assert report(engine, world, clock) == "GL-0002"


def test_resolving_needs_a_correction_action(engine, world, clock):
    ref = report(engine, world, clock)
    with session_scope(engine) as session, pytest.raises(ValidationError) as refused:
        issues.resolve(session, actor=world.team_leader, ref=ref, now=clock.now())
    assert refused.value.field == "correction_action"
    with session_scope(engine) as session:
        issues.set_correction(
            session,
            actor=world.team_leader,
            ref=ref,
            action="Supplier reset the device profiles",
            due=clock.now().date() + timedelta(days=1),
            now=clock.now(),
        )
        assert (
            issues.resolve(session, actor=world.team_leader, ref=ref, now=clock.now()).status
            == IssueStatus.RESOLVED
        )


def test_closing_needs_closure_evidence(engine, world, clock):
    ref = report(engine, world, clock)
    with session_scope(engine) as session:
        issues.set_correction(
            session, actor=world.manager, ref=ref, action="Reset", due=None, now=clock.now()
        )
        issues.resolve(session, actor=world.manager, ref=ref, now=clock.now())
    with session_scope(engine) as session, pytest.raises(ValidationError) as refused:
        issues.close(session, actor=world.manager, ref=ref, evidence="  ", now=clock.now())
    assert refused.value.field == "closure_evidence"
    with session_scope(engine) as session:
        closed = issues.close(
            session,
            actor=world.manager,
            ref=ref,
            evidence="Spot check of 5 night logins",
            now=clock.now(),
        )
        assert closed.status == IssueStatus.CLOSED
        assert closed.closure_evidence == "Spot check of 5 night logins"


def test_transitions_outside_the_table_are_refused(engine, world, clock):
    ref = report(engine, world, clock)
    with session_scope(engine) as session, pytest.raises(DomainError, match="can move to"):
        issues.reopen(session, actor=world.manager, ref=ref, reason="again", now=clock.now())


def test_only_triagers_of_the_service_may_triage(engine, world, clock):
    ref = report(engine, world, clock)
    for outsider in (world.staff, world.other_manager, world.quality_lead):
        with session_scope(engine) as session, pytest.raises(PermissionDenied) as refused:
            issues.assign_owner(session, actor=outsider, ref=ref, owner=outsider, now=clock.now())
        assert "Team leader" in str(refused.value)
    with session_scope(engine) as session:
        issue = issues.assign_owner(
            session, actor=world.team_leader, ref=ref, owner=world.team_leader, now=clock.now()
        )
        assert issue.status == IssueStatus.TRIAGED


def test_every_triage_change_is_audited_field_by_field(engine, world, clock):
    ref = report(engine, world, clock)
    clock.advance(timedelta(minutes=5))
    with session_scope(engine) as session:
        issues.set_urgency(
            session, actor=world.manager, ref=ref, urgency=Urgency.URGENT, now=clock.now()
        )
    with session_scope(engine) as session:
        changes = [e for e in audit.trail(session, entity_ref=ref) if e.action == "urgency set"]
    assert [(e.field, e.old_value, e.new_value, e.actor_name) for e in changes] == [
        ("urgency", "high", "urgent", "Mo Manager")
    ]
    assert changes[0].at == clock.now()


def test_a_change_that_fails_leaves_nothing_behind(engine, world, clock):
    ref = report(engine, world, clock)
    with session_scope(engine) as session:
        before = len(audit.trail(session))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        issues.set_urgency(
            session, actor=world.manager, ref=ref, urgency=Urgency.LOW, now=clock.now()
        )
        raise RuntimeError("the process died before commit")
    with session_scope(engine) as session:
        assert issues.get_issue(session, ref).urgency == Urgency.HIGH
        assert len(audit.trail(session)) == before


def test_immediate_control_review_date_cannot_be_in_the_past(engine, world, clock):
    ref = report(engine, world, clock)
    with session_scope(engine) as session, pytest.raises(ValidationError) as refused:
        issues.add_immediate_control(
            session,
            actor=world.manager,
            ref=ref,
            description="Extra night check",
            due_date=clock.now().date() - timedelta(days=1),
            now=clock.now(),
        )
    assert refused.value.field == "control_due"
    with session_scope(engine) as session:
        assert issues.immediate_controls(session, issues.get_issue(session, ref)) == []


def correct(engine, world, clock, ref, *, owner, due):
    with session_scope(engine) as session:
        issues.assign_owner(session, actor=world.manager, ref=ref, owner=owner, now=clock.now())
        issues.set_correction(
            session, actor=world.manager, ref=ref, action="Fix it", due=due, now=clock.now()
        )


def test_overdue_corrections_of_one_owner_are_filtered_by_the_database(engine, world, clock):
    today = clock.now().date()
    tomorrow, later = today + timedelta(days=1), today + timedelta(days=2)
    mine_late = report(engine, world, clock)
    theirs_late = report(engine, world, clock)
    mine_later = report(engine, world, clock)
    mine_on_time = report(engine, world, clock)
    mine_earlier = report(engine, world, clock)
    correct(engine, world, clock, mine_late, owner=world.team_leader, due=tomorrow)
    correct(engine, world, clock, theirs_late, owner=world.manager, due=today)
    correct(engine, world, clock, mine_later, owner=world.team_leader, due=tomorrow)
    correct(engine, world, clock, mine_on_time, owner=world.team_leader, due=later)
    correct(engine, world, clock, mine_earlier, owner=world.team_leader, due=today)
    with session_scope(engine) as session:
        every = issues.overdue_corrections(session, today=later)
        mine = issues.overdue_corrections(session, today=later, owner_id=world.team_leader.id)
        first = issues.overdue_corrections(
            session, today=later, owner_id=world.team_leader.id, limit=2
        )
        assert [i.ref for i in every] == [theirs_late, mine_earlier, mine_late, mine_later]
        assert [i.ref for i in mine] == [mine_earlier, mine_late, mine_later]
        assert [i.ref for i in first] == [mine_earlier, mine_late]


def test_count_issues_counts_what_matches(engine, world, clock):
    for _ in range(3):
        report(engine, world, clock)
    report(engine, world, clock, service_id=world.riverside.id)
    with session_scope(engine) as session:
        oakwood = issues.IssueFilter(service_id=world.oakwood.id)
        assert issues.count_issues(session) == 4
        assert issues.count_issues(session, filters=oakwood) == 3


def test_grants_read_once_decide_every_action_as_allowed_does(engine, world, clock):
    people = [
        world.staff,
        world.team_leader,
        world.manager,
        world.other_manager,
        world.quality_lead,
        world.project_lead,
        world.board_member,
        world.admin,
    ]
    places = (None, world.oakwood.id, world.riverside.id)
    answers = set()
    with session_scope(engine) as session:
        for actor in [*people, COMMAND_LINE]:
            read_once = permissions_for(session, actor)
            for action, service_id, owner_id in product(
                Action, places, (None, getattr(actor, "id", None), world.staff.id)
            ):
                expected = allowed(session, actor, action, service_id=service_id, owner_id=owner_id)
                got = read_once.allows(action, service_id=service_id, owner_id=owner_id)
                assert got == expected, (actor.name, action, service_id, owner_id)
                answers.add(got)
        leader = permissions_for(session, world.team_leader)
    assert answers == {True, False}
    assert leader.allows(Action.TRIAGE_ISSUE, service_id=world.oakwood.id)
    assert not leader.allows(Action.TRIAGE_ISSUE, service_id=world.riverside.id)
    assert leader.allows(Action.UPDATE_CONTROL, owner_id=world.team_leader.id)


def test_holders_of_many_services_in_one_read_match_holders_of_each(engine, world, clock):
    services = {world.oakwood.id, world.riverside.id}
    with session_scope(engine) as session:
        for role in (Role.REGISTERED_MANAGER, Role.PROJECT_LEAD, Role.TEAM_LEADER):
            together = people.holders_by_service(session, role, services)
            one_by_one = {s: people.holders(session, role, service_id=s) for s in services}
            assert {s: [p.id for p in found] for s, found in together.items()} == {
                s: [p.id for p in found] for s, found in one_by_one.items()
            }
        managers = people.holders_by_service(session, Role.REGISTERED_MANAGER, services)
        leads = people.holders_by_service(session, Role.PROJECT_LEAD, services)
    assert [p.id for p in managers[world.oakwood.id]] == [world.manager.id]
    assert [p.id for p in managers[world.riverside.id]] == [world.other_manager.id]
    assert [p.id for p in leads[world.riverside.id]] == [world.project_lead.id]


def statements_sent(engine, work) -> int:
    """How many statements ``work`` sends to the database, besides beginning and ending its
    transaction."""
    sent = []

    def seen(conn, cursor, statement, *args):
        head = statement.lstrip().split(None, 1)[0].upper()
        if head not in ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT"):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return len(sent)


def owed(key, method, notice, at, **fields):
    """An outbox row as a report owes it: pending, due at once, never tried."""
    row = dict(
        key=key,
        method=method,
        notice=notice,
        channel=None,
        user=None,
        subject=key.split(":")[1],
        payload=None,
        thread_key=None,
        target_key=None,
        status="pending",
        attempts=0,
        next_attempt_at=at,
        last_error=None,
        created_at=at,
        sent_at=None,
        message_channel=None,
        message_ts=None,
    )
    row.update(fields)
    return row


def test_a_report_is_saved_in_a_few_statements_with_every_row_it_owes(engine, world, clock):
    """The report is saved before Slack is acked: its dozen audit events and its messages go
    in one insert each, not one statement per row, and are the rows they always were."""
    ordinary = statements_sent(
        engine, lambda: report(engine, world, clock, submission_key="view:V1:hash")
    )
    urgent = statements_sent(
        engine,
        lambda: report(
            engine,
            world,
            clock,
            submission_key="view:V2:hash",
            description="Doses show twice on the medication round list",
            impact=Impact.SAFE_CARE,
            urgency=Urgency.URGENT,
            workaround=Workaround.UNSAFE,
            workaround_detail="A second nurse checks the paper chart",
        ),
    )
    # claim the key, read the service and triage channel, number the issue, insert it, its
    # audit events, remember the result, its messages; an alert also reads who to alert.
    assert ordinary <= 7
    assert urgent <= 9

    at = clock.now()
    with session_scope(engine) as session:
        first, second = issues.get_issue(session, "GL-0001"), issues.get_issue(session, "GL-0002")
        columns = ("at", "actor_id", "actor_name", "entity", "entity_id", "entity_ref", "action")
        columns += ("field", "old_value", "new_value")
        trail = [
            tuple(getattr(e, name) for name in columns)
            for e in audit.trail(session)
            if e.entity == "issue"
        ]
        messages = [m.model_dump(exclude={"id"}) for m in outbox_in_order(session)]

    def created(issue, fields):
        who = (at, world.staff.id, "Sam Carer", "issue", issue.id, issue.ref, "created")
        return [(*who, field, None, value) for field, value in fields]

    common = [("reported_at", at.isoformat()), ("source", "slash_command")]
    assert trail == created(
        first,
        [
            ("number", "1"),
            ("category", "login_access"),
            ("service_id", str(world.oakwood.id)),
            ("description", "Night staff cannot log in to the handheld devices"),
            ("impact", "some"),
            ("urgency", "high"),
            ("workaround", "none"),
            ("reporter_id", str(world.staff.id)),
            *common,
            ("submission_key", "view:V1:hash"),
            ("status", "new"),
        ],
    ) + created(
        second,
        [
            ("number", "2"),
            ("category", "login_access"),
            ("service_id", str(world.oakwood.id)),
            ("description", "Doses show twice on the medication round list"),
            ("impact", "safe_care"),
            ("urgency", "urgent"),
            ("workaround", "unsafe"),
            ("workaround_detail", "A second nurse checks the paper chart"),
            ("reporter_id", str(world.staff.id)),
            *common,
            ("submission_key", "view:V2:hash"),
            ("status", "new"),
        ],
    )
    assert messages == [
        owed("issue:GL-0001:triage", "post", "issue_triage", at, channel=TRIAGE_CHANNEL),
        owed(
            "issue:GL-0001:fallback",
            "post",
            "continuity_fallback",
            at,
            payload='{"category": "login_access"}',
            thread_key="issue:GL-0001:triage",
        ),
        owed("issue:GL-0001:confirmation", "dm", "issue_confirmation", at, user="USTAFF01"),
        owed("issue:GL-0002:triage", "post", "issue_triage", at, channel=TRIAGE_CHANNEL),
        owed("issue:GL-0002:confirmation", "dm", "issue_confirmation", at, user="USTAFF01"),
        owed("issue:GL-0002:alert:UMANAGER1", "dm", "issue_alert", at, user="UMANAGER1"),
        owed("issue:GL-0002:alert:UPROJECT1", "dm", "issue_alert", at, user="UPROJECT1"),
    ]


def outbox_in_order(session):
    return session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
