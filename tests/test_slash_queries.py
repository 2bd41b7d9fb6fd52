"""``/golive help | mine | status | issue | list``: private answers, each from the records as
they are now; anything unknown gets the help."""

import json
import re
from typing import Any

from sqlalchemy import text

from bot.ids import Triage
from tests.slackapp import SlackApp

Json = dict[str, Any]


def reply(slack: SlackApp) -> Json:
    sent = slack.replies()
    assert sent, "no reply was sent"
    assert sent[-1]["response_type"] == "ephemeral"
    return sent[-1]


def shown(answer: Json) -> str:
    return json.dumps([answer.get("text"), answer.get("blocks")])


def report(slack: SlackApp, **answers: Any) -> None:
    answers.setdefault("service_id", slack.world.oakwood.id)
    slack.report(user=slack.world.staff.slack_user_id, **answers)


def test_help_lists_every_subcommand(slack: SlackApp) -> None:
    slack.command("help", user=slack.world.staff.slack_user_id)
    text = reply(slack)["text"]
    for usage in ("/golive help", "/golive mine", "/golive status", "/golive issue GL-0042"):
        assert usage in text
    assert "/golive list" in text
    assert "report a go-live problem" in text


def test_unknown_text_gets_the_help(slack: SlackApp) -> None:
    slack.command("frobnicate <!channel>", user=slack.world.staff.slack_user_id)
    text = reply(slack)["text"]
    assert "I don't know `/golive frobnicate`" in text
    assert "<!channel>" not in text
    assert "/golive mine" in text


def test_unclosed_quote_is_explained(slack: SlackApp) -> None:
    slack.command('list service="Oakwood', user=slack.world.staff.slack_user_id)
    assert "quotes" in reply(slack)["text"]


def test_mine_shows_my_open_issues(slack: SlackApp) -> None:
    report(slack, description="Tablet on Rose unit won't sync")
    slack.command("mine", user=slack.world.staff.slack_user_id)
    answer = reply(slack)
    assert "GL-0001" in shown(answer)
    assert "Tablet on Rose unit" in shown(answer)
    slack.command("mine", user=slack.world.manager.slack_user_id)
    assert "GL-0001" not in shown(reply(slack))


def test_status_counts_by_status_category_and_service(slack: SlackApp) -> None:
    report(slack)
    report(slack, category="devices", service_id=slack.world.riverside.id)
    slack.command("status", user=slack.world.project_lead.slack_user_id)
    text = shown(reply(slack))
    assert "2 reported in all" in text
    assert "New: *2*" in text
    assert "Medication or eMAR: *1*" in text
    assert "Device or equipment: *1*" in text
    assert "Riverside Lodge: *1*" in text


def test_issue_shows_details_with_actions_only_for_triagers(slack: SlackApp) -> None:
    report(slack, description="Body map missing")
    slack.command("issue GL-0001", user=slack.world.team_leader.slack_user_id)
    leader_view = reply(slack)
    assert "Body map missing" in shown(leader_view)
    assert Triage.ASSIGN in shown(leader_view)
    slack.command("issue gl-1", user=slack.world.staff.slack_user_id)
    staff_view = reply(slack)
    assert "Body map missing" in shown(staff_view)
    assert Triage.ASSIGN not in shown(staff_view)


def test_issue_that_does_not_exist_is_explained(slack: SlackApp) -> None:
    slack.command("issue GL-0999", user=slack.world.staff.slack_user_id)
    assert "There is no issue GL-0999" in reply(slack)["text"]
    slack.command("issue", user=slack.world.staff.slack_user_id)
    assert "Which issue?" in reply(slack)["text"]


def test_list_filters_by_category_service_and_status(slack: SlackApp) -> None:
    report(slack, description="eMAR slow")
    report(
        slack, category="devices", description="Tablet dead", service_id=slack.world.riverside.id
    )
    user = slack.world.manager.slack_user_id
    slack.command('list service="Riverside Lodge"', user=user)
    text = shown(reply(slack))
    assert "GL-0002" in text and "GL-0001" not in text
    slack.command("list category=medication status=new open", user=user)
    text = shown(reply(slack))
    assert "GL-0001" in text and "GL-0002" not in text
    slack.command("list urgency=urgent", user=user)
    assert "No issues match" in shown(reply(slack))


def test_list_with_a_bad_filter_says_what_to_type(slack: SlackApp) -> None:
    user = slack.world.staff.slack_user_id
    slack.command("list colour=red", user=user)
    assert "There is no 'colour' filter" in reply(slack)["text"]
    slack.command("list status=lost", user=user)
    assert "'lost' is not one of" in reply(slack)["text"]
    slack.command("list service=nowhere", user=user)
    assert "No service called 'nowhere'" in reply(slack)["text"]


def test_answer_comes_as_a_direct_message_when_the_response_url_fails(slack: SlackApp) -> None:
    report(slack)
    user = slack.world.staff.slack_user_id
    slack.command("mine", user=user, response_url="http://127.0.0.1:9/gone")
    [dm] = [m for m in slack.fake.messages("D" + user) if "open go-live items" in m["text"]]
    assert "GL-0001" in json.dumps(dm["blocks"])


def test_unexpected_failure_says_nothing_was_saved_with_a_reference(slack: SlackApp) -> None:
    with slack.engine.begin() as connection:
        connection.execute(text("DROP TABLE control_update"))
        connection.execute(text("DROP TABLE control"))
    slack.command("mine", user=slack.world.staff.slack_user_id)
    answer = reply(slack)["text"]
    assert answer.startswith("Something went wrong and nothing was saved")
    assert re.search(r"quote reference [0-9a-f]{8}", answer)
    assert "control" not in answer.lower()
