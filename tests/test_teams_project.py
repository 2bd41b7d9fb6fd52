"""The project at a glance from Teams: the project lead sets the phase by typing ``phase
go-live``, anyone sees it with ``phase``, ``status`` counts the issues and ``list`` filters
them with the same words as Slack's ``/golive list``; each through signed activities to the
real Teams app, answered in the chat it was typed in."""

from typing import Any

from sqlmodel import select

from store.infra.db import session_scope
from store.records import issues, people, phases
from store.records.enums import Phase, Urgency
from store.records.models import AuditEvent, PhaseChange
from tests.fakebotframework import BOARD_CONVERSATION, SEND
from tests.teamsapp import TeamsApp

Json = dict[str, Any]


def said(teams: TeamsApp, text: str, by: Any) -> Json:
    """What golive answered to ``text`` typed by ``by`` in their personal chat."""
    before = len(teams.fake.activities(SEND))
    assert teams.send(teams.fake.message(text, user=teams.user(by))).status_code == 200
    return teams.fake.wait_for(SEND, before + 1)[-1].body


def card_text(answer: Json) -> str:
    return str(answer["attachments"][0]["content"])


def phase_changes(teams: TeamsApp) -> list[PhaseChange]:
    with session_scope(teams.engine, write=False) as session:
        found = list(session.exec(select(PhaseChange)))
        for change in found:
            session.expunge(change)
        return found


def board_posts(teams: TeamsApp) -> list[Json]:
    teams.deliver()
    return [s.body for s in teams.fake.activities(SEND) if s.conversation == BOARD_CONVERSATION]


def test_the_project_lead_sets_the_phase_from_teams_and_the_board_is_told(
    teams: TeamsApp,
) -> None:
    lead = teams.world.project_lead

    answer = said(teams, "<at>golive</at> phase go-live Oakwood and Riverside first", lead)

    assert answer["text"] == "The project is now in go-live; the board channel is told."
    [change] = phase_changes(teams)
    assert change.phase == Phase.GO_LIVE
    assert change.set_by_id == lead.id
    assert change.note == "Oakwood and Riverside first"
    with session_scope(teams.engine, write=False) as session:
        assert phases.current_phase(session) == Phase.GO_LIVE
        trail = session.exec(select(AuditEvent).where(AuditEvent.entity_id == change.id))
        assert {event.actor_id for event in trail if "phase" in event.entity} == {lead.id}
    [post] = board_posts(teams)
    assert post["text"] == "The go-live project is now in go-live"

    shown = said(teams, "phase", teams.world.staff)
    assert shown["text"] == "The project is in go-live."
    assert "Go-live, set by Pat Project" in card_text(shown)


def test_before_anyone_sets_it_phase_says_how(teams: TeamsApp) -> None:
    answer = said(teams, "phase", teams.world.staff)
    assert answer["text"] == (
        "The project is in pre-go-live (not set yet). Set it with phase PHASE: "
        "pre_go_live, go_live, stabilisation, post_implementation.".replace("_", "-")
    )


def test_staff_cannot_set_the_phase_and_nothing_is_written(teams: TeamsApp) -> None:
    answer = said(teams, "phase go-live", teams.world.staff)

    assert answer["text"].startswith("You can't ")
    assert "Project lead" in answer["text"]
    assert phase_changes(teams) == []
    assert board_posts(teams) == []


def test_a_phase_golive_does_not_know_is_refused_with_the_phases_it_does(
    teams: TeamsApp,
) -> None:
    answer = said(teams, "phase launch", teams.world.project_lead)

    assert answer["text"] == (
        "'launch' is not one of: pre-go-live, go-live, stabilisation, post-implementation"
    )
    assert phase_changes(teams) == []


def close_issue(teams: TeamsApp, ref: str) -> None:
    now = teams.clock.now()
    with session_scope(teams.engine) as session:
        manager = people.get_person(session, teams.world.manager.slack_user_id)
        issues.set_correction(
            session, actor=manager, ref=ref, action="Replaced the charger", due=None, now=now
        )
        issues.resolve(session, actor=manager, ref=ref, now=now)
        issues.close(session, actor=manager, ref=ref, evidence="Charged all week", now=now)


def test_list_open_urgent_issues_shows_only_those(teams: TeamsApp) -> None:
    urgent = teams.report("eMAR will not open on the unit tablet", urgency=Urgency.URGENT)
    low = teams.report("Font too small on the care plan page")
    closed = teams.report("Night checks not saving", urgency=Urgency.URGENT)
    close_issue(teams, closed)

    answer = said(teams, "list open urgency=urgent", teams.world.team_leader)

    assert answer["text"] == "1 issues"
    shown = card_text(answer)
    assert urgent in shown and "eMAR will not open on the unit tablet" in shown
    assert low not in shown and closed not in shown

    every_urgent = said(teams, "list urgency=urgent", teams.world.team_leader)
    assert every_urgent["text"] == "2 issues"
    assert closed in card_text(every_urgent)


def test_list_words_it_does_not_understand_get_the_usage_as_on_slack(teams: TeamsApp) -> None:
    teams.report("eMAR will not open on the unit tablet", urgency=Urgency.URGENT)
    usage = (
        "list [open] [mine] [status=new] [category=medication] [service=oakwood-house] "
        "[urgency=urgent]"
    )

    bare = said(teams, "list open urgent", teams.world.team_leader)
    assert bare["text"] == f"I don't understand 'urgent'. Try: {usage}"
    unknown = said(teams, "list colour=red", teams.world.team_leader)
    assert unknown["text"] == f"There is no 'colour' filter. Try: {usage}"
    wrong = said(teams, "list urgency=soon", teams.world.team_leader)
    assert wrong["text"] == "urgency: 'soon' is not one of: low, medium, high, urgent"
    nobody = said(teams, "list mine", teams.world.team_leader)
    assert nobody["text"] == "No issues match."


def test_status_counts_the_issues_by_status_category_and_service(teams: TeamsApp) -> None:
    teams.report("eMAR will not open on the unit tablet", urgency=Urgency.URGENT)
    teams.report("Font too small on the care plan page")

    answer = said(teams, "status", teams.world.manager)

    assert answer["text"] == "Go-live issue counts"
    content = answer["attachments"][0]["content"]
    assert "2 reported in all. **By status**" in str(content)
    [by_status, by_category, by_service] = [b for b in content["body"] if b["type"] == "FactSet"]
    assert {"title": "New", "value": "2"} in by_status["facts"]
    assert by_category["facts"] == [{"title": "Device or equipment", "value": "2"}]
    assert by_service["facts"] == [{"title": teams.world.oakwood.name, "value": "2"}]
    assert "**Services side by side**" in str(content)
    assert f"{teams.world.oakwood.name} · " in str(content) and "1 urgent open" in str(content)
