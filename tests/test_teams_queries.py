"""Typed commands in Teams, in the words of ``/golive help``: ``mine``, ``issue GL-0042`` and
``help``, answered in the chat they were typed in."""

from tests.fakebotframework import SEND
from tests.teamsapp import TeamsApp


def said(teams: TeamsApp, text: str, by: object) -> dict:
    before = len(teams.fake.activities(SEND))
    assert teams.send(teams.fake.message(text, user=teams.user(by))).status_code == 200
    return teams.fake.wait_for(SEND, before + 1)[-1].body


def test_staff_see_the_issues_they_reported_with_mine(teams: TeamsApp) -> None:
    ref = teams.report("Night checks not saving")
    answer = said(teams, "mine", teams.world.staff)
    assert answer["text"] == "You have 1 open go-live items"
    assert ref in str(answer) and "Night checks not saving" in str(answer)


def test_a_team_leader_gets_the_triage_actions_with_issue_and_staff_do_not(
    teams: TeamsApp,
) -> None:
    ref = teams.report("Night checks not saving")
    leader = said(teams, f"<at>golive</at> issue {ref}", teams.world.team_leader)
    titles = [a["title"] for a in leader["attachments"][0]["content"].get("actions", [])]
    assert "Assign owner" in titles and "Resolve" in titles
    staff = said(teams, f"issue {ref}", teams.world.staff)
    assert "actions" not in staff["attachments"][0]["content"]
    missing = said(teams, "issue GL-9999", teams.world.staff)
    assert missing["text"] == "There is no issue GL-9999"


def test_words_golive_does_not_know_get_the_list_of_what_it_does(teams: TeamsApp) -> None:
    answer = said(teams, "weather tomorrow", teams.world.staff)
    assert "does not know “weather tomorrow”" in answer["text"]
    assert "**mine**" in str(answer) and "**issue GL-0042**" in str(answer)
