"""Slack's sender leaves alone what only Teams can deliver: a message to someone golive knows
only from Teams, and a purpose routed to Teams alone, are marked skipped for Slack at once
with the reason, never retried against Slack until they die; Teams delivers them."""

from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.sender import OutboxSender
from store.infra.clock import FixedClock
from store.infra.db import session_scope
from store.records import channels, deliveries, issues, outbox, people
from store.records.actors import COMMAND_LINE
from store.records.enums import ChannelPurpose, Impact, IssueCategory, Role, Urgency, Workaround
from store.records.issues import IssueReport
from store.records.outbox import OutboxMessage
from tests.fakebotframework import SEND, TRIAGE_CONVERSATION
from tests.fakebotframework import Person as TeamsUser
from tests.fakeslack import FakeSlack
from tests.teamsapp import TeamsApp
from tests.test_teams_report import ANSWERS, card_of
from tests.world import TRIAGE_CHANNEL


def row(engine: Engine, key: str) -> OutboxMessage:
    with session_scope(engine, write=False) as session:
        found = outbox.by_key(session, key)
        assert found is not None
        return found


def test_a_confirmation_for_someone_only_on_teams_is_left_to_teams(teams: TeamsApp) -> None:
    stranger = TeamsUser("5b0a3f1c-2d4e-4f60-8a7b-9c0d1e2f3a4b", "Nia New")
    fetched = teams.send(
        teams.fake.invoke("task/fetch", {"data": {"golive": "report"}}, user=stranger)
    )
    hidden = card_of(fetched.json())["actions"][0]["data"]
    answers = {**ANSWERS, "service": str(teams.world.oakwood.id)}
    teams.send(teams.fake.invoke("task/submit", {"data": {**hidden, **answers}}, user=stranger))

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        sender = OutboxSender(teams.engine, client, teams.clock, min_interval=1.0)
        while sender.run_once() > 0:
            pass

        confirmation = row(teams.engine, "issue:GL-0001:confirmation")
        assert confirmation.status == "skipped"
        assert confirmation.user is not None
        assert confirmation.last_error == (
            f"skipped for Slack: {confirmation.user} is known only on Teams"
        )
        assert confirmation.attempts == 0
        opened = [c.args.get("users") for c in slack.calls("conversations.open")]
        assert confirmation.user not in opened
        assert row(teams.engine, "issue:GL-0001:triage").status == "sent"
        [triage] = slack.messages(TRIAGE_CHANNEL)
        assert triage["text"].startswith("GL-0001")

        teams.clock.advance(timedelta(hours=2))
        assert sender.run_once() == 0
        assert row(teams.engine, "issue:GL-0001:confirmation").status == "skipped"

    teams.deliver()
    with session_scope(teams.engine, write=False) as session:
        delivered = deliveries.statuses(session, face="teams")
    assert delivered["issue:GL-0001:confirmation"] == "sent"
    personal = [a for a in teams.fake.activities(SEND) if "your report is in" in str(a.body)]
    assert len(personal) == 1


def test_a_purpose_routed_to_teams_alone_is_never_posted_to_slack(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with session_scope(engine) as session:
        home = people.create_service(session, actor=COMMAND_LINE, name="Elm Court", now=now)
        channels.route_to_face(
            session, actor=COMMAND_LINE, purpose=ChannelPurpose.TRIAGE, face="teams", now=now
        )
        reporter = people.add_person(
            session, actor=COMMAND_LINE, slack_user_id="UREPORT1", name="Ria", service=home, now=now
        )
        leader = people.add_person(
            session, actor=COMMAND_LINE, slack_user_id="ULEAD001", name="Lee", service=home, now=now
        )
        people.grant_role(
            session, actor=COMMAND_LINE, person=leader, role=Role.TEAM_LEADER, service=home, now=now
        )
        issue, _ = issues.report_issue(
            session,
            reporter=reporter,
            report=IssueReport(
                service_id=home.id or 0,
                category=IssueCategory.DEVICES,
                description="Tablet in the lounge will not charge",
                impact=Impact.NONE,
                urgency=Urgency.LOW,
                workaround=Workaround.NONE,
            ),
            now=now,
        )
    with session_scope(engine) as session:
        issues.set_urgency(
            session,
            actor=people.get_person(session, "ULEAD001"),
            ref=issue.ref,
            urgency=Urgency.HIGH,
            now=now,
        )

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        sender = OutboxSender(engine, client, clock, min_interval=1.0)
        while sender.run_once() > 0:
            pass
        clock.advance(timedelta(seconds=5))
        while sender.run_once() > 0:
            pass

        posted_to = {c.args.get("channel") for c in slack.calls("chat.postMessage")}
        assert posted_to == {"DUREPORT1"}, "only the reporter's confirmation is Slack's"
        assert slack.calls("chat.update") == []
    triage = row(engine, f"issue:{issue.ref}:triage")
    assert triage.status == "skipped"
    assert triage.last_error == (
        "skipped for Slack: teams:triage is routed to another face, not a Slack channel"
    )
    with session_scope(engine, write=False) as session:
        follow_ups = [
            m for m in outbox.owed_after(session, 0) if triage.key in (m.thread_key, m.target_key)
        ]
    assert {m.status for m in follow_ups} == {"skipped"}
    assert len(follow_ups) == 2
    assert all("is not Slack's" in (m.last_error or "") for m in follow_ups)
    assert all(m.attempts == 0 for m in follow_ups)


def test_a_burst_reaches_slack_as_a_rollup_and_teams_as_a_card_each(teams: TeamsApp) -> None:
    refs = [teams.report(f"Scanner {n} will not pair") for n in range(3)]
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        sender = OutboxSender(teams.engine, client, teams.clock, min_interval=1.0)
        while sender.run_once() > 0:
            pass
        [rollup] = slack.messages(TRIAGE_CHANNEL)
        assert rollup["text"] == f"3 new go-live issues: {', '.join(refs)}"

    teams.deliver()
    cards = teams.fake.activities(SEND)
    triage_cards = [c for c in cards if c.conversation == TRIAGE_CONVERSATION]
    assert len(triage_cards) == 3
    with session_scope(teams.engine, write=False) as session:
        delivered = deliveries.statuses(session, face="teams")
    rollups = [key for key in delivered if key.startswith("issue_rollup:")]
    assert [delivered[key] for key in rollups] == ["skipped"]
