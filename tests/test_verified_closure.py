"""Verified closure: an issue that affected safe care, or a control on a high or extreme risk,
is only done once a second person (a registered manager of the service or a quality lead,
never the owner or whoever asked) has checked it and said what they saw."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.error_replies import refusal
from bot.ids import ControlIds, ReminderIds, Triage
from schedules.jobs import run_job
from store.infra.db import session_scope
from store.infra.errors import DomainError, PermissionDenied
from store.records import controls, issues, risks, verification
from store.records.enums import ControlStatus, Impact, IssueCategory, IssueStatus, Urgency
from store.records.issues import IssueReport
from store.records.models import AuditEvent, Issue, Verification
from tests.risk_helpers import new_risk, score, trail
from tests.schedules_world import settings
from tests.slack_requests import datepicker, plain_text_input, users_select
from tests.slackapp import SlackApp
from tests.world import TRIAGE_CHANNEL

REF = "GL-0001"


def issue(slack: SlackApp) -> Issue:
    with session_scope(slack.engine) as session:
        return issues.get_issue(session, REF)


def triage_step(slack: SlackApp, action_id: str, values: dict, *, user: str) -> None:
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    slack.action(action_id, REF, user=user, message=post, channel_id=TRIAGE_CHANNEL)
    modal = slack.opened_view()
    slack.submit(modal, values, user=user)


def resolved_safe_care_issue(slack: SlackApp) -> None:
    """Reported as affecting safe care, owned by the home's manager, fixed and resolved."""
    world = slack.world
    leader = world.team_leader.slack_user_id
    slack.report(user=world.staff.slack_user_id, service_id=world.oakwood.id, impact="safe_care")
    slack.deliver()
    owner = world.manager.slack_user_id
    triage_step(
        slack, Triage.ASSIGN, {Triage.OWNER: {Triage.OWNER: users_select(owner)}}, user=leader
    )
    triage_step(
        slack,
        Triage.CORRECTION,
        {
            Triage.CORRECTION_TEXT: {
                Triage.CORRECTION_TEXT: plain_text_input("Supplier fixed the eMAR sync")
            },
            Triage.CORRECTION_DUE: {Triage.CORRECTION_DUE: datepicker(None)},
        },
        user=leader,
    )
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    slack.action(Triage.RESOLVE, REF, user=leader, message=post, channel_id=TRIAGE_CHANNEL)
    assert issue(slack).status == IssueStatus.RESOLVED
    slack.deliver()


def test_safe_care_closure_waits_for_a_second_person_and_the_owner_cannot_verify(
    slack: SlackApp,
) -> None:
    world = slack.world
    leader = world.team_leader.slack_user_id
    resolved_safe_care_issue(slack)
    slack.fake.clear()

    triage_step(
        slack,
        Triage.CLOSE,
        {Triage.EVIDENCE: {Triage.EVIDENCE: plain_text_input("Three rounds recorded cleanly")}},
        user=leader,
    )
    assert issue(slack).status == IssueStatus.RESOLVED
    slack.deliver()
    [ask] = slack.fake.messages("D" + world.quality_lead.slack_user_id)
    assert "/golive verify GL-0001" in ask["text"]
    manager_dms = slack.fake.messages("D" + world.manager.slack_user_id)
    assert not [m for m in manager_dms if "/golive verify" in m["text"]]
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    thread = [m["text"] for m in slack.fake.messages(TRIAGE_CHANNEL, post["ts"])[1:]]
    assert any("asked for closure to be verified" in line for line in thread)

    slack.command("verify GL-0001 I checked it myself", user=world.manager.slack_user_id)
    refusal = slack.last_reply()
    assert "You own it" in refusal
    assert "registered manager of Oakwood House or a quality lead" in refusal
    assert issue(slack).status == IssueStatus.RESOLVED

    slack.command("verify GL-0001 looks fine", user=leader)
    assert "You asked for it" in slack.last_reply()
    slack.command("verify GL-0001 looks fine", user=world.staff.slack_user_id)
    assert "You can't verify it" in slack.last_reply()
    assert issue(slack).status == IssueStatus.RESOLVED

    slack.command(
        "verify GL-0001 Watched the lunchtime round: every dose recorded on eMAR",
        user=world.quality_lead.slack_user_id,
    )
    assert "now closed" in slack.last_reply()
    closed = issue(slack)
    assert closed.status == IssueStatus.CLOSED
    assert closed.closure_evidence == (
        "Three rounds recorded cleanly\nVerified: Watched the lunchtime round: every dose "
        "recorded on eMAR"
    )
    with session_scope(slack.engine) as session:
        [row] = session.exec(select(Verification)).all()
        assert row.status == verification.VERIFIED
        assert row.requested_by_id == world.team_leader.id
        assert row.verified_by_id == world.quality_lead.id
        verified = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_ref == row.ref,
                AuditEvent.field == "status",
                AuditEvent.action == "verified",
            )
        ).one()
        assert (verified.old_value, verified.new_value) == ("pending", "verified")
    closing = [e for e in trail(slack, REF) if e.field == "status" and e.new_value == "closed"]
    assert [e.actor_name for e in closing] == ["Quinn Quality"]


def test_an_issue_that_did_not_affect_safe_care_closes_at_once(slack: SlackApp) -> None:
    now = slack.clock.now()
    with session_scope(slack.engine) as session:
        world = slack.world
        made, _ = issues.report_issue(
            session,
            reporter=world.staff,
            report=IssueReport(
                service_id=world.oakwood.id,  # type: ignore[arg-type]
                category=IssueCategory.REPORTING,
                description="Weekly report misses night checks",
                impact=Impact.SOME,
                urgency=Urgency.LOW,
            ),
            now=now,
        )
        issues.set_correction(
            session, actor=world.team_leader, ref=made.ref, action="Report fixed", due=None, now=now
        )
        issues.resolve(session, actor=world.team_leader, ref=made.ref, now=now)
        closed = issues.close(
            session, actor=world.team_leader, ref=made.ref, evidence="Report checked", now=now
        )
        assert closed.status == IssueStatus.CLOSED
        assert verification.all_pending(session) == []


def test_reopening_withdraws_the_request_so_closing_again_asks_afresh(slack: SlackApp) -> None:
    resolved_safe_care_issue(slack)
    world = slack.world
    now = slack.clock.now()
    with session_scope(slack.engine) as session:
        issues.close(session, actor=world.team_leader, ref=REF, evidence="Fine now", now=now)
        with pytest.raises(DomainError, match="already waiting for verification") as refused:
            issues.close(session, actor=world.team_leader, ref=REF, evidence="Again", now=now)
    # the store says who may verify; Slack's words add the command that does it
    assert "/golive" not in str(refused.value)
    assert refusal(refused.value) == (
        str(refused.value).removesuffix(".") + f", with `/golive verify {REF} what you checked`."
    )
    with session_scope(slack.engine) as session:
        issues.reopen(session, actor=world.team_leader, ref=REF, reason="Failed again", now=now)
        assert verification.all_pending(session) == []
        with pytest.raises(DomainError, match="not waiting for verification"):
            issues.verify_closure(
                session, actor=world.quality_lead, ref=REF, evidence="ok", now=now
            )
        issues.resolve(session, actor=world.team_leader, ref=REF, now=now)
        issues.close(session, actor=world.team_leader, ref=REF, evidence="Fixed again", now=now)
        [waiting] = verification.all_pending(session)
        assert waiting.request_evidence == "Fixed again"
        statuses = [row.status for row in session.exec(select(Verification))]
        assert statuses == ["withdrawn", "pending"]


def test_completing_a_control_on_a_high_risk_waits_for_the_quality_lead(slack: SlackApp) -> None:
    world = slack.world
    leader = world.team_leader.slack_user_id
    ref = new_risk(slack, controls=(), service=world.oakwood)
    score(slack, ref, 4, 4)
    with session_scope(slack.engine) as session:
        controls.add_control(
            session,
            actor=world.manager,
            risk=risks.get_risk(session, ref),
            description="Two staff sign every controlled drug entry",
            owner=world.team_leader,
            due_date=date(2026, 12, 1),
            now=slack.clock.now(),
        )
    slack.action(ControlIds.COMPLETE, "1", user=leader)
    assert "must verify it before it counts as complete" in slack.last_reply()
    with session_scope(slack.engine) as session:
        assert controls.get_control(session, 1).status == ControlStatus.PLANNED
    slack.deliver()
    asked = {m["channel"] for c in slack.fake.calls("chat.postMessage") for m in [c.args]}
    assert "D" + world.quality_lead.slack_user_id in asked
    assert "D" + leader not in asked

    slack.action(ControlIds.COMPLETE, "1", user=leader)
    with session_scope(slack.engine) as session:
        assert len(verification.all_pending(session)) == 1

    slack.command("verify C-1 done it", user=leader)
    assert "You own it" in slack.last_reply()
    slack.command(
        "verify C-1 Saw the register: both signatures on every entry",
        user=world.manager.slack_user_id,
    )
    assert "now complete" in slack.last_reply()
    with session_scope(slack.engine) as session:
        control = controls.get_control(session, 1)
        assert control.status == ControlStatus.COMPLETE
        [update] = controls.history(session, control)
        assert update.note.endswith("Verified: Saw the register: both signatures on every entry")
        assert update.updated_by_id == world.manager.id


def test_a_control_on_a_moderate_risk_completes_without_verification(slack: SlackApp) -> None:
    world = slack.world
    ref = new_risk(slack, service=world.oakwood)
    score(slack, ref, 2, 3)
    slack.action(ControlIds.COMPLETE, "1", user=world.manager.slack_user_id)
    with session_scope(slack.engine) as session:
        assert controls.get_control(session, 1).status == ControlStatus.COMPLETE
        assert verification.all_pending(session) == []


def test_the_verifier_must_say_what_they_checked(slack: SlackApp) -> None:
    resolved_safe_care_issue(slack)
    with session_scope(slack.engine) as session:
        issues.close(
            session, actor=slack.world.team_leader, ref=REF, evidence="ok", now=slack.clock.now()
        )
    slack.command("verify", user=slack.world.quality_lead.slack_user_id)
    assert "GL-0001" in slack.last_reply()
    assert "Waiting for a second person" in slack.last_reply()
    slack.command("verify GL-0001", user=slack.world.quality_lead.slack_user_id)
    assert "Say what you checked" in slack.last_reply()
    slack.command('verify GL-0001 "  "', user=slack.world.quality_lead.slack_user_id)
    assert "Say what you checked" in slack.last_reply()
    assert issue(slack).status == IssueStatus.RESOLVED


def test_other_services_manager_cannot_verify(slack: SlackApp) -> None:
    resolved_safe_care_issue(slack)
    now = slack.clock.now() + timedelta(hours=1)
    with session_scope(slack.engine) as session:
        issues.close(session, actor=slack.world.team_leader, ref=REF, evidence="ok", now=now)
    with session_scope(slack.engine) as session, pytest.raises(PermissionDenied):
        issues.verify_closure(
            session, actor=slack.world.other_manager, ref=REF, evidence="seen", now=now
        )
    assert json.dumps(issue(slack).status) == '"resolved"'


def test_completing_from_a_reminder_waits_and_the_owner_is_not_reminded_again(
    slack: SlackApp,
) -> None:
    world = slack.world
    leader = world.team_leader.slack_user_id
    ref = new_risk(slack, controls=(), service=world.oakwood)
    score(slack, ref, 5, 4)
    with session_scope(slack.engine) as session:
        controls.add_control(
            session,
            actor=world.manager,
            risk=risks.get_risk(session, ref),
            description="Night staff double-sign every PRN dose",
            owner=world.team_leader,
            due_date=slack.clock.now().date() + timedelta(days=1),
            now=slack.clock.now(),
        )
    morning = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    slack.clock.set(morning)
    assert "1 reminders owed" in run_job(
        "reminders", engine=slack.engine, settings=settings(), at=morning
    )
    slack.deliver()
    [reminder] = slack.fake.messages("D" + leader)
    value = "control:1:2026-11-24"
    slack.action(
        ReminderIds.COMPLETE,
        value,
        user=leader,
        block_id=f"reminder:{value}",
        message=reminder,
        channel_id="D" + leader,
    )
    updated = slack.fake.find_message("D" + leader, reminder["ts"])
    assert updated is not None
    assert "waiting for a registered manager or quality lead to verify it" in json.dumps(
        updated["blocks"]
    )
    with session_scope(slack.engine) as session:
        assert controls.get_control(session, 1).status == ControlStatus.PLANNED
        assert len(verification.all_pending(session)) == 1
    next_day = morning + timedelta(days=1)
    assert "0 reminders owed" in run_job(
        "reminders", engine=slack.engine, settings=settings(), at=next_day
    )


def test_completing_a_high_risk_control_by_command_says_it_awaits_verification(
    slack: SlackApp,
) -> None:
    world = slack.world
    leader = world.team_leader.slack_user_id
    ref = new_risk(slack, controls=(), service=world.oakwood)
    score(slack, ref, 4, 4)
    with session_scope(slack.engine) as session:
        for description in ("Two staff sign every controlled drug entry", "Weekly CD audit"):
            controls.add_control(
                session,
                actor=world.manager,
                risk=risks.get_risk(session, ref),
                description=description,
                owner=world.team_leader,
                due_date=date(2026, 12, 1),
                now=slack.clock.now(),
            )
    slack.action(ControlIds.COMPLETE, "1", user=leader)
    by_button = slack.last_reply()
    slack.command("control C-2 complete", user=leader)
    by_command = slack.last_reply()
    assert "is now complete" not in by_command
    assert "a registered manager or a quality lead (not its owner) must verify it" in by_command
    assert by_command == by_button.replace("C-1", "C-2")
    with session_scope(slack.engine) as session:
        assert controls.get_control(session, 2).status == ControlStatus.PLANNED
        assert len(verification.all_pending(session)) == 2
