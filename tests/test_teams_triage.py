"""Triage from the Teams triage card: each action goes through the same store function as on
Slack (roles checked there), answers with the card as it is now, and the triage message is
refreshed in place for everyone by the outbox."""

from typing import Any

from sqlmodel import select

from store.infra.db import session_scope
from store.records import issues
from store.records.enums import IssueStatus, Urgency
from store.records.models import Issue
from tests.fakebotframework import REPLY, SEND, TRIAGE_CONVERSATION, UPDATE
from tests.teamsapp import TeamsApp

Json = dict[str, Any]


def reported(teams: TeamsApp) -> tuple[str, str]:
    """An issue reported at Oakwood, its triage card delivered; its ref and card's id."""
    ref = teams.report("Tablet in the lounge will not charge")
    teams.deliver()
    teams.fake.wait_for(SEND, conversation=TRIAGE_CONVERSATION)
    [card_id] = teams.fake.conversations[TRIAGE_CONVERSATION].activities
    return ref, card_id


def act(teams: TeamsApp, verb: str, data: Json, *, by: Any) -> Json:
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
    answer = teams.invoke(
        "adaptiveCard/action",
        value,
        by=by,
        conversation=TRIAGE_CONVERSATION,
        conversation_type="channel",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    return body["value"]


def status_of(teams: TeamsApp, ref: str) -> Issue:
    with session_scope(teams.engine, write=False) as session:
        issue = issues.get_issue(session, ref)
        session.expunge(issue)
        return issue


def titles(card: Json) -> list[str]:
    return [action["title"] for action in card.get("actions", [])]


def test_team_leader_assigns_an_owner_and_everyone_sees_the_card_change(teams: TeamsApp) -> None:
    ref, card_id = reported(teams)
    owner = teams.world.manager

    card = act(
        teams,
        "triage_assign",
        {"ref": ref, "owner": str(owner.id)},
        by=teams.world.team_leader,
    )

    assert status_of(teams, ref).owner_id == owner.id
    assert status_of(teams, ref).status == IssueStatus.TRIAGED
    assert {"title": "Owner", "value": owner.name} in card["body"][2]["facts"]
    teams.deliver()
    [update] = teams.fake.wait_for(UPDATE)
    assert update.conversation == TRIAGE_CONVERSATION and update.activity_id == card_id
    shown = teams.fake.shown(TRIAGE_CONVERSATION, card_id)
    assert "Triaged" in str(shown) and owner.name in str(shown)
    [thread] = teams.fake.wait_for(REPLY)
    assert thread.activity_id == card_id
    assert f"assigned the issue to {owner.name}" in thread.body["text"]
    # the new owner hears in their personal chat
    assert any("You are now the owner" in s.body["text"] for s in teams.fake.activities(SEND))


def test_staff_without_a_triage_role_are_refused_on_the_card_and_nothing_changes(
    teams: TeamsApp,
) -> None:
    ref, _ = reported(teams)
    before = len(teams.fake.activities())

    card = act(teams, "triage_urgency", {"ref": ref, "urgency": "urgent"}, by=teams.world.staff)

    assert card["body"][0]["color"] == "Attention"
    assert card["body"][0]["text"].startswith("You can't")
    assert status_of(teams, ref).urgency == Urgency.LOW
    teams.deliver()
    assert len(teams.fake.activities()) == before


def test_a_manager_resolves_and_closes_with_evidence_then_reopens(teams: TeamsApp) -> None:
    ref, card_id = reported(teams)
    manager = teams.world.manager

    refused = act(teams, "triage_resolve", {"ref": ref}, by=manager)
    assert "Record the correction action" in refused["body"][0]["text"]

    act(
        teams,
        "triage_correction",
        {"ref": ref, "correction_action": "Supplier replaces the charger", "correction_due": ""},
        by=manager,
    )
    assert status_of(teams, ref).status == IssueStatus.IN_PROGRESS
    resolved = act(teams, "triage_resolve", {"ref": ref}, by=manager)
    assert status_of(teams, ref).status == IssueStatus.RESOLVED
    assert titles(resolved) == ["Close with evidence", "Reopen"]

    empty = act(teams, "triage_close", {"ref": ref, "closure_evidence": " "}, by=manager)
    assert "needs closure evidence" in empty["body"][0]["text"]
    closed = act(
        teams, "triage_close", {"ref": ref, "closure_evidence": "Charged all week"}, by=manager
    )
    assert status_of(teams, ref).status == IssueStatus.CLOSED
    assert titles(closed) == ["Reopen"]
    act(teams, "triage_reopen", {"ref": ref, "reason": "Stopped charging again"}, by=manager)
    assert status_of(teams, ref).status == IssueStatus.REOPENED

    teams.deliver()
    shown = teams.fake.shown(TRIAGE_CONVERSATION, card_id)
    assert "Reopened" in str(shown)
    replies = [s.body["text"] for s in teams.fake.wait_for(REPLY, 4)]
    assert any("closed the issue. Evidence: Charged all week" in r for r in replies)


def test_control_supplier_and_urgency_actions_record_what_was_typed(teams: TeamsApp) -> None:
    ref, _ = reported(teams)
    leader = teams.world.team_leader
    act(
        teams,
        "triage_control",
        {"ref": ref, "control": "Spare tablet from the office", "control_due": "2026-11-30"},
        by=leader,
    )
    act(teams, "triage_supplier", {"ref": ref, "note": "Logged with the supplier"}, by=leader)
    card = act(teams, "triage_urgency", {"ref": ref, "urgency": "high"}, by=leader)
    issue = status_of(teams, ref)
    assert issue.status == IssueStatus.AWAITING_SUPPLIER
    assert issue.urgency == Urgency.HIGH
    assert "Spare tablet from the office" in str(card)
    bad_date = act(
        teams, "triage_control", {"ref": ref, "control": "x", "control_due": "soon"}, by=leader
    )
    assert bad_date["body"][0]["text"] == "The review date is not a date"
    with session_scope(teams.engine, write=False) as session:
        assert len(issues.immediate_controls(session, issues.get_issue(session, ref))) == 1
        assert len(list(session.exec(select(Issue)))) == 1


def test_an_action_teams_sends_again_is_taken_once(teams: TeamsApp) -> None:
    ref, _ = reported(teams)
    value = {
        "action": {
            "type": "Action.Execute",
            "verb": "triage_control",
            "data": {"ref": ref, "control": "Paper charts on the unit"},
        }
    }
    activity = teams.fake.invoke(
        "adaptiveCard/action", value, user=teams.user(teams.world.team_leader)
    )
    first, again = teams.send(activity), teams.send(activity)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    with session_scope(teams.engine, write=False) as session:
        assert len(issues.immediate_controls(session, issues.get_issue(session, ref))) == 1
