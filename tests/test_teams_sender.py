"""The Teams sender under Teams' failures: a 429 with Retry-After, a 5xx and a dropped
connection each delay a message, never lose or double it; and rows meant for Slack alone are
left to Slack."""

from datetime import timedelta

import pytest

from store.infra.db import session_scope
from store.records import deliveries, outbox
from store.records.enums import IssueCategory
from store.records.outbox import DEAD, Method, Notice
from tests.fakebotframework import SEND, TOKEN, TRIAGE_CONVERSATION
from tests.teamsapp import TeamsApp


def report(teams: TeamsApp) -> str:
    return teams.report("Care plan for room 4 missing", category=IssueCategory.RECORDS)


def triage_posts(teams: TeamsApp) -> list:
    return [
        s
        for s in teams.fake.activities(SEND)
        if s.conversation == TRIAGE_CONVERSATION and s.status < 300
    ]


def statuses(teams: TeamsApp) -> dict[str, str]:
    with session_scope(teams.engine, write=False) as session:
        return deliveries.statuses(session, face="teams")


@pytest.mark.parametrize("fault", ["429", "503", "dropped"])
def test_a_failed_post_is_sent_once_later(teams: TeamsApp, fault: str) -> None:
    if fault == "429":
        teams.fake.rate_limit(SEND, retry_after=30)
    elif fault == "503":
        teams.fake.fail(SEND, 503)
    else:
        teams.fake.drop(SEND)
    ref = report(teams)

    teams.deliver()
    assert triage_posts(teams) == []
    assert statuses(teams)[f"issue:{ref}:triage"] == "pending"

    teams.clock.advance(timedelta(seconds=31 if fault == "429" else 6))
    teams.deliver()
    teams.clock.advance(timedelta(seconds=31))
    teams.deliver()

    assert len(triage_posts(teams)) == 1
    delivered = statuses(teams)
    assert delivered[f"issue:{ref}:triage"] == "sent"
    assert delivered[f"issue:{ref}:confirmation"] == "sent"
    assert "pending" not in delivered.values()


def test_retry_after_is_honoured(teams: TeamsApp) -> None:
    teams.fake.rate_limit(SEND, retry_after=30)
    report(teams)
    teams.deliver()
    teams.clock.advance(timedelta(seconds=20))
    teams.deliver()
    assert triage_posts(teams) == []
    teams.clock.advance(timedelta(seconds=11))
    teams.deliver()
    assert len(triage_posts(teams)) == 1


def test_a_message_that_keeps_failing_is_left_dead_for_a_human(teams: TeamsApp) -> None:
    teams.fake.fail(SEND, 500, times=None)
    ref = report(teams)
    for _ in range(12):
        teams.deliver()
        teams.clock.advance(timedelta(hours=1))
    assert statuses(teams)[f"issue:{ref}:triage"] == DEAD


def test_a_token_endpoint_failure_delays_without_losing(teams: TeamsApp) -> None:
    teams.fake.fail(TOKEN, 503)
    report(teams)
    teams.deliver()
    assert triage_posts(teams) == []
    teams.clock.advance(timedelta(seconds=10))
    teams.deliver()
    assert len(triage_posts(teams)) == 1


def test_rows_with_no_teams_destination_are_left_to_slack(teams: TeamsApp) -> None:
    with session_scope(teams.engine) as session:
        outbox.enqueue(
            session,
            key="dm:someone-on-slack-only",
            method=Method.DM,
            notice=Notice.ISSUE_CHANGE,
            user=teams.world.board_member.slack_user_id,
            payload={"actor": "Ada", "summary": "did something"},
            now=teams.clock.now(),
        )
        outbox.enqueue(
            session,
            key="digest:somewhere",
            method=Method.POST,
            notice=Notice.DIGEST,
            channel="CELSEWHERE",
            payload={"text": "x"},
            now=teams.clock.now(),
        )
    teams.deliver()
    assert statuses(teams) == {"dm:someone-on-slack-only": "skipped", "digest:somewhere": "skipped"}
    assert teams.fake.activities() == []
    with session_scope(teams.engine, write=False) as session:
        # Slack's own delivery of the rows is untouched
        assert outbox.by_key(session, "dm:someone-on-slack-only").status == "pending"


def test_two_senders_deliver_each_row_once(teams: TeamsApp) -> None:
    from teams.sender import TeamsSender

    other = TeamsSender(teams.engine, teams.sender.connector, teams.clock, teams.settings)
    for _ in range(3):
        report(teams)
    import threading

    threads = [threading.Thread(target=s.run_once) for s in (teams.sender, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    teams.deliver()
    other.run_once()
    assert len(triage_posts(teams)) == 3


def test_posts_to_one_conversation_are_paced_and_others_are_not_held(teams: TeamsApp) -> None:
    from teams.sender import TeamsSender

    paced = TeamsSender(
        teams.engine,
        teams.sender.connector,
        teams.clock,
        teams.settings.model_copy(update={"pace_seconds": 60.0}),
    )
    first, second = report(teams), report(teams)
    paced.run_once()
    assert len(triage_posts(teams)) == 1
    delivered = statuses(teams)
    assert delivered[f"issue:{first}:triage"] == "sent"
    assert delivered[f"issue:{second}:triage"] == "pending"
    # the first confirmation, in the reporter's own chat, was not held behind the triage post;
    # the second, to that same chat a moment later, waits its turn
    assert delivered[f"issue:{first}:confirmation"] == "sent"
    assert delivered[f"issue:{second}:confirmation"] == "pending"
