"""Staff report go-live problems: /golive or the message shortcut, one short form, and a
confirmation with the reference; the issue lands in the triage channel and, when it matters
for safe care, with the registered manager and the project lead at once."""

import json
import re
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import select

from bot.ids import Report
from bot.views.issues import report_modal
from store.infra.db import session_scope
from store.records.enums import IssueSource
from store.records.models import AuditEvent, Issue, OutboxMessage, Person
from tests.slackapp import SlackApp, report_values
from tests.world import TRIAGE_CHANNEL


def issues_in(slack: SlackApp) -> list[Issue]:
    with session_scope(slack.engine) as session:
        return list(session.exec(select(Issue).order_by(Issue.number)))


def person(slack: SlackApp, user_id: str) -> Person | None:
    with session_scope(slack.engine) as session:
        return session.exec(select(Person).where(Person.slack_user_id == user_id)).first()


def dm(slack: SlackApp, user_id: str) -> list[dict]:
    return slack.fake.messages("D" + user_id)


def test_staff_reports_issue_with_golive_and_gets_confirmation(slack: SlackApp) -> None:
    staff = slack.world.staff
    response = slack.command("", user=staff.slack_user_id)
    assert response.status == 200
    assert response.body == ""

    modal = slack.opened_view()
    assert modal["callback_id"] == Report.MODAL
    service_select = next(b for b in modal["blocks"] if b.get("block_id") == Report.SERVICE)
    assert service_select["element"]["initial_option"]["value"] == str(slack.world.oakwood.id)

    answer = slack.submit(
        modal, report_values(service_id=slack.world.oakwood.id), user=staff.slack_user_id
    )
    assert answer.status == 200
    assert answer.body == ""

    [issue] = issues_in(slack)
    assert issue.ref == "GL-0001"
    assert issue.source == IssueSource.SLASH_COMMAND
    assert issue.description == "eMAR would not load for the 8am round"

    assert slack.deliver() == 2
    [triage] = slack.fake.messages(TRIAGE_CHANNEL)
    assert "GL-0001" in triage["text"]
    assert any(b.get("type") == "actions" for b in triage["blocks"])
    [confirmation] = dm(slack, staff.slack_user_id)
    assert "GL-0001" in confirmation["text"]
    assert "triage channel" in json.dumps(confirmation["blocks"])
    assert dm(slack, slack.world.manager.slack_user_id) == []


def test_urgent_report_alerts_service_manager_and_project_lead_at_once(slack: SlackApp) -> None:
    world = slack.world
    slack.report(
        user=world.staff.slack_user_id,
        service_id=world.oakwood.id,
        impact="safe_care",
        urgency="urgent",
        workaround="unsafe",
        workaround_detail="Writing doses on paper with no second check",
    )
    assert slack.deliver() == 4
    for who in (world.manager, world.project_lead):
        [alert] = dm(slack, who.slack_user_id)
        assert "GL-0001" in alert["text"]
        shown = json.dumps(alert["blocks"])
        assert "it is urgent" in shown
        assert "unsafe workaround" in shown
    assert dm(slack, world.other_manager.slack_user_id) == []
    [confirmation] = dm(slack, world.staff.slack_user_id)
    assert "project lead have been messaged" in json.dumps(confirmation["blocks"])


def test_staff_reports_issue_from_message_shortcut_keeping_permalink(slack: SlackApp) -> None:
    staff = slack.world.staff
    original = slack.fake.add_message("C0WARD", "Can't log in to the tablet on Rose unit")
    slack.shortcut(Report.SHORTCUT, user=staff.slack_user_id, channel_id="C0WARD", message=original)
    modal = slack.opened_view()
    description = next(b for b in modal["blocks"] if b.get("block_id") == Report.DESCRIPTION)
    assert description["element"]["initial_value"] == "Can't log in to the tablet on Rose unit"
    slack.fake.last("chat.getPermalink")

    values = report_values(
        service_id=slack.world.oakwood.id,
        category="login_access",
        description=description["element"]["initial_value"],
    )
    assert slack.submit(modal, values, user=staff.slack_user_id).status == 200
    [issue] = issues_in(slack)
    assert issue.source == IssueSource.MESSAGE_SHORTCUT
    expected = f"https://example.slack.com/archives/C0WARD/p{original['ts'].replace('.', '')}"
    assert issue.source_permalink == expected
    slack.deliver()
    [triage] = slack.fake.messages(TRIAGE_CHANNEL)
    assert expected in json.dumps(triage["blocks"])


def test_shortcut_still_reports_when_slack_cannot_give_the_permalink(slack: SlackApp) -> None:
    staff = slack.world.staff
    slack.fake.fail("chat.getPermalink", "message_not_found")
    slack.shortcut(Report.SHORTCUT, "Printer offline", user=staff.slack_user_id)
    modal = slack.opened_view()
    assert "could not give its link" in json.dumps(modal["blocks"])
    values = report_values(service_id=slack.world.oakwood.id, description="Printer offline")
    assert slack.submit(modal, values, user=staff.slack_user_id).status == 200
    [issue] = issues_in(slack)
    assert issue.source == IssueSource.MESSAGE_SHORTCUT
    assert issue.source_permalink is None


def test_report_without_what_happened_comes_back_beside_the_field(slack: SlackApp) -> None:
    staff = slack.world.staff
    slack.command("", user=staff.slack_user_id)
    values = report_values(service_id=None, category=None, description="   ", impact=None)
    answer = slack.submit(slack.opened_view(), values, user=staff.slack_user_id)
    assert answer.status == 200
    body = answer.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {
        Report.SERVICE,
        Report.CATEGORY,
        Report.DESCRIPTION,
        Report.IMPACT,
    }
    assert "What happened is required" in body["errors"][Report.DESCRIPTION]
    assert issues_in(slack) == []


def test_unsafe_workaround_needs_saying_what_it_is(slack: SlackApp) -> None:
    staff = slack.world.staff
    slack.command("", user=staff.slack_user_id)
    values = report_values(service_id=slack.world.oakwood.id, workaround="unsafe")
    answer = slack.submit(slack.opened_view(), values, user=staff.slack_user_id)
    assert list(answer.json()["errors"]) == [Report.WORKAROUND_DETAIL]
    assert issues_in(slack) == []


def test_store_rule_failure_is_shown_beside_its_field(slack: SlackApp) -> None:
    staff = slack.world.staff
    slack.command("", user=staff.slack_user_id)
    values = report_values(service_id=slack.world.oakwood.id, description="x" * 3001)
    answer = slack.submit(slack.opened_view(), values, user=staff.slack_user_id)
    errors = answer.json()["errors"]
    assert list(errors) == [Report.DESCRIPTION]
    assert "3,000" in errors[Report.DESCRIPTION]
    assert issues_in(slack) == []


def test_report_for_a_service_that_no_longer_exists_is_refused_beside_service(
    slack: SlackApp,
) -> None:
    staff = slack.world.staff
    slack.command("", user=staff.slack_user_id)
    values = report_values(service_id=9999)
    answer = slack.submit(slack.opened_view(), values, user=staff.slack_user_id)
    assert answer.json() == {
        "response_action": "errors",
        "errors": {Report.SERVICE: "Choose the service where this happened"},
    }


def test_double_submitted_report_is_recorded_once(slack: SlackApp) -> None:
    staff = slack.world.staff
    slack.command("", user=staff.slack_user_id)
    modal = slack.opened_view()
    values = report_values(service_id=slack.world.oakwood.id)
    assert slack.submit(modal, values, user=staff.slack_user_id).status == 200
    assert slack.submit(modal, values, user=staff.slack_user_id).status == 200
    assert len(issues_in(slack)) == 1
    assert slack.deliver() == 2
    with session_scope(slack.engine) as session:
        created = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "issue", AuditEvent.action == "created")
        ).all()
        assert {e.entity_ref for e in created} == {"GL-0001"}
        assert len(session.exec(select(OutboxMessage)).all()) == 2


def test_report_text_cannot_ping_the_channel_or_forge_links(slack: SlackApp) -> None:
    staff = slack.world.staff
    slack.report(
        user=staff.slack_user_id,
        service_id=slack.world.oakwood.id,
        description="<!channel> see <https://evil.example|the fix> & <@UADMIN01>",
    )
    slack.deliver()
    [triage] = slack.fake.messages(TRIAGE_CHANNEL)
    shown = json.dumps([triage["text"], triage["blocks"]])
    assert "<!channel>" not in shown
    assert "<https://evil.example" not in shown
    assert "&lt;!channel&gt;" in shown
    assert "&amp;" in shown


def test_first_time_reporter_is_named_from_slack(slack: SlackApp) -> None:
    slack.fake.users["U0NEW001"] = {"real_name": "Nia Newstarter"}
    slack.command("", user="U0NEW001")
    assert slack.fake.last("users.info").args["user"] == "U0NEW001"
    modal = slack.opened_view()
    service_select = next(b for b in modal["blocks"] if b.get("block_id") == Report.SERVICE)
    assert "initial_option" not in service_select["element"]
    found = person(slack, "U0NEW001")
    assert found is not None and found.name == "Nia Newstarter"
    values = report_values(service_id=slack.world.riverside.id)
    assert slack.submit(modal, values, user="U0NEW001").status == 200
    [issue] = issues_in(slack)
    assert issue.reporter_id == found.id


def test_reporter_unknown_to_slack_is_recorded_by_user_id(slack: SlackApp) -> None:
    slack.fake.fail("users.info", "user_not_found")
    slack.command("", user="U0GHOST1")
    found = person(slack, "U0GHOST1")
    assert found is not None and found.name == "U0GHOST1"
    assert slack.opened_view()["callback_id"] == Report.MODAL


def test_reporter_told_when_slack_will_not_open_the_form(slack: SlackApp) -> None:
    slack.fake.fail("views.open", "expired_trigger_id")
    slack.command("", user=slack.world.staff.slack_user_id)
    assert "expired_trigger_id" in slack.last_reply()
    assert "nothing changed" in slack.last_reply()
    assert issues_in(slack) == []


def test_report_form_says_so_when_no_service_is_set_up() -> None:
    modal = report_modal([], default_service_id=None)
    assert "submit" not in modal
    assert "No services are set up" in json.dumps(modal["blocks"])


def test_confirmation_waits_and_retries_when_slack_refuses_the_dm(slack: SlackApp) -> None:
    staff = slack.world.staff
    slack.report(user=staff.slack_user_id, service_id=slack.world.oakwood.id)
    slack.fake.fail("conversations.open", "ratelimited_internal")
    assert slack.deliver() == 1
    assert dm(slack, staff.slack_user_id) == []
    with session_scope(slack.engine) as session:
        row = session.exec(
            select(OutboxMessage).where(OutboxMessage.key == "issue:GL-0001:confirmation")
        ).one()
        assert row.status == "pending"
        assert row.last_error == "ratelimited_internal"
    slack.clock.advance(timedelta(minutes=1))
    assert slack.deliver() == 1
    assert len(dm(slack, staff.slack_user_id)) == 1


def test_unexpected_failure_tells_reporter_nothing_was_saved(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.command("", user=staff)
    modal = slack.opened_view()
    with slack.engine.begin() as connection:
        connection.execute(text("DROP TABLE inbound_key"))
    answer = slack.submit(modal, report_values(service_id=slack.world.oakwood.id), user=staff)
    assert answer.status == 200
    body = answer.json()
    assert body["response_action"] == "push"
    shown = json.dumps(body["view"])
    assert "nothing was saved" in shown
    assert "Traceback" not in shown and "inbound_key" not in shown
    assert issues_in(slack) == []


def test_long_report_is_shown_within_slack_limits(slack: SlackApp) -> None:
    slack.report(
        user=slack.world.staff.slack_user_id,
        service_id=slack.world.oakwood.id,
        description="<&>" * 1000,
        workaround="unsafe",
        workaround_detail="&" * 3000,
    )
    slack.deliver()
    [triage] = slack.fake.messages(TRIAGE_CHANNEL)
    assert len(triage["blocks"]) <= 50
    for block in triage["blocks"]:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
            assert "&" not in re.sub(r"&(amp|lt|gt);", "", block["text"]["text"])
    assert "…" in json.dumps(triage["blocks"], ensure_ascii=False)


def test_golive_report_opens_the_same_form(slack: SlackApp) -> None:
    slack.command("report", user=slack.world.staff.slack_user_id)
    assert slack.opened_view()["callback_id"] == Report.MODAL
