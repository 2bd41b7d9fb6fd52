"""The project board records decisions in Slack, on a risk or on an escalated issue: accept,
add control, delay rollout, escalate to supplier or close, with an owner, an escalation route
and a follow-up date. The decision shows on the risk and is posted to the board channel."""

import json
from datetime import timedelta

from sqlmodel import select

from bot.ids import DecisionIds
from store.infra.db import session_scope
from store.records import issues
from store.records.enums import DecisionKind, Impact, IssueCategory, RiskStatus, Urgency
from store.records.models import Decision
from tests.risk_helpers import answers, new_risk, opened, private_text, risk, trail
from tests.slack_requests import datepicker, plain_text_input, radio_buttons, users_select
from tests.slackapp import SlackApp
from tests.world import BOARD_CHANNEL


def decision_answers(
    slack: SlackApp, kind: str | None = "accept", *, follow_up=None, summary: str = "Accepted"
) -> dict:
    return answers(
        **{
            DecisionIds.KIND: radio_buttons(kind),
            DecisionIds.SUMMARY: plain_text_input(summary),
            DecisionIds.OWNER: users_select(slack.world.project_lead.slack_user_id),
            DecisionIds.ESCALATION_ROUTE: plain_text_input("Supplier account manager"),
            DecisionIds.FOLLOW_UP: datepicker(
                follow_up or slack.clock.now().date() + timedelta(days=14)
            ),
        }
    )


def decisions_in(slack: SlackApp) -> list[Decision]:
    with session_scope(slack.engine) as session:
        return list(session.exec(select(Decision).order_by(Decision.id)))


def test_board_member_records_a_decision_on_a_risk(slack: SlackApp) -> None:
    ref = new_risk(slack)
    board = slack.world.board_member.slack_user_id
    slack.action(DecisionIds.OPEN, ref, user=board)
    modal = opened(slack)
    assert modal["private_metadata"] == ref
    kinds = [o["value"] for o in modal["blocks"][1]["element"]["options"]]
    assert kinds == [k.value for k in DecisionKind]

    answer = slack.submit(
        modal,
        decision_answers(slack, "delay_rollout", summary="Delay Riverside wave by a week"),
        user=board,
    )
    assert answer.json()["response_action"] == "update"
    [decision] = decisions_in(slack)
    assert (decision.kind, decision.owner_id) == (
        DecisionKind.DELAY_ROLLOUT,
        slack.world.project_lead.id,
    )
    assert decision.escalation_route == "Supplier account manager"
    assert decision.follow_up_date == slack.clock.now().date() + timedelta(days=14)
    created = {e.field for e in trail(slack, f"decision#{decision.id}") if e.action == "created"}
    assert {"kind", "summary", "owner_id", "follow_up_date", "decided_by_id"} <= created
    assert risk(slack, ref).escalation_route == "Supplier account manager"

    assert slack.deliver() == 1
    [post] = slack.fake.messages(BOARD_CHANNEL)
    assert f"Board decision on {ref}: Delay rollout" in post["text"]
    assert "Delay Riverside wave by a week" in json.dumps(post["blocks"])

    slack.command(f"risk {ref}", user=board)
    assert "Delay Riverside wave by a week" in json.dumps(slack.replies()[-1]["blocks"])


def test_closing_and_escalating_change_the_risk(slack: SlackApp) -> None:
    closing = new_risk(slack)
    escalating = new_risk(slack, title="Supplier support hours too short")
    board = slack.world.board_member.slack_user_id
    slack.command(f"decision {closing}", user=board)
    slack.submit(opened(slack), decision_answers(slack, "close"), user=board)
    slack.command(f"decision {escalating}", user=board)
    slack.submit(opened(slack), decision_answers(slack, "escalate_to_supplier"), user=board)
    assert risk(slack, closing).status == RiskStatus.CLOSED
    assert risk(slack, escalating).status == RiskStatus.ESCALATED
    assert ("board decision", "status", "closed") in {
        (e.action, e.field, e.new_value) for e in trail(slack, closing)
    }


def test_board_member_records_a_decision_from_an_escalation_post_on_an_issue(
    slack: SlackApp,
) -> None:
    with session_scope(slack.engine) as session:
        issue, _ = issues.report_issue(
            session,
            reporter=slack.world.staff,
            report=issues.IssueReport(
                service_id=slack.world.oakwood.id,
                category=IssueCategory.MEDICATION,
                description="eMAR shows the wrong <dose>",
                impact=Impact.SAFE_CARE,
                urgency=Urgency.URGENT,
            ),
            now=slack.clock.now(),
        )
    board = slack.world.board_member.slack_user_id
    slack.action(DecisionIds.OPEN, issue.ref, user=board)
    modal = opened(slack)
    assert issue.ref in json.dumps(modal["blocks"])
    assert "&lt;dose&gt;" in json.dumps(modal["blocks"])
    slack.submit(modal, decision_answers(slack, "escalate_to_supplier"), user=board)
    [decision] = decisions_in(slack)
    assert (decision.issue_id, decision.risk_id) == (issue.id, None)


def test_only_board_members_record_decisions(slack: SlackApp) -> None:
    ref = new_risk(slack)
    slack.action(DecisionIds.OPEN, ref, user=slack.world.project_lead.slack_user_id)
    assert "You can't record board decisions" in private_text(slack)
    assert slack.fake.calls("views.open") == []

    slack.command(f"decision {ref}", user=slack.world.board_member.slack_user_id)
    modal = opened(slack)
    forged = slack.submit(
        modal, decision_answers(slack), user=slack.world.project_lead.slack_user_id
    )
    assert "You can't record board decisions" in json.dumps(forged.json())
    assert decisions_in(slack) == []


def test_a_decision_needs_a_kind_a_summary_and_a_future_follow_up(slack: SlackApp) -> None:
    ref = new_risk(slack)
    board = slack.world.board_member.slack_user_id
    slack.command(f"decision {ref}", user=board)
    modal = opened(slack)
    empty = slack.submit(modal, decision_answers(slack, None, summary=""), user=board).json()
    assert empty["errors"] == {
        DecisionIds.KIND: "Choose the decision",
        DecisionIds.SUMMARY: "What the board decided is required",
    }
    yesterday = slack.clock.now().date() - timedelta(days=1)
    past = slack.submit(modal, decision_answers(slack, follow_up=yesterday), user=board).json()
    assert past["errors"] == {DecisionIds.FOLLOW_UP: "The follow-up date is in the past"}
    assert decisions_in(slack) == []
    slack.command("decision R-042", user=board)
    assert "There is no risk R-042" in slack.last_reply()
