"""Slack and Teams against one database: a report made in Teams reaches Slack's triage channel
and Teams' alike, each face delivering each message once, and a triage action taken in Teams
refreshes the Slack post too."""

from slack_sdk import WebClient

from bot.sender import OutboxSender
from store.infra.db import session_scope
from store.records import deliveries, outbox
from tests.fakebotframework import SEND, TRIAGE_CONVERSATION, UPDATE
from tests.fakeslack import FakeSlack
from tests.teamsapp import TeamsApp
from tests.world import TRIAGE_CHANNEL


def test_both_faces_deliver_each_message_once(teams: TeamsApp) -> None:
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        slack_sender = OutboxSender(teams.engine, client, teams.clock, min_interval=0.0)
        ref = teams.report("Handheld scanner will not pair")

        for _ in range(3):
            slack_sender.run_once()
            teams.deliver()

        slack_posts = [
            c for c in slack.calls("chat.postMessage") if c.args.get("channel") == TRIAGE_CHANNEL
        ]
        assert len(slack_posts) == 1
        assert len(teams.fake.wait_for(SEND, conversation=TRIAGE_CONVERSATION)) == 1
        with session_scope(teams.engine, write=False) as session:
            assert outbox.by_key(session, f"issue:{ref}:triage").status == "sent"
            assert deliveries.statuses(session, face="teams")[f"issue:{ref}:triage"] == "sent"

        value = {
            "action": {
                "type": "Action.Execute",
                "verb": "triage_urgency",
                "data": {"ref": ref, "urgency": "high"},
            }
        }
        answer = teams.invoke("adaptiveCard/action", value, by=teams.world.team_leader)
        assert answer.status_code == 200
        for _ in range(3):
            slack_sender.run_once()
            teams.deliver()

        assert len(slack.calls("chat.update")) == 1
        assert "High" in str(slack.calls("chat.update")[0].args)
        assert len(teams.fake.wait_for(UPDATE)) == 1
