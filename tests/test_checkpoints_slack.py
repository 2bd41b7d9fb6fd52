"""After each implementation checkpoint, risk owners update the register: the project lead
opens the checkpoint, every owner of open controls gets one direct message with buttons per
control, and the report shows who has updated, what changed, and who has not."""

import json
from datetime import timedelta

from sqlmodel import select

from bot.ids import ControlIds
from store.infra.db import session_scope
from store.records import controls
from store.records.enums import ControlStatus
from store.records.models import ControlUpdate
from tests.risk_helpers import answers, new_risk, opened, trail
from tests.slack_requests import datepicker, plain_text_input, radio_buttons
from tests.slackapp import SlackApp


def setup_register(slack: SlackApp) -> None:
    new_risk(slack, controls=("Print login cards", "Supplier resets on call"))
    new_risk(
        slack,
        title="Tablets not charged",
        owner=slack.world.quality_lead,
        controls=("Charging rota on each floor",),
    )


def buttons(message: dict) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e["value"])
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_project_lead_opens_a_checkpoint_and_each_owner_is_asked_once(slack: SlackApp) -> None:
    setup_register(slack)
    slack.command(
        'checkpoint "Wave 2 training complete"', user=slack.world.project_lead.slack_user_id
    )
    assert "Wave 2 training complete" in slack.last_reply()
    assert "asked 2 control owners" in slack.last_reply()
    assert [e.action for e in trail(slack, "checkpoint#1")][:1] == ["created"]

    assert slack.deliver() == 2
    assert slack.deliver() == 0
    [to_manager] = slack.fake.messages("D" + slack.world.manager.slack_user_id)
    [to_quality] = slack.fake.messages("D" + slack.world.quality_lead.slack_user_id)
    assert "Checkpoint: Wave 2 training complete" in to_manager["text"]
    assert buttons(to_manager) == [
        (ControlIds.COMPLETE, "1:1"),
        (ControlIds.DELAYED, "1:1"),
        (ControlIds.INEFFECTIVE, "1:1"),
        (ControlIds.COMPLETE, "2:1"),
        (ControlIds.DELAYED, "2:1"),
        (ControlIds.INEFFECTIVE, "2:1"),
    ]
    assert [v for _, v in buttons(to_quality)] == ["3:1"] * 3


def test_owners_answer_from_the_message_and_the_report_shows_who_has_not(
    slack: SlackApp,
) -> None:
    setup_register(slack)
    slack.command('checkpoint "Wave 2 live"', user=slack.world.project_lead.slack_user_id)
    slack.deliver()
    manager = slack.world.manager.slack_user_id
    [message] = slack.fake.messages("D" + manager)

    slack.action(
        ControlIds.COMPLETE, "1:1", user=manager, message=message, channel_id="D" + manager
    )
    [redrawn] = slack.fake.messages("D" + manager)
    assert [v for _, v in buttons(redrawn)] == ["2:1"] * 3

    slack.action(ControlIds.DELAYED, "2:1", user=manager, message=redrawn, channel_id="D" + manager)
    modal = opened(slack)
    later = slack.clock.now().date() + timedelta(days=7)
    slack.submit(
        modal,
        answers(
            **{
                ControlIds.STATUS: radio_buttons("delayed"),
                ControlIds.DUE_DATE: datepicker(later),
                ControlIds.NOTE: plain_text_input("Supplier <b>on leave</b>"),
            }
        ),
        user=manager,
    )
    [final] = slack.fake.messages("D" + manager)
    assert buttons(final) == [
        (ControlIds.COMPLETE, "2:1"),
        (ControlIds.DELAYED, "2:1"),
        (ControlIds.INEFFECTIVE, "2:1"),
    ], "a delayed control is still open, so it keeps its buttons"
    assert "Delayed" in json.dumps(final["blocks"])

    with session_scope(slack.engine) as session:
        updates = list(session.exec(select(ControlUpdate).order_by(ControlUpdate.id)))
        assert controls.get_control(session, 2).status == ControlStatus.DELAYED
    assert [(u.control_id, u.new_status, u.checkpoint_id) for u in updates] == [
        (1, ControlStatus.COMPLETE, 1),
        (2, ControlStatus.DELAYED, 1),
    ]

    slack.command("checkpoint report", user=slack.world.board_member.slack_user_id)
    report = json.dumps(slack.replies()[-1]["blocks"], ensure_ascii=False)
    assert "1 of 2 updated" in report
    assert f"<@{manager}> C-1: Planned → *Complete*" in report
    assert "Supplier &lt;b&gt;on leave&lt;/b&gt;" in report
    not_yet = report[report.index("Not yet updated") :]
    assert f"<@{slack.world.quality_lead.slack_user_id}>: 1 of 1 waiting (C-3)" in not_yet
    assert manager not in not_yet


def test_only_the_project_lead_opens_checkpoints(slack: SlackApp) -> None:
    setup_register(slack)
    slack.command('checkpoint "Wave 2"', user=slack.world.manager.slack_user_id)
    assert "You can't open implementation checkpoints" in slack.last_reply()
    assert slack.deliver() == 0


def test_a_checkpoint_needs_a_name_and_a_report_needs_a_checkpoint(slack: SlackApp) -> None:
    lead = slack.world.project_lead.slack_user_id
    slack.command("checkpoint", user=lead)
    assert "Name the checkpoint" in slack.last_reply()
    slack.command('checkpoint "  "', user=lead)
    assert "The checkpoint name is required" in slack.last_reply()
    slack.command("checkpoint report", user=lead)
    assert "No checkpoint has been opened yet" in slack.last_reply()
    slack.command("checkpoint report", user=slack.world.staff.slack_user_id)
    assert "You can't see the risk register" in slack.last_reply()
