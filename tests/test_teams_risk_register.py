"""The risk register from Microsoft Teams: the same words as ``/golive risk``, ``score``,
``control(s)``, ``decision`` and ``checkpoint``, through golive's real messaging endpoint with
signed activities. Forms are dialogs opened from a button on the answer; the store makes every
change and refuses in its own words, as it does for Slack."""

from datetime import date
from typing import Any

from sqlmodel import select

from store.infra.db import session_scope
from store.records import controls, people, risks
from store.records.actors import COMMAND_LINE
from store.records.enums import ControlStatus, DecisionKind, RiskCategory, RiskScope
from store.records.models import Control, Decision, OutboxMessage, Person, Risk
from store.records.outbox import Notice
from tests.fakebotframework import SEND
from tests.teamsapp import TeamsApp, aad_id_of

Json = dict[str, Any]


# ---------------------------------------------------------------------- steps


def on_teams(teams: TeamsApp, *who: Person) -> None:
    """Link people the Teams fixture leaves unlinked (the quality lead, the board)."""
    with session_scope(teams.engine) as session:
        for person in who:
            people.link_teams_user(
                session,
                actor=COMMAND_LINE,
                person=people.person_by_id(session, person_id=person.id),
                aad_id=aad_id_of(person),
                now=teams.clock.now(),
            )


def said(teams: TeamsApp, text: str, by: Person) -> Json:
    """Type ``text`` to golive; its answer in the chat."""
    before = len(teams.fake.activities(SEND))
    assert teams.send(teams.fake.message(text, user=teams.user(by))).status_code == 200
    return teams.fake.wait_for(SEND, before + 1)[-1].body


def content(answer: Json) -> Json:
    return answer["attachments"][0]["content"]


def dialog_button(card: Json, title: str) -> Json:
    """The data of the button that opens a dialog, as Teams sends it in ``task/fetch``."""
    buttons = [*card.get("actions", [])]
    for block in card["body"]:
        buttons += block.get("actions", []) if block.get("type") == "ActionSet" else []
    [button] = [b for b in buttons if b["title"] == title]
    assert button["data"]["msteams"] == {"type": "task/fetch"}
    return button["data"]


def fetch(teams: TeamsApp, data: Json, *, by: Person) -> Json:
    answer = teams.invoke("task/fetch", {"data": data}, by=by)
    assert answer.status_code == 200
    return answer.json()


def dialog_card(answer: Json) -> Json:
    assert answer["task"]["type"] == "continue", answer
    return answer["task"]["value"]["card"]["content"]


def submit(teams: TeamsApp, card: Json, answers: Json, *, by: Person) -> Json:
    """Submit the dialog: its hidden data with the answers merged in, as Teams sends them."""
    hidden = card["actions"][0]["data"]
    answer = teams.invoke("task/submit", {"data": {**hidden, **answers}}, by=by)
    assert answer.status_code == 200
    return answer.json()


def closed_with(answer: Json) -> str:
    assert answer["task"]["type"] == "message", answer
    return str(answer["task"]["value"])


def error_beside(card: Json, field: str) -> str:
    """The words shown just after the input ``field``."""
    body = card["body"]
    [at] = [i for i, block in enumerate(body) if block.get("id") == field]
    assert body[at + 1].get("color") == "Attention"
    return str(body[at + 1]["text"])


def click(teams: TeamsApp, verb: str, data: Json, *, by: Person) -> Json:
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}}
    answer = teams.invoke("adaptiveCard/action", value, by=by)
    assert answer.status_code == 200
    return answer.json()["value"]


def a_risk(teams: TeamsApp, *, owner: Person) -> tuple[str, int]:
    """A risk with one control owned by ``owner``, recorded by the project lead: its ref and
    the control's id."""
    with session_scope(teams.engine) as session:
        risk = risks.create_risk(
            session,
            actor=people.person_by_id(session, person_id=teams.world.project_lead.id),
            data=risks.NewRisk(
                title="Night staff cannot log in to the handheld devices",
                category=RiskCategory.TRAINING,
                scope=RiskScope.ORGANISATION,
                owner_id=owner.id,
                first_controls=["Paper handover sheet on each unit"],
            ),
            now=teams.clock.now(),
        )
        [control] = risks.controls_of(session, risk)
        return risk.ref, control.id or 0


def all_of(teams: TeamsApp, kind: type[Any]) -> list[Any]:
    with session_scope(teams.engine, write=False) as session:
        found = list(session.exec(select(kind)))
        session.expunge_all()
        return found


def control(teams: TeamsApp, control_id: int) -> Control:
    with session_scope(teams.engine, write=False) as session:
        found = controls.get_control(session, control_id)
        session.expunge(found)
        return found


# ---------------------------------------------------------------------- stories


def test_project_lead_adds_a_risk_and_the_quality_lead_scores_it_on_the_5x5_matrix(
    teams: TeamsApp,
) -> None:
    lead, quality = teams.world.project_lead, teams.world.quality_lead
    on_teams(teams, quality)

    prompt = said(teams, "<at>golive</at> risk add", lead)
    form = dialog_card(fetch(teams, dialog_button(content(prompt), "Record a risk"), by=lead))
    scopes = {c["value"] for c in form["body"][3]["choices"]}
    assert "organisation" in scopes and f"service:{teams.world.oakwood.id}" in scopes
    done = closed_with(
        submit(
            teams,
            form,
            {
                "title": "Medication history does not migrate for PRN",
                "category": "data_migration",
                "service": f"service:{teams.world.oakwood.id}",
                "owner": str(teams.world.manager.id),
                "controls": "Double-check MAR charts\nPharmacist reviews PRN lists",
                "review_date": "2026-12-14",
            },
            by=lead,
        )
    )
    [risk] = all_of(teams, Risk)
    assert done == (
        f"{risk.ref} is in the register. The quality lead scores it next; see it with "
        f"risk {risk.ref}."
    )
    assert risk.owner_id == teams.world.manager.id
    assert risk.service_id == teams.world.oakwood.id
    assert risk.review_date == date(2026, 12, 14)
    assert len(all_of(teams, Control)) == 2

    prompt = said(teams, f"score {risk.ref}", quality)
    button = dialog_button(content(prompt), f"Score {risk.ref}")
    form = dialog_card(fetch(teams, button, by=quality))
    likelihoods = [c["title"] for c in form["body"][1]["choices"]]
    assert likelihoods[3].startswith("4 · Likely")
    scored = closed_with(
        submit(
            teams,
            form,
            {"likelihood": "4", "impact": "4", "reason": "Two homes still on paper MAR"},
            by=quality,
        )
    )
    assert scored == f"{risk.ref} is scored 16 (4 × 4) · Extreme. The score history keeps why."
    [risk] = all_of(teams, Risk)
    assert (risk.likelihood, risk.impact, risk.score) == (4, 4, 16)

    shown = content(said(teams, f"risk {risk.ref}", lead))
    assert {"title": "Score", "value": "16 (4 × 4) · Extreme"} in shown["body"][1]["facts"]
    assert "Two homes still on paper MAR" in str(shown)
    register = said(teams, "risks band:extreme", lead)
    assert register["text"] == "Risk register · band:extreme: 1"
    opened = click(teams, "risk_show", {"ref": risk.ref}, by=lead)
    assert opened["body"][0]["inlines"][0]["text"].startswith(risk.ref)


def test_an_owner_marks_their_control_delayed_with_a_new_date_and_why(teams: TeamsApp) -> None:
    owner = teams.world.manager
    _, control_id = a_risk(teams, owner=owner)

    mine = content(said(teams, "controls", owner))
    assert "Paper handover sheet on each unit" in str(mine)
    form = dialog_card(fetch(teams, dialog_button(mine, "Delayed…"), by=owner))
    assert form["body"][1]["value"] == "delayed"

    no_date = dialog_card(submit(teams, form, {"status": "delayed", "note": "Sheets"}, by=owner))
    assert error_beside(no_date, "due_date") == "A delayed control needs a new due date"
    assert control(teams, control_id).status == ControlStatus.PLANNED

    done = closed_with(
        submit(
            teams,
            form,
            {"status": "delayed", "due_date": "2026-12-10", "note": "Printer broken"},
            by=owner,
        )
    )
    ref = control(teams, control_id).ref
    assert done == f"{ref} is now delayed."
    assert control(teams, control_id).status == ControlStatus.DELAYED
    assert control(teams, control_id).due_date == date(2026, 12, 10)

    typed = said(teams, f"control {ref} complete", owner)
    assert typed["text"] == f"{ref} is now complete."
    assert control(teams, control_id).status == ControlStatus.COMPLETE


def test_an_owner_completes_a_control_from_the_card_and_sees_it_gone(teams: TeamsApp) -> None:
    owner = teams.world.manager
    _, control_id = a_risk(teams, owner=owner)

    card = click(teams, "control_complete", {"control": str(control_id)}, by=owner)

    assert control(teams, control_id).status == ControlStatus.COMPLETE
    assert card["body"][0]["text"] == f"{control(teams, control_id).ref} is now complete."
    assert card["body"][1]["text"] == "**You own no open controls.**"


def test_a_board_member_records_a_decision_and_the_board_channel_is_told(
    teams: TeamsApp,
) -> None:
    board = teams.world.board_member
    on_teams(teams, board)
    ref, _ = a_risk(teams, owner=teams.world.manager)

    prompt = said(teams, f"decision {ref}", board)
    form = dialog_card(fetch(teams, dialog_button(content(prompt), "Record decision"), by=board))
    done = closed_with(
        submit(
            teams,
            form,
            {
                "kind": "delay_rollout",
                "summary": "Hold wave 2 until night staff can log in",
                "owner": str(teams.world.project_lead.id),
                "follow_up_date": "2026-12-01",
            },
            by=board,
        )
    )

    assert done == f"{DecisionKind.DELAY_ROLLOUT.label} on {ref} is recorded and posted to the " + (
        "board channel."
    )
    [decision] = all_of(teams, Decision)
    assert decision.kind == DecisionKind.DELAY_ROLLOUT
    assert decision.owner_id == teams.world.project_lead.id
    assert decision.decided_by_id == board.id
    notices = [m for m in all_of(teams, OutboxMessage) if m.notice == Notice.DECISION_RECORDED]
    assert len(notices) == 1


def test_staff_without_the_role_are_refused_in_the_stores_words_and_nothing_is_written(
    teams: TeamsApp,
) -> None:
    staff = teams.world.staff
    ref, control_id = a_risk(teams, owner=teams.world.manager)

    typed = said(teams, "risk add", staff)
    assert typed["text"].startswith("You can't record and edit this risk.")
    refused = fetch(teams, {"golive": "risk_add"}, by=staff)
    assert refused["task"]["value"]["card"]["content"]["body"][0]["text"].startswith("You can't")
    forged = submit(
        teams,
        {"actions": [{"data": {"golive": "risk_add"}}]},
        {"title": "Made up", "category": "training", "service": "organisation"},
        by=staff,
    )
    assert "You can't record and edit this risk" in str(forged)
    assert len(all_of(teams, Risk)) == 1

    assert said(teams, f"score {ref}", staff)["text"].startswith("You can't score risks")
    scored = submit(
        teams,
        {"actions": [{"data": {"golive": "risk_score", "ref": ref, "offered": ""}}]},
        {"likelihood": "5", "impact": "5", "reason": "Guess"},
        by=staff,
    )
    assert "You can't score risks" in str(scored)
    assert all_of(teams, Risk)[0].score is None

    assert said(teams, f"decision {ref}", staff)["text"].startswith(
        "You can't record board decisions"
    )
    decided = submit(
        teams,
        {"actions": [{"data": {"golive": "decision_record", "ref": ref}}]},
        {"kind": "accept", "summary": "Accept it"},
        by=staff,
    )
    assert "You can't record board decisions" in str(decided)
    assert all_of(teams, Decision) == []

    card = click(teams, "control_complete", {"control": str(control_id)}, by=staff)
    assert card["body"][0]["text"].startswith("You can't update this control")
    assert control(teams, control_id).status == ControlStatus.PLANNED
    assert said(teams, "risks", staff)["text"].startswith("You can't")


def test_bad_input_gets_the_fields_message_and_nothing_is_written(teams: TeamsApp) -> None:
    lead, quality = teams.world.project_lead, teams.world.quality_lead
    on_teams(teams, quality)
    ref, control_id = a_risk(teams, owner=teams.world.manager)

    form = dialog_card(fetch(teams, {"golive": "risk_add"}, by=lead))
    again = dialog_card(
        submit(teams, form, {"title": " ", "category": "", "service": "organisation"}, by=lead)
    )
    assert error_beside(again, "title") == "The risk is required"
    assert error_beside(again, "category") == "Choose a category"
    assert again["body"][0]["text"] == "The risk is required"

    form = dialog_card(fetch(teams, {"golive": "risk_score", "ref": ref}, by=quality))
    again = dialog_card(
        submit(
            teams,
            form,
            {"likelihood": "3", "impact": "2", "reason": "x", "target_likelihood": "1"},
            by=quality,
        )
    )
    assert error_beside(again, "target_impact") == "A target needs both a likelihood and an impact"
    assert next(b for b in again["body"] if b.get("id") == "likelihood")["value"] == "3"

    typed = said(teams, f"control {control(teams, control_id).ref} delayed soon", lead)
    assert typed["text"] == "'soon' is not a date; write the new due date like 2026-12-10"
    unknown = said(teams, "risks colour:red", lead)
    assert unknown["text"].startswith("I don't know the filter 'colour:red'. Try: risks ")

    assert len(all_of(teams, Risk)) == 1
    assert all_of(teams, Risk)[0].score is None
    assert control(teams, control_id).status == ControlStatus.PLANNED


def test_the_project_lead_opens_a_checkpoint_and_reads_who_has_answered(
    teams: TeamsApp,
) -> None:
    lead, owner = teams.world.project_lead, teams.world.manager
    a_risk(teams, owner=owner)

    opened = said(teams, 'checkpoint "Wave 2 training complete"', lead)
    assert opened["text"].startswith("Checkpoint 1 Wave 2 training complete is open.")
    assert "asked 1 control owner for an update" in opened["text"]

    report = said(teams, "checkpoint report", lead)
    assert report["text"] == "Checkpoint Wave 2 training complete: 0 updated, 1 not yet"
    assert f"{owner.name}: 1 of 1 waiting" in str(content(report))
    refused = said(teams, "checkpoint Surprise", teams.world.staff)
    assert refused["text"].startswith("You can't open implementation checkpoints")


def test_project_lead_adds_a_control_and_escalates_the_risk_from_its_card(
    teams: TeamsApp,
) -> None:
    lead, owner = teams.world.project_lead, teams.world.team_leader
    ref, _ = a_risk(teams, owner=teams.world.manager)
    card = content(said(teams, f"risk {ref}", lead))

    form = dialog_card(fetch(teams, dialog_button(card, "Add control"), by=lead))
    done = closed_with(
        submit(
            teams,
            form,
            {"description": "Super-user on each night shift", "owner": str(owner.id)},
            by=lead,
        )
    )
    added = [c for c in all_of(teams, Control) if c.owner_id == owner.id]
    assert len(added) == 1 and done == f"{added[0].ref} is on {ref}."
    assert added[0].priority is False

    form = dialog_card(fetch(teams, dialog_button(card, "Change status"), by=lead))
    empty = dialog_card(submit(teams, form, {"status": "escalated", "note": ""}, by=lead))
    assert error_beside(empty, "note") == "The reason is required"
    done = closed_with(
        submit(teams, form, {"status": "escalated", "note": "Supplier missed the fix"}, by=lead)
    )
    assert done == f"{ref} is now escalated."
    assert all_of(teams, Risk)[0].status.value == "escalated"


def test_a_dialog_teams_sends_again_records_one_risk(teams: TeamsApp) -> None:
    lead = teams.world.project_lead
    value = {
        "data": {
            "golive": "risk_add",
            "title": "Agency staff have no logins",
            "category": "staffing_pressures",
            "service": "organisation",
        }
    }
    activity = teams.fake.invoke("task/submit", value, user=teams.user(lead))

    first, again = teams.send(activity), teams.send(activity)

    assert first.json() == again.json()
    assert closed_with(first.json()).startswith("R-")
    assert len(all_of(teams, Risk)) == 1


def test_an_ineffective_control_offers_a_rescore_or_another_control(teams: TeamsApp) -> None:
    owner = teams.world.manager
    ref, control_id = a_risk(teams, owner=owner)
    control_ref = control(teams, control_id).ref

    answer = said(teams, f'control {control_ref} ineffective "Sheets go missing"', owner)

    assert answer["text"] == (
        f"{control_ref} is now ineffective. Next: rescore {ref} or add another control."
    )
    titles = [a["title"] for a in content(answer)["actions"]]
    assert titles == [f"Rescore {ref}", "Add another control"]
    assert control(teams, control_id).status == ControlStatus.INEFFECTIVE


def test_complete_on_a_controls_own_card_answers_with_that_card(teams: TeamsApp) -> None:
    owner = teams.world.manager
    _, control_id = a_risk(teams, owner=owner)
    ref = control(teams, control_id).ref
    card = content(said(teams, f"control {ref}", owner))
    [complete] = [a for a in card["actions"] if a["title"] == "Complete"]

    shown = click(teams, complete["verb"], complete["data"], by=owner)

    assert shown["body"][0]["text"] == f"{ref} is now complete."
    assert "Complete" in shown["body"][1]["inlines"][0]["text"]
    assert "actions" not in shown
    assert control(teams, control_id).status == ControlStatus.COMPLETE


def test_project_lead_edits_a_risk_and_gives_its_control_a_new_owner(teams: TeamsApp) -> None:
    lead, leader = teams.world.project_lead, teams.world.team_leader
    ref, control_id = a_risk(teams, owner=teams.world.manager)
    card = content(said(teams, f"risk {ref}", lead))

    form = dialog_card(fetch(teams, dialog_button(card, "Edit"), by=lead))
    assert next(b for b in form["body"] if b.get("id") == "title")["value"].startswith("Night")
    done = closed_with(
        submit(
            teams,
            form,
            {"title": "Night staff locked out", "owner": str(leader.id), "description": ""},
            by=lead,
        )
    )
    assert done == f"{ref} is updated."
    [risk] = all_of(teams, Risk)
    assert (risk.title, risk.owner_id) == ("Night staff locked out", leader.id)

    form = dialog_card(fetch(teams, dialog_button(card, "Assign owner or due date"), by=lead))
    nobody = dialog_card(submit(teams, form, {"owner": "", "due_date": ""}, by=lead))
    assert error_beside(nobody, "owner") == "Choose an owner"
    done = closed_with(
        submit(teams, form, {"owner": str(leader.id), "due_date": "2026-12-20"}, by=lead)
    )
    assert done == f"{control(teams, control_id).ref} is now owned by {leader.name}."
    assert control(teams, control_id).owner_id == leader.id
    assert control(teams, control_id).due_date == date(2026, 12, 20)
