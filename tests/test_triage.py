"""Team leaders and registered managers triage from the triage post: each change updates the
post in place, adds a line to its thread and lands in the audit trail; anyone else gets a
private refusal, checked on the server for every action."""

import json
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from bot.ids import Triage
from store.infra.db import session_scope
from store.records.enums import IssueStatus, Urgency
from store.records.models import AuditEvent, Control, Issue
from tests.slack_requests import datepicker, plain_text_input, radio_buttons, users_select
from tests.slackapp import SlackApp
from tests.world import TRIAGE_CHANNEL

Json = dict[str, Any]
REF = "GL-0001"


def reported(slack: SlackApp, **answers: Any) -> Json:
    """A staff report, delivered: the triage post as the channel shows it."""
    answers.setdefault("service_id", slack.world.oakwood.id)
    slack.report(user=slack.world.staff.slack_user_id, **answers)
    slack.deliver()
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    return post


def current_post(slack: SlackApp, post: Json) -> Json:
    found = slack.fake.find_message(TRIAGE_CHANNEL, post["ts"])
    assert found is not None
    return found


def thread_lines(slack: SlackApp, post: Json) -> list[str]:
    return [m["text"] for m in slack.fake.messages(TRIAGE_CHANNEL, post["ts"])[1:]]


def click(slack: SlackApp, action_id: str, post: Json, *, user: str) -> None:
    slack.action(action_id, REF, user=user, message=post, channel_id=TRIAGE_CHANNEL)


def issue(slack: SlackApp) -> Issue:
    with session_scope(slack.engine) as session:
        return session.exec(select(Issue).where(Issue.number == 1)).one()


def buttons(post: Json) -> list[str]:
    return [
        element["action_id"]
        for block in post["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def triage_step(slack: SlackApp, action_id: str, post: Json, values: Json, *, user: str) -> Any:
    click(slack, action_id, post, user=user)
    modal = slack.opened_view()
    assert modal["callback_id"] == action_id
    assert modal["private_metadata"] == REF
    return slack.submit(modal, values, user=user)


def test_team_leader_takes_issue_from_new_to_closed_with_evidence(slack: SlackApp) -> None:
    world = slack.world
    leader = world.team_leader.slack_user_id
    post = reported(slack)
    assert Triage.ASSIGN in buttons(post)
    assert Triage.CLOSE not in buttons(post)

    answer = triage_step(
        slack,
        Triage.ASSIGN,
        post,
        {Triage.OWNER: {Triage.OWNER: users_select(world.manager.slack_user_id)}},
        user=leader,
    )
    assert answer.body == ""
    assert issue(slack).status == IssueStatus.TRIAGED
    slack.deliver()
    assert "Mo Manager" in thread_lines(slack, post)[-1]
    assert "Triaged" in json.dumps(current_post(slack, post)["blocks"])
    [owner_dm] = slack.fake.messages("D" + world.manager.slack_user_id)
    assert "owner of *GL-0001*" in json.dumps(owner_dm["blocks"])

    triage_step(
        slack,
        Triage.URGENCY,
        post,
        {Triage.NEW_URGENCY: {Triage.NEW_URGENCY: radio_buttons("high")}},
        user=leader,
    )
    assert issue(slack).urgency == Urgency.HIGH

    triage_step(
        slack,
        Triage.CONTROL,
        post,
        {
            Triage.CONTROL_TEXT: {
                Triage.CONTROL_TEXT: plain_text_input("Senior checks paper MAR each round")
            },
            Triage.CONTROL_OWNER: {Triage.CONTROL_OWNER: users_select(None)},
            Triage.CONTROL_DUE: {Triage.CONTROL_DUE: datepicker(None)},
        },
        user=leader,
    )
    due = date(2026, 11, 30)
    triage_step(
        slack,
        Triage.CORRECTION,
        post,
        {
            Triage.CORRECTION_TEXT: {
                Triage.CORRECTION_TEXT: plain_text_input("Supplier to fix the eMAR sync")
            },
            Triage.CORRECTION_DUE: {Triage.CORRECTION_DUE: datepicker(due)},
        },
        user=leader,
    )
    assert issue(slack).status == IssueStatus.IN_PROGRESS
    triage_step(
        slack,
        Triage.SUPPLIER,
        post,
        {Triage.NOTE: {Triage.NOTE: plain_text_input("Ticket 4411 raised")}},
        user=leader,
    )
    assert issue(slack).status == IssueStatus.AWAITING_SUPPLIER

    click(slack, Triage.RESOLVE, post, user=leader)
    assert issue(slack).status == IssueStatus.RESOLVED
    slack.deliver()
    post = current_post(slack, post)
    assert Triage.CLOSE in buttons(post)
    assert Triage.ASSIGN not in buttons(post)

    empty = triage_step(
        slack,
        Triage.CLOSE,
        post,
        {Triage.EVIDENCE: {Triage.EVIDENCE: plain_text_input("  ")}},
        user=leader,
    )
    assert list(empty.json()["errors"]) == [Triage.EVIDENCE]
    assert issue(slack).status == IssueStatus.RESOLVED

    triage_step(
        slack,
        Triage.CLOSE,
        post,
        {Triage.EVIDENCE: {Triage.EVIDENCE: plain_text_input("A week of complete eMAR")}},
        user=leader,
    )
    closed = issue(slack)
    assert closed.status == IssueStatus.CLOSED
    assert closed.closure_evidence == "A week of complete eMAR"
    slack.deliver()
    post = current_post(slack, post)
    assert "A week of complete eMAR" in json.dumps(post["blocks"])
    assert buttons(post) == [Triage.REOPEN]
    lines = thread_lines(slack, post)
    assert len(lines) == 7
    assert lines[-1].startswith("Tia Leader closed the issue")
    with session_scope(slack.engine) as session:
        actions = {
            e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity_ref == REF))
        }
        assert {"owner assigned", "urgency set", "correction set", "resolved", "closed"} <= actions
        assert session.exec(select(Control)).one().description.startswith("Senior checks")


def test_staff_member_gets_private_refusal_and_no_form(slack: SlackApp) -> None:
    post = reported(slack)
    slack.fake.clear()
    click(slack, Triage.ASSIGN, post, user=slack.world.staff.slack_user_id)
    assert slack.fake.calls("views.open") == []
    reply = slack.replies()[-1]
    assert reply["response_type"] == "ephemeral"
    assert "You can't triage go-live issues" in reply["text"]
    assert "Team leader" in reply["text"]


def test_refusal_is_checked_on_the_server_when_the_form_is_submitted(slack: SlackApp) -> None:
    post = reported(slack)
    click(slack, Triage.ASSIGN, post, user=slack.world.team_leader.slack_user_id)
    modal = slack.opened_view()
    values = {Triage.OWNER: {Triage.OWNER: users_select(slack.world.staff.slack_user_id)}}
    answer = slack.submit(modal, values, user=slack.world.staff.slack_user_id)
    body = answer.json()
    assert body["response_action"] == "push"
    assert body["view"]["title"]["text"] == "Not allowed"
    assert "You can't triage" in json.dumps(body["view"]["blocks"])
    assert issue(slack).owner_id is None
    assert slack.deliver() == 0


def test_manager_of_another_service_cannot_resolve(slack: SlackApp) -> None:
    post = reported(slack)
    click(slack, Triage.RESOLVE, post, user=slack.world.other_manager.slack_user_id)
    assert "for this service" in slack.last_reply()
    assert issue(slack).status == IssueStatus.NEW


def test_resolving_without_correction_action_says_what_to_do(slack: SlackApp) -> None:
    post = reported(slack)
    click(slack, Triage.RESOLVE, post, user=slack.world.manager.slack_user_id)
    assert "Record the correction action for GL-0001" in slack.last_reply()
    assert issue(slack).status == IssueStatus.NEW
    assert slack.deliver() == 0


def test_correction_target_in_the_past_is_shown_beside_the_date(slack: SlackApp) -> None:
    post = reported(slack)
    answer = triage_step(
        slack,
        Triage.CORRECTION,
        post,
        {
            Triage.CORRECTION_TEXT: {Triage.CORRECTION_TEXT: plain_text_input("Retrain")},
            Triage.CORRECTION_DUE: {
                Triage.CORRECTION_DUE: datepicker(slack.clock.now().date() - timedelta(days=1))
            },
        },
        user=slack.world.team_leader.slack_user_id,
    )
    assert list(answer.json()["errors"]) == [Triage.CORRECTION_DUE]
    assert issue(slack).correction_action is None


def test_setting_the_same_urgency_explains_instead_of_failing(slack: SlackApp) -> None:
    post = reported(slack)
    answer = triage_step(
        slack,
        Triage.URGENCY,
        post,
        {Triage.NEW_URGENCY: {Triage.NEW_URGENCY: radio_buttons("medium")}},
        user=slack.world.team_leader.slack_user_id,
    )
    body = answer.json()
    assert body["response_action"] == "push"
    assert "already medium urgency" in json.dumps(body["view"])


def test_raising_urgency_to_urgent_alerts_the_manager(slack: SlackApp) -> None:
    post = reported(slack)
    triage_step(
        slack,
        Triage.URGENCY,
        post,
        {Triage.NEW_URGENCY: {Triage.NEW_URGENCY: radio_buttons("urgent")}},
        user=slack.world.team_leader.slack_user_id,
    )
    slack.deliver()
    [alert] = slack.fake.messages("D" + slack.world.manager.slack_user_id)
    assert "needs your attention" in alert["text"]


def test_reopen_needs_a_reason(slack: SlackApp) -> None:
    post = reported(slack)
    with session_scope(slack.engine) as session:
        row = session.exec(select(Issue)).one()
        row.status = IssueStatus.RESOLVED
        session.add(row)
    answer = triage_step(
        slack,
        Triage.REOPEN,
        post,
        {Triage.REASON: {Triage.REASON: plain_text_input("")}},
        user=slack.world.manager.slack_user_id,
    )
    assert list(answer.json()["errors"]) == [Triage.REASON]
    answer = triage_step(
        slack,
        Triage.REOPEN,
        post,
        {Triage.REASON: {Triage.REASON: plain_text_input("Happened again on nights")}},
        user=slack.world.manager.slack_user_id,
    )
    assert answer.body == ""
    assert issue(slack).status == IssueStatus.REOPENED


def test_triage_user_told_when_slack_will_not_open_the_form(slack: SlackApp) -> None:
    post = reported(slack)
    slack.fake.fail("views.open", "trigger_expired")
    click(slack, Triage.CONTROL, post, user=slack.world.team_leader.slack_user_id)
    assert "trigger_expired" in slack.last_reply()
    assert issue(slack).status == IssueStatus.NEW


def test_owner_name_falls_back_to_user_id_when_slack_cannot_say(slack: SlackApp) -> None:
    post = reported(slack)
    click(slack, Triage.ASSIGN, post, user=slack.world.team_leader.slack_user_id)
    slack.fake.fail("users.info", "user_not_found")
    values = {Triage.OWNER: {Triage.OWNER: users_select("U0AGENCY1")}}
    slack.submit(slack.opened_view(), values, user=slack.world.team_leader.slack_user_id)
    slack.deliver()
    assert "U0AGENCY1" in thread_lines(slack, post)[-1]
    assert slack.fake.messages("DU0AGENCY1") != []


def test_triage_post_update_failure_is_retried_without_losing_the_thread_line(
    slack: SlackApp,
) -> None:
    post = reported(slack)
    slack.fake.fail("chat.update", "internal_error")
    triage_step(
        slack,
        Triage.ASSIGN,
        post,
        {Triage.OWNER: {Triage.OWNER: users_select(slack.world.manager.slack_user_id)}},
        user=slack.world.team_leader.slack_user_id,
    )
    slack.deliver()
    assert "Triaged" not in json.dumps(current_post(slack, post)["blocks"])
    assert len(thread_lines(slack, post)) == 1
    slack.clock.advance(timedelta(minutes=5))
    slack.deliver()
    assert "Triaged" in json.dumps(current_post(slack, post)["blocks"])
    assert len(thread_lines(slack, post)) == 1
