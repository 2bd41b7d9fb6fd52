"""Every modal's answers reach its listener as a typed result from the one form parser:
``Parsed`` with the values (enums, dates, whole numbers, Slack user ids, nothing the form
requires left ``None``) or ``Invalid`` with every message to show beside its input. Nothing
rests on an ``assert``, so a form answered badly is refused the same way under ``python -O``.

The stories go through the real Bolt app over signed HTTP; the parser's own rules are checked
on the functions the listeners call.
"""

import ast
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from bot.forms import Form, Invalid, Parsed
from bot.ids import DecisionIds, Report, RiskIds, ScoreIds, Triage
from commands import report, risks, scoring
from store.infra.db import session_scope
from store.records.enums import (
    DecisionKind,
    Impact,
    IssueCategory,
    IssueStatus,
    RiskStatus,
    Urgency,
    Workaround,
)
from store.records.models import AuditEvent, Decision, Issue
from tests.risk_helpers import answers, new_risk, opened, risk
from tests.slack_requests import (
    datepicker,
    plain_text_input,
    radio_buttons,
    static_select,
    users_select,
)
from tests.slackapp import SlackApp, report_values
from tests.world import TRIAGE_CHANNEL

Json = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent


def submitted(values: Json, *, metadata: str = "") -> Json:
    """A view as Slack sends it on submit, for the parser alone."""
    return {"state": {"values": values}, "private_metadata": metadata, "blocks": []}


def rows(slack: SlackApp, model: type) -> int:
    with session_scope(slack.engine, write=False) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


# ---------------------------------------------------------------------- through the app


def test_board_member_who_leaves_out_the_decision_and_summary_sees_both_errors(
    slack: SlackApp,
) -> None:
    ref = new_risk(slack)
    board = slack.world.board_member.slack_user_id
    slack.action(DecisionIds.OPEN, ref, user=board)
    modal = opened(slack)
    events = rows(slack, AuditEvent)

    answer = slack.submit(
        modal,
        answers(
            **{
                DecisionIds.KIND: radio_buttons(None),
                DecisionIds.SUMMARY: plain_text_input("   "),
                DecisionIds.OWNER: users_select(None),
                DecisionIds.ESCALATION_ROUTE: plain_text_input(None),
                DecisionIds.FOLLOW_UP: datepicker(None),
            }
        ),
        user=board,
    )

    assert answer.json() == {
        "response_action": "errors",
        "errors": {
            DecisionIds.KIND: "Choose the decision",
            DecisionIds.SUMMARY: "What the board decided is required",
        },
    }
    assert rows(slack, Decision) == 0
    assert rows(slack, AuditEvent) == events


def test_board_members_decision_is_recorded_with_the_typed_answers(slack: SlackApp) -> None:
    ref = new_risk(slack)
    board = slack.world.board_member.slack_user_id
    follow_up = slack.clock.now().date() + timedelta(days=10)
    slack.command(f"decision {ref}", user=board)
    answer = slack.submit(
        opened(slack),
        answers(
            **{
                DecisionIds.KIND: radio_buttons("escalate_to_supplier"),
                DecisionIds.SUMMARY: plain_text_input("Supplier fixes the PRN import"),
                DecisionIds.OWNER: users_select(slack.world.manager.slack_user_id),
                DecisionIds.ESCALATION_ROUTE: plain_text_input(None),
                DecisionIds.FOLLOW_UP: datepicker(follow_up),
            }
        ),
        user=board,
    )

    assert answer.json()["response_action"] == "update"
    assert "Escalate to supplier" in json.dumps(answer.json()["view"])
    with session_scope(slack.engine, write=False) as session:
        [decision] = session.exec(select(Decision)).all()
    assert decision.kind == DecisionKind.ESCALATE_TO_SUPPLIER
    assert decision.follow_up_date == follow_up
    assert decision.owner_id == slack.world.manager.id
    assert decision.escalation_route is None


def test_project_lead_closing_a_risk_without_a_status_or_reason_changes_nothing(
    slack: SlackApp,
) -> None:
    ref = new_risk(slack)
    lead = slack.world.project_lead.slack_user_id
    slack.action(RiskIds.STATUS, ref, user=lead)

    answer = slack.submit(
        opened(slack),
        answers(**{RiskIds.NEW_STATUS: static_select(None), RiskIds.NOTE: plain_text_input("")}),
        user=lead,
    )

    assert answer.json()["errors"] == {
        RiskIds.NEW_STATUS: "Choose a status",
        RiskIds.NOTE: "The reason is required",
    }
    assert risk(slack, ref).status == RiskStatus.OPEN


def test_team_leader_who_picks_no_urgency_is_asked_for_one_and_the_issue_keeps_its_own(
    slack: SlackApp,
) -> None:
    leader = slack.world.team_leader.slack_user_id
    slack.report(
        user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id, urgency="low"
    )
    slack.deliver()
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    slack.action(Triage.URGENCY, "GL-0001", user=leader, message=post, channel_id=TRIAGE_CHANNEL)

    answer = slack.submit(
        slack.opened_view(),
        {Triage.NEW_URGENCY: {Triage.NEW_URGENCY: radio_buttons("not-an-urgency")}},
        user=leader,
    )

    assert answer.json()["errors"] == {Triage.NEW_URGENCY: "Choose the urgency from the list"}
    with session_scope(slack.engine, write=False) as session:
        issue = session.exec(select(Issue)).one()
    assert (issue.urgency, issue.status) == (Urgency.LOW, IssueStatus.NEW)


# ---------------------------------------------------------------------- the parser


def test_a_good_report_parses_to_its_typed_values() -> None:
    view = submitted(
        report_values(service_id=7, urgency="urgent", workaround="unsafe", workaround_detail="x")
    )

    result = report.parse_report(view)

    assert isinstance(result, Parsed)
    typed = result.value
    assert typed.service_id == 7
    assert (typed.category, typed.impact) == (IssueCategory.MEDICATION, Impact.SOME)
    assert (typed.urgency, typed.workaround) == (Urgency.URGENT, Workaround.UNSAFE)
    assert typed.workaround_detail == "x"


def test_a_bad_report_comes_back_with_every_error_not_just_the_first() -> None:
    view = submitted(
        report_values(
            service_id=None,
            category="not-a-category",
            description=" ",
            urgency=None,
            workaround="unsafe",
        )
    )

    result = report.parse_report(view)

    assert isinstance(result, Invalid)
    assert set(result.errors) == {
        Report.SERVICE,
        Report.CATEGORY,
        Report.DESCRIPTION,
        Report.URGENCY,
        Report.WORKAROUND_DETAIL,
    }


def test_a_score_parses_to_whole_numbers_a_date_and_a_target() -> None:
    review = date(2026, 12, 14)
    view = submitted(
        answers(
            **{
                ScoreIds.LIKELIHOOD: static_select("4"),
                ScoreIds.IMPACT: static_select("3"),
                ScoreIds.REASON: plain_text_input("Two homes still on paper"),
                ScoreIds.REVIEW_DATE: datepicker(review),
                ScoreIds.TARGET_LIKELIHOOD: static_select("2"),
                ScoreIds.TARGET_IMPACT: static_select("2"),
            }
        )
    )

    result = scoring.parse_score(view)

    assert isinstance(result, Parsed)
    assert (result.value.likelihood, result.value.impact) == (4, 3)
    assert result.value.review_date == review
    assert result.value.target == ("2", "2")


def test_a_status_change_parses_to_the_status_and_its_reason() -> None:
    view = submitted(
        answers(
            **{
                RiskIds.NEW_STATUS: static_select("escalated"),
                RiskIds.NOTE: plain_text_input("  Supplier missed the fix date  "),
            }
        )
    )

    assert risks.parse_status(view) == Parsed(
        risks.StatusChange(RiskStatus.ESCALATED, "Supplier missed the fix date")
    )


def test_a_form_that_found_nothing_wrong_is_never_sent_back_with_no_errors() -> None:
    form = Form(submitted({}))

    assert form.result("typed") == Parsed("typed")
    with pytest.raises(RuntimeError, match="no input says why"):
        form.invalid()


def test_a_missing_answer_is_refused_under_python_O_too() -> None:
    """``python -O`` strips asserts; the refusal must not have been one."""
    script = (
        "import json\n"
        "from commands.risks import parse_status\n"
        "view = {'state': {'values': {}}, 'private_metadata': 'R-001'}\n"
        "print(json.dumps({'debug': __debug__, 'result': repr(parse_status(view))}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-O", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert shown["debug"] is False
    assert shown["result"].startswith("Invalid(errors=")
    assert "Choose a status" in shown["result"]
    assert "The reason is required" in shown["result"]


def test_no_listener_rests_on_an_assert() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "commands").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert)
    ]
    assert found == []
