"""The project's notices reach Teams too: a phase change and a board decision in the Teams
board channel, and a control's new owner in their personal chat."""

from datetime import timedelta

from store.infra.db import session_scope
from store.records import controls, decisions, issues, people, phases, risks
from store.records.enums import DecisionKind, Phase, RiskCategory, RiskScope
from tests.fakebotframework import BOARD_CONVERSATION, SEND
from tests.teamsapp import TeamsApp


def board_posts(teams: TeamsApp) -> list[dict]:
    teams.deliver()
    return [s.body for s in teams.fake.activities(SEND) if s.conversation == BOARD_CONVERSATION]


def test_the_board_channel_hears_of_a_phase_change(teams: TeamsApp) -> None:
    with session_scope(teams.engine) as session:
        lead = people.get_person(session, teams.world.project_lead.slack_user_id)
        phases.set_phase(
            session, actor=lead, phase=Phase.GO_LIVE, note="Oakwood first", now=teams.clock.now()
        )
    [post] = board_posts(teams)
    assert post["text"] == "The go-live project is now in go-live"
    assert "Pat Project" in str(post) and "Oakwood first" in str(post)


def test_the_board_channel_hears_of_a_decision_on_an_issue(teams: TeamsApp) -> None:
    ref = teams.report("Agency staff cannot log in")
    with session_scope(teams.engine) as session:
        board = people.get_person(session, teams.world.board_member.slack_user_id)
        decision = decisions.record_decision(
            session,
            actor=board,
            data=decisions.NewDecision(
                kind=DecisionKind.ESCALATE_TO_SUPPLIER,
                summary="Supplier to fix agency accounts this week",
                follow_up_date=teams.clock.now().date() + timedelta(days=7),
            ),
            issue=issues.get_issue(session, ref),
            now=teams.clock.now(),
        )
        session.flush()
        decisions.owe_board_notice(session, decision=decision, now=teams.clock.now())
    [post] = board_posts(teams)
    assert post["text"].startswith(f"Board decision on {ref}")
    assert "Supplier to fix agency accounts this week" in str(post)


def test_a_controls_new_owner_hears_in_their_personal_chat(teams: TeamsApp) -> None:
    with session_scope(teams.engine) as session:
        lead = people.get_person(session, teams.world.project_lead.slack_user_id)
        risk = risks.create_risk(
            session,
            actor=lead,
            data=risks.NewRisk(
                title="PRN history does not migrate",
                category=RiskCategory.DATA_MIGRATION,
                scope=RiskScope.ORGANISATION,
                owner_id=teams.world.manager.id,
            ),
            now=teams.clock.now(),
        )
        control = controls.add_control(
            session,
            actor=lead,
            risk=risk,
            description="Double-check MAR charts against paper",
            owner=people.get_person(session, teams.world.manager.slack_user_id),
            due_date=None,
            now=teams.clock.now(),
        )
        session.flush()
        controls.owe_assignment_notice(session, actor=lead, control=control, now=teams.clock.now())
    teams.deliver()
    chat = teams.fake.personal[teams.user(teams.world.manager).aad_id]
    said = [s.body for s in teams.fake.activities(SEND) if s.conversation == chat]
    assert any(b["text"].startswith("You own control C-") for b in said)
    assert "Double-check MAR charts against paper" in str(said)
