"""Reporting from Microsoft Teams, through golive's real messaging endpoint with activities
signed as Bot Framework signs them, and the outbox delivered by the real Teams sender."""

from typing import Any

from sqlmodel import select

from store.infra.db import session_scope
from store.records.enums import IssueSource, IssueStatus
from store.records.models import Issue
from tests.fakebotframework import CREATE, SEND, TRIAGE_CONVERSATION
from tests.teamsapp import TeamsApp

Json = dict[str, Any]
ANSWERS = {
    "category": "medication",
    "description": "eMAR shows no morning round for room 12",
    "impact": "safe_care",
    "urgency": "high",
    "workaround": "safe",
    "workaround_detail": "",
}


def issues_in(teams: TeamsApp) -> list[Issue]:
    with session_scope(teams.engine, write=False) as session:
        found = list(session.exec(select(Issue)))
        session.expunge_all()
        return found


def card_of(answer: Json) -> Json:
    return answer["task"]["value"]["card"]["content"]


def inputs_of(card: Json) -> dict[str, Json]:
    return {block["id"]: block for block in card["body"] if str(block["type"]).startswith("Input.")}


def texts_of(card: Json) -> list[str]:
    return [block.get("text", "") for block in card["body"] if block["type"] == "TextBlock"]


def open_dialog(teams: TeamsApp, by: Any) -> Json:
    answer = teams.invoke("task/fetch", {"data": {"golive": "report"}}, by=by)
    assert answer.status_code == 200
    return card_of(answer.json())


def submit(
    teams: TeamsApp, card: Json, answers: Json, *, by: Any, name: str = "task/submit"
) -> Json:
    hidden = card["actions"][0]["data"]
    answer = teams.invoke(name, {"data": {**hidden, **answers}}, by=by)
    assert answer.status_code == 200
    return answer.json()


def test_staff_type_report_and_get_the_report_button(teams: TeamsApp) -> None:
    staff = teams.user(teams.world.staff)
    answer = teams.send(teams.fake.message("<at>golive</at> report", user=staff))
    assert answer.status_code == 200
    sent = teams.fake.wait_for(SEND)[0]
    assert sent.conversation == "a:personal"
    button = sent.body["attachments"][0]["content"]["actions"][0]
    assert button["data"]["msteams"] == {"type": "task/fetch"}
    assert button["data"]["golive"] == "report"


def test_staff_report_an_issue_from_the_teams_dialog(teams: TeamsApp) -> None:
    card = open_dialog(teams, teams.world.staff)
    fields = inputs_of(card)
    assert list(fields) == [
        "service",
        "category",
        "description",
        "impact",
        "urgency",
        "workaround",
        "workaround_detail",
    ]
    assert fields["service"]["value"] == str(teams.world.oakwood.id)
    answers = {**ANSWERS, "service": fields["service"]["value"]}

    done = submit(teams, card, answers, by=teams.world.staff)

    assert done == {"task": {"type": "message", "value": "Thanks, your report is in: GL-0001."}}
    [issue] = issues_in(teams)
    assert issue.reporter_id == teams.world.staff.id
    assert issue.source == IssueSource.SLASH_COMMAND
    assert issue.status == IssueStatus.NEW

    teams.deliver()
    triage = teams.fake.wait_for(SEND, conversation=TRIAGE_CONVERSATION)
    assert len(triage) == 1
    card_text = str(triage[0].body)
    assert "GL-0001" in card_text and "eMAR shows no morning round for room 12" in card_text
    chats = teams.fake.wait_for(CREATE)
    assert chats[0].body["members"] == [{"id": teams.user(teams.world.staff).aad_id}]
    personal = {s.conversation for s in teams.fake.activities(SEND)} - {TRIAGE_CONVERSATION}
    # the reporter's confirmation, and the safe-care alert to the manager and project lead
    assert len(personal) == 3


def test_a_report_with_missing_answers_comes_back_with_the_slack_modals_words(
    teams: TeamsApp,
) -> None:
    card = open_dialog(teams, teams.world.staff)
    answers = {
        **ANSWERS,
        "service": str(teams.world.oakwood.id),
        "description": "  ",
        "workaround": "unsafe",
        "category": "",
    }

    again = submit(teams, card, answers, by=teams.world.staff)

    shown = card_of(again)
    errors = texts_of(shown)
    assert "What happened is required" in errors
    assert "Choose what kind of problem" in errors
    assert "Say what the unsafe workaround is, so a manager can put a control in place" in errors
    assert inputs_of(shown)["impact"]["value"] == "safe_care"
    assert issues_in(teams) == []


def test_a_submit_sent_twice_records_one_issue(teams: TeamsApp) -> None:
    card = open_dialog(teams, teams.world.staff)
    answers = {**ANSWERS, "service": str(teams.world.oakwood.id)}
    first = submit(teams, card, answers, by=teams.world.staff)
    second = submit(teams, card, answers, by=teams.world.staff)
    assert first == second
    assert len(issues_in(teams)) == 1
    teams.deliver()
    teams.deliver()
    assert len(teams.fake.activities(SEND)) == len(
        {(s.conversation, str(s.body)) for s in teams.fake.activities(SEND)}
    )
    assert (
        len([s for s in teams.fake.activities(SEND) if s.conversation == TRIAGE_CONVERSATION]) == 1
    )


def test_staff_report_a_message_with_the_message_extension(teams: TeamsApp) -> None:
    link = "https://teams.microsoft.com/l/message/19:abc@thread.tacv2/1700000000000"
    payload = {
        "commandId": "reportIssue",
        "commandContext": "message",
        "messagePayload": {
            "id": "1700000000000",
            "body": {
                "contentType": "html",
                "content": "<p>Can&#39;t log in on the <b>tablet</b></p>",
            },
            "linkToMessage": link,
        },
    }
    answer = teams.invoke("composeExtension/fetchTask", payload, by=teams.world.staff)
    card = card_of(answer.json())
    assert inputs_of(card)["description"]["value"] == "Can't log in on the tablet"
    assert any(link in text for text in texts_of(card))

    answers = {**ANSWERS, "service": str(teams.world.oakwood.id), "description": "Can't log in"}
    done = submit(teams, card, answers, by=teams.world.staff, name="composeExtension/submitAction")

    assert done == {}
    [issue] = issues_in(teams)
    assert issue.source == IssueSource.MESSAGE_SHORTCUT
    assert issue.source_permalink == link


def test_golive_welcomes_a_team_it_is_added_to(teams: TeamsApp) -> None:
    added = teams.fake.activity(
        "conversationUpdate",
        user=teams.user(teams.world.manager),
        conversation="19:general@thread.tacv2",
        conversation_type="channel",
        membersAdded=[{"id": f"28:{teams.settings.app_id}"}],
    )
    assert teams.send(added).status_code == 200
    [welcome] = teams.fake.wait_for(SEND)
    assert welcome.conversation == "19:general@thread.tacv2"
    assert welcome.body["attachments"][0]["content"]["actions"][0]["data"]["golive"] == "report"


def test_someone_new_on_teams_reports_as_a_person_of_their_own(teams: TeamsApp) -> None:
    from tests.fakebotframework import Person as TeamsUser

    stranger = TeamsUser("5b0a3f1c-2d4e-4f60-8a7b-9c0d1e2f3a4b", "Nia New")
    fetched = teams.send(
        teams.fake.invoke("task/fetch", {"data": {"golive": "report"}}, user=stranger)
    )
    card = card_of(fetched.json())
    hidden = card["actions"][0]["data"]
    answers = {**ANSWERS, "service": str(teams.world.oakwood.id)}
    teams.send(teams.fake.invoke("task/submit", {"data": {**hidden, **answers}}, user=stranger))
    [issue] = issues_in(teams)
    with session_scope(teams.engine, write=False) as session:
        from store.records import people

        person = people.find_teams_person(session, stranger.aad_id)
        assert person is not None and person.name == "Nia New"
        assert issue.reporter_id == person.id
