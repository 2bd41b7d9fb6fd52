"""The post-implementation review from Teams: the quality lead starts it, a verdict is
recorded on a risk's controls, a risk moves to business as usual, leadership actions and
follow-up audits are recorded, and the project lead closes the project once the guard lets
them; each typed to golive as on Slack, its form a dialog opened from the answer's button,
through signed activities to the real Teams app."""

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from store.infra.db import session_scope
from store.records import people, phases, review, risks
from store.records.actors import COMMAND_LINE
from store.records.enums import Phase, Register, RiskCategory, RiskScope, RiskStatus
from store.records.models import (
    ControlVerdict,
    Effectiveness,
    FollowUpAudit,
    LeadershipAction,
    OutboxMessage,
    Person,
    Risk,
)
from store.records.review import ReviewNotice
from tests.fakebotframework import SEND
from tests.teamsapp import TeamsApp, aad_id_of

Json = dict[str, Any]
FINDINGS = {
    "data_quality": "Allergy flags complete for 98% of residents",
    "staff_confidence": "Night staff confident; bank staff need refreshers",
    "record_completion": "Daily notes completed on 96% of shifts",
    "workflow_stability": "Handover stable since week 2",
}


@pytest.fixture
def live(teams: TeamsApp) -> TeamsApp:
    """The world with the quality lead and the board member on Teams too, one risk at
    Oakwood and one across the organisation recorded before the project went live."""
    with session_scope(teams.engine) as session:
        for person in (teams.world.quality_lead, teams.world.board_member):
            people.link_teams_user(
                session,
                actor=COMMAND_LINE,
                person=people.person_by_id(session, person_id=person.id),
                aad_id=aad_id_of(person),
                now=teams.clock.now(),
            )
    add_risk(teams, "Oakwood MAR migration", service=teams.world.oakwood)
    add_risk(teams, "Agency staff access")
    teams.clock.advance(timedelta(days=1))
    with session_scope(teams.engine) as session:
        phases.set_phase(
            session, actor=teams.world.project_lead, phase=Phase.GO_LIVE, now=teams.clock.now()
        )
    teams.clock.advance(timedelta(days=1))
    return teams


def add_risk(teams: TeamsApp, title: str, *, service: Any = None) -> str:
    world = teams.world
    with session_scope(teams.engine) as session:
        risk = risks.create_risk(
            session,
            actor=world.project_lead,
            now=teams.clock.now(),
            data=risks.NewRisk(
                title=title,
                category=RiskCategory.DATA_MIGRATION,
                scope=RiskScope.SERVICE if service else RiskScope.ORGANISATION,
                service_id=service.id if service else None,
                owner_id=world.manager.id,
            ),
        )
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=risk.ref,
            likelihood=3,
            impact=4,
            reason="Initial",
            now=teams.clock.now(),
        )
        return risk.ref


def said(teams: TeamsApp, text: str, by: Person) -> Json:
    """What golive answered to ``text`` typed by ``by`` in their personal chat."""
    before = len(teams.fake.activities(SEND))
    assert teams.send(teams.fake.message(text, user=teams.user(by))).status_code == 200
    return teams.fake.wait_for(SEND, before + 1)[-1].body


def card_of(message: Json) -> Json:
    return message["attachments"][0]["content"]


def buttons(card: Json) -> dict[str, Json]:
    return {action["title"]: action for action in card.get("actions", [])}


def opened(teams: TeamsApp, button: Json, by: Person) -> Json:
    """The dialog a card's button opens (Teams sends ``task/fetch`` with its data)."""
    data = {k: v for k, v in button["data"].items() if k != "msteams"}
    answer = teams.invoke("task/fetch", {"data": data}, by=by)
    assert answer.status_code == 200
    return answer.json()["task"]["value"]["card"]["content"]


def submitted(teams: TeamsApp, dialog: Json, answers: Json, by: Person) -> Json:
    """The answer to submitting the dialog: ``task`` of type message when it closed."""
    hidden = dialog["actions"][0]["data"]
    answer = teams.invoke("task/submit", {"data": {**hidden, **answers}}, by=by)
    assert answer.status_code == 200
    return answer.json()["task"]


def inputs(dialog: Json) -> dict[str, Json]:
    return {b["id"]: b for b in dialog["body"] if str(b["type"]).startswith("Input.")}


def error_after(dialog: Json, field: str) -> str:
    """The words shown beside an input (the block after it), if any."""
    body = dialog["body"]
    at = next(i for i, b in enumerate(body) if b.get("id") == field)
    after = body[at + 1] if at + 1 < len(body) else {}
    return str(after.get("text", "")) if after.get("color") == "Attention" else ""


def start(teams: TeamsApp) -> Json:
    quality = teams.world.quality_lead
    dialog = opened(
        teams, buttons(card_of(said(teams, "review", quality)))["Start the review"], quality
    )
    return submitted(teams, dialog, FINDINGS, quality)


def verdicts(teams: TeamsApp) -> list[ControlVerdict]:
    with session_scope(teams.engine, write=False) as session:
        found = list(session.exec(select(ControlVerdict)))
        for verdict in found:
            session.expunge(verdict)
        return found


def test_the_quality_lead_starts_the_review_from_teams(live: TeamsApp) -> None:
    quality = live.world.quality_lead
    prompt = said(live, "review", quality)
    dialog = opened(live, buttons(card_of(prompt))["Start the review"], quality)
    assert list(inputs(dialog)) == list(FINDINGS)

    again = submitted(live, dialog, {**FINDINGS, "record_completion": "   "}, quality)
    assert again["type"] == "continue"
    assert error_after(again["value"]["card"]["content"], "record_completion") == (
        "Record completion is required"
    )
    with session_scope(live.engine, write=False) as session:
        assert review.current_review(session) is None

    done = submitted(live, dialog, FINDINGS, quality)
    assert done["type"] == "message"
    assert done["value"].startswith("The post-implementation review PIR-")
    with session_scope(live.engine, write=False) as session:
        current = review.current_review(session)
        assert current is not None and current.started_by_id == quality.id
        assert current.staff_confidence == FINDINGS["staff_confidence"]

    status = card_of(said(live, "review", live.world.manager))
    assert f"Post-implementation review {current.ref}" in str(status)
    assert "(0 of 2)" in str(status)
    assert {"Leadership action", "Schedule audits", "Close the project", "Refresh"} <= set(
        buttons(status)
    )


def test_only_the_quality_lead_may_start_the_review_and_nothing_is_written(
    live: TeamsApp,
) -> None:
    refused = said(live, "review", live.world.manager)
    assert refused["text"].startswith("You can't start the post-implementation review")
    assert "attachments" in refused and "actions" not in card_of(refused)

    forged = live.invoke(
        "task/submit", {"data": {"golive": "review_start", **FINDINGS}}, by=live.world.manager
    )
    shown = forged.json()["task"]["value"]["card"]["content"]["body"][0]
    assert shown["text"].startswith("You can't start the post-implementation review")
    with session_scope(live.engine, write=False) as session:
        assert review.current_review(session) is None


def test_the_quality_lead_records_a_verdict_on_an_organisation_risks_controls(
    live: TeamsApp,
) -> None:
    start(live)
    quality = live.world.quality_lead
    prompt = card_of(said(live, "verdict R-002", quality))
    assert "Agency staff access" in str(prompt)
    assert list(buttons(prompt)) == ["Effective", "Partly effective", "Not effective"]

    dialog = opened(live, buttons(prompt)["Partly effective"], quality)
    assert inputs(dialog)["verdict"]["value"] == "partly"
    missing = submitted(live, dialog, {"verdict": "partly", "evidence": " "}, quality)
    assert error_after(missing["value"]["card"]["content"], "evidence") == (
        "The evidence is required"
    )
    assert verdicts(live) == []

    done = submitted(
        live, dialog, {"verdict": "partly", "evidence": "Two agency logins shared"}, quality
    )

    assert done == {"type": "message", "value": "R-002: partly effective. Thank you."}
    [verdict] = verdicts(live)
    assert verdict.verdict == Effectiveness.PARTLY
    assert verdict.evidence == "Two agency logins shared"
    assert verdict.given_by_id == quality.id
    status = card_of(said(live, "review", quality))
    assert "(1 of 2)" in str(status) and "Partly effective: 1" in str(status)


def test_a_manager_of_another_service_is_refused_a_verdict_and_nothing_is_written(
    live: TeamsApp,
) -> None:
    start(live)
    other = live.world.other_manager
    refused = said(live, "verdict R-001", other)
    assert refused["text"].startswith("You can't record whether this risk's controls worked")

    forged = live.invoke(
        "task/submit",
        {"data": {"golive": "review_verdict", "ref": "R-001", "verdict": "no", "evidence": "x"}},
        by=other,
    )
    text = forged.json()["task"]["value"]["card"]["content"]["body"][0]["text"]
    assert text.startswith("You can't record whether this risk's controls worked")
    assert verdicts(live) == []
    missing = said(live, "verdict", other)
    assert missing["text"] == "Say which risk, like verdict R-003."


def test_the_project_lead_transfers_a_risk_to_business_as_usual(live: TeamsApp) -> None:
    start(live)
    lead = live.world.project_lead
    dialog = opened(
        live, buttons(card_of(said(live, "transfer R-001", lead)))["Transfer to BAU"], lead
    )
    owners = {c["title"]: c["value"] for c in inputs(dialog)["owner"]["choices"]}
    assert inputs(dialog)["owner"]["value"] == owners["Mo Manager"]  # the risk's owner
    today = live.clock.now().date()

    no_date = submitted(live, dialog, {"owner": owners["Mo Manager"]}, lead)
    assert error_after(no_date["value"]["card"]["content"], "review_date") == "Pick a review date"
    past = submitted(
        live,
        dialog,
        {"owner": owners["Mo Manager"], "review_date": (today - timedelta(days=1)).isoformat()},
        lead,
    )
    assert error_after(past["value"]["card"]["content"], "review_date") == (
        "The review date must be after today, so the risk is looked at again"
    )

    due = today + timedelta(days=30)
    done = submitted(
        live,
        dialog,
        {"owner": owners["Mo Manager"], "review_date": due.isoformat(), "note": "Still live"},
        lead,
    )

    assert done["type"] == "message"
    assert done["value"].startswith("R-001 is now R-")
    assert f"owned by Mo Manager, next review {due:%d %b %Y}" in done["value"]
    with session_scope(live.engine, write=False) as session:
        original = risks.get_risk(session, "R-001")
        assert original.status == RiskStatus.TRANSFERRED
        bau = session.exec(
            select(Risk).where(Risk.risk_register == Register.BUSINESS_AS_USUAL)
        ).one()
        assert bau.owner_id == live.world.manager.id and bau.review_date == due


def test_leadership_actions_audits_and_closing_the_project(live: TeamsApp) -> None:
    start(live)
    lead, quality, board = live.world.project_lead, live.world.quality_lead, live.world.board_member

    refused = said(live, "leadership-action", quality)
    assert refused["text"].startswith("You can't record leadership actions")
    prompt = card_of(said(live, "leadership-action", board))
    dialog = opened(live, buttons(prompt)["Leadership action"], board)
    owners = {c["title"]: c["value"] for c in inputs(dialog)["owner"]["choices"]}
    empty = submitted(live, dialog, {"description": "Fund bank staff refreshers"}, board)
    assert error_after(empty["value"]["card"]["content"], "owner") == "Choose an owner"
    done = submitted(
        live,
        dialog,
        {"description": "Fund bank staff refreshers", "owner": owners["Pat Project"]},
        board,
    )
    assert done["value"].endswith("is recorded, owned by Pat Project.")

    dialog = opened(
        live, buttons(card_of(said(live, "audits", quality)))["Follow-up audits"], quality
    )
    first_due = inputs(dialog)["first_due"]["value"]
    done = submitted(
        live, dialog, {"topic": "Night notes", "first_due": first_due, "months": "2"}, quality
    )
    assert done["value"].startswith("Follow-up audits scheduled:\n• FA-1 due ")
    with session_scope(live.engine, write=False) as session:
        assert len(list(session.exec(select(LeadershipAction)))) == 1
        assert len(list(session.exec(select(FollowUpAudit)))) == 2

    blocked = card_of(said(live, "close-project", lead))
    assert "The implementation can't be closed yet:" in str(blocked)
    assert "follow-up audit FA-1 (Night notes" in str(blocked)
    for ref in ("FA-1", "FA-2"):
        dialog = opened(
            live, buttons(card_of(said(live, f"audit {ref}", quality)))["Audit result"], quality
        )
        empty = submitted(live, dialog, {"result": ""}, quality)
        assert error_after(empty["value"]["card"]["content"], "result") == (
            "What the audit found is required"
        )
        done = submitted(live, dialog, {"result": "Notes complete on 97% of nights"}, quality)
        assert done["value"].startswith(f"{ref} result recorded. Residual risk now totals")

    check = live.invoke(
        "adaptiveCard/action",
        {"action": {"type": "Action.Execute", "verb": "review_close_check", "data": {}}},
        by=lead,
    )
    card = check.json()["value"]
    assert "Nothing stops the implementation closing" in str(card)
    dialog = opened(live, buttons(card)["Close the project"], lead)
    done = submitted(live, dialog, {"note": "Handed to business as usual"}, lead)
    assert done["value"].startswith("The implementation is closed and the board channel is told")
    with session_scope(live.engine, write=False) as session:
        current = review.current_review(session)
        assert current is not None and current.closed_by_id == lead.id
        assert current.closure_note == "Handed to business as usual"
    again = said(live, "close-project", lead)
    assert again["text"].startswith("The implementation was already closed on")
    with session_scope(live.engine, write=False) as session:
        owed = session.exec(
            select(OutboxMessage).where(OutboxMessage.notice == ReviewNotice.PROJECT_CLOSED)
        )
        assert [m.subject for m in owed] == [str(current.id)]


def test_the_status_card_refreshes_in_place(live: TeamsApp) -> None:
    start(live)
    quality = live.world.quality_lead
    with session_scope(live.engine) as session:
        review.record_verdict(
            session,
            actor=people.person_by_id(session, person_id=quality.id),
            ref="R-002",
            verdict=Effectiveness.YES,
            evidence="No shared logins found",
            now=live.clock.now(),
        )
    answer = live.invoke(
        "adaptiveCard/action",
        {"action": {"type": "Action.Execute", "verb": "review_status", "data": {}}},
        by=quality,
    )
    card = answer.json()["value"]
    assert "(1 of 2)" in str(card) and "Effective: 1" in str(card)
    staff = live.invoke(
        "adaptiveCard/action",
        {"action": {"type": "Action.Execute", "verb": "review_status", "data": {}}},
        by=live.world.staff,
    )
    assert staff.json()["value"]["body"][0]["color"] == "Attention"


def test_a_dialog_teams_submits_again_is_recorded_once(live: TeamsApp) -> None:
    start(live)
    board = live.world.board_member
    dialog = opened(
        live, buttons(card_of(said(live, "leadership-action", board)))["Leadership action"], board
    )
    owners = {c["title"]: c["value"] for c in inputs(dialog)["owner"]["choices"]}
    answers = {"description": "Weekly supplier call", "owner": owners["Mo Manager"]}
    activity = live.fake.invoke(
        "task/submit",
        {"data": {**dialog["actions"][0]["data"], **answers}},
        user=live.user(board),
    )

    first, again = live.send(activity), live.send(activity)

    assert first.json()["task"]["value"].endswith("owned by Mo Manager.")
    assert again.json()["task"]["type"] == "message"
    with session_scope(live.engine, write=False) as session:
        [action] = session.exec(select(LeadershipAction)).all()
        assert action.owner_id == live.world.manager.id
