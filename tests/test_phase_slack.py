"""The project lead sets the phase in Slack; it is recorded with who and when, announced in
the board channel, and anyone can see the phase and its history."""

import json
from datetime import timedelta

from sqlmodel import select

from store.infra.db import session_scope
from store.records import phases
from store.records.enums import Phase
from store.records.models import AuditEvent
from tests.slackapp import SlackApp
from tests.world import BOARD_CHANNEL


def test_project_lead_moves_the_project_to_go_live_and_the_board_is_told(
    slack: SlackApp,
) -> None:
    lead = slack.world.project_lead.slack_user_id
    slack.command('phase go-live "Oakwood and Riverside live today"', user=lead)
    assert "now in *go-live*" in slack.last_reply()
    with session_scope(slack.engine) as session:
        change = phases.current(session)
        assert change is not None
        assert (change.phase, change.set_by_id, change.set_at) == (
            Phase.GO_LIVE,
            slack.world.project_lead.id,
            slack.clock.now(),
        )
        assert change.note == "Oakwood and Riverside live today"
        events = list(session.exec(select(AuditEvent).where(AuditEvent.entity == "phase_change")))
    assert {(e.field, e.new_value) for e in events} >= {("phase", "go_live")}
    assert {e.actor_name for e in events} == {"Pat Project"}

    assert slack.deliver() == 1
    [post] = slack.fake.messages(BOARD_CHANNEL)
    assert post["text"] == "The go-live project is now in go-live"
    assert f"<@{lead}>" in json.dumps(post["blocks"])


def test_everyone_sees_the_phase_and_its_history(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.command("phase", user=staff)
    assert "*pre-go-live* (not set yet)" in slack.last_reply()
    lead = slack.world.project_lead.slack_user_id
    slack.command("phase go-live", user=lead)
    slack.clock.advance(timedelta(days=21))
    slack.command("phase stabilisation", user=lead)
    slack.command("phase", user=staff)
    shown = slack.last_reply()
    assert shown.startswith("The project is in *stabilisation*.")
    assert shown.index("Go-live, set by") < shown.index("Stabilisation, set by")


def test_only_the_project_lead_sets_the_phase_and_only_to_a_real_phase(
    slack: SlackApp,
) -> None:
    slack.command("phase go-live", user=slack.world.quality_lead.slack_user_id)
    assert "You can't set the project phase" in slack.last_reply()
    lead = slack.world.project_lead.slack_user_id
    slack.command("phase launch", user=lead)
    assert "'launch' is not one of: pre-go-live, go-live" in slack.last_reply()
    slack.command("phase pre-go-live", user=lead)
    slack.command("phase pre-go-live", user=lead)
    assert "already in pre-go-live" in slack.last_reply()
    with session_scope(slack.engine) as session:
        assert [c.phase for c in phases.history(session)] == [Phase.PRE_GO_LIVE]
    assert slack.deliver() == 1
