"""Controls in Slack: added to a risk with an owner and due date (the owner is told), assigned,
and updated by their owner from a direct message, from App Home or with a command: complete
in one click, delayed with a new date and a reason, ineffective with a note and then a choice
to rescore the risk or add another control."""

import json
from datetime import timedelta

from bot.ids import ControlIds, ScoreIds
from store.infra.db import session_scope
from store.records import controls, risks
from store.records.enums import ControlStatus
from store.records.models import Control
from tests.risk_helpers import answers, block, new_risk, opened, private_text, trail
from tests.slack_requests import (
    checkboxes,
    datepicker,
    plain_text_input,
    radio_buttons,
    users_select,
)
from tests.slackapp import SlackApp


def control(slack: SlackApp, control_id: int = 1) -> Control:
    with session_scope(slack.engine) as session:
        return controls.get_control(session, control_id)


def dm(slack: SlackApp, user_id: str) -> dict:
    [message] = slack.fake.messages("D" + user_id)
    return message


def update_answers(status: str, *, due=None, note: str | None = None) -> dict:
    return answers(
        **{
            ControlIds.STATUS: radio_buttons(status),
            ControlIds.DUE_DATE: datepicker(due),
            ControlIds.NOTE: plain_text_input(note),
        }
    )


def add_control(slack: SlackApp, ref: str, *, by: str, owner: str, priority: bool = False):
    slack.action(ControlIds.ADD, ref, user=by)
    modal = opened(slack)
    values = answers(
        **{
            ControlIds.DESCRIPTION: plain_text_input("Agency staff shadow a trained carer"),
            ControlIds.OWNER: users_select(owner),
            ControlIds.DUE_DATE: datepicker(slack.clock.now().date() + timedelta(days=10)),
            ControlIds.PRIORITY: checkboxes(*(["yes"] if priority else [])),
        }
    )
    return slack.submit(modal, values, user=by)


def test_manager_adds_a_control_and_its_owner_is_told_with_buttons(slack: SlackApp) -> None:
    ref = new_risk(slack, controls=(), service=slack.world.oakwood)
    leader = slack.world.team_leader.slack_user_id
    answer = add_control(slack, ref, by=slack.world.manager.slack_user_id, owner=leader)
    assert answer.json()["response_action"] == "update"
    added = control(slack)
    assert (added.owner_id, added.status) == (slack.world.team_leader.id, ControlStatus.PLANNED)
    assert added.due_date == slack.clock.now().date() + timedelta(days=10)
    assert {e.field for e in trail(slack, added.ref) if e.action == "created"} >= {
        "description",
        "owner_id",
        "due_date",
    }

    assert slack.deliver() == 1
    told = dm(slack, leader)
    assert f"You own control {added.ref} on {ref}" in told["text"]
    buttons = [
        e["action_id"] for b in told["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [ControlIds.COMPLETE, ControlIds.DELAYED, ControlIds.INEFFECTIVE]


def test_only_the_quality_lead_makes_a_new_control_a_priority(slack: SlackApp) -> None:
    ref = new_risk(slack, controls=(), service=slack.world.oakwood)
    refused = add_control(
        slack,
        ref,
        by=slack.world.manager.slack_user_id,
        owner=slack.world.manager.slack_user_id,
        priority=True,
    )
    assert refused.json()["response_action"] == "push"
    assert "You can't score risks and set priority controls" in json.dumps(refused.json())
    add_control(
        slack,
        ref,
        by=slack.world.quality_lead.slack_user_id,
        owner=slack.world.manager.slack_user_id,
        priority=True,
    )
    assert control(slack).priority is True


def test_staff_cannot_add_controls(slack: SlackApp) -> None:
    ref = new_risk(slack, controls=(), service=slack.world.oakwood)
    slack.action(ControlIds.ADD, ref, user=slack.world.staff.slack_user_id)
    assert "You can't add controls to this risk" in private_text(slack)
    assert slack.fake.calls("views.open") == []


def test_owner_completes_a_control_from_the_direct_message(slack: SlackApp) -> None:
    ref = new_risk(slack, controls=(), service=slack.world.oakwood)
    leader = slack.world.team_leader.slack_user_id
    add_control(slack, ref, by=slack.world.manager.slack_user_id, owner=leader)
    slack.deliver()
    message = dm(slack, leader)
    slack.action(ControlIds.COMPLETE, "1", user=leader, message=message, channel_id="D" + leader)
    assert control(slack).status == ControlStatus.COMPLETE
    redrawn = dm(slack, leader)
    assert not [b for b in redrawn["blocks"] if b["type"] == "actions"]
    assert "Complete" in json.dumps(redrawn["blocks"])
    [event] = [e for e in trail(slack, "C-1") if e.action == "control status"]
    assert (event.old_value, event.new_value, event.actor_name) == (
        "planned",
        "complete",
        "Tia Leader",
    )


def test_someone_else_cannot_update_a_control_they_do_not_own(slack: SlackApp) -> None:
    new_risk(slack)
    slack.action(ControlIds.COMPLETE, "1", user=slack.world.staff.slack_user_id)
    assert "You can't update this control" in private_text(slack)
    assert control(slack).status == ControlStatus.PLANNED
    slack.command("control C-1 complete", user=slack.world.staff.slack_user_id)
    assert "You can't update this control" in slack.last_reply()


def test_a_delayed_control_needs_a_new_date_and_a_reason(slack: SlackApp) -> None:
    new_risk(slack)
    manager = slack.world.manager.slack_user_id
    slack.action(ControlIds.DELAYED, "1", user=manager)
    modal = opened(slack)
    assert block(modal, ControlIds.STATUS)["element"]["initial_option"]["value"] == "delayed"

    no_date = slack.submit(modal, update_answers("delayed", note="Agency cover"), user=manager)
    assert no_date.json()["errors"] == {
        ControlIds.DUE_DATE: "A delayed control needs a new due date"
    }
    later = slack.clock.now().date() + timedelta(days=14)
    no_reason = slack.submit(modal, update_answers("delayed", due=later), user=manager)
    assert no_reason.json()["errors"] == {ControlIds.NOTE: "Say why the control is delayed"}
    past = slack.submit(
        modal,
        update_answers("delayed", due=slack.clock.now().date() - timedelta(days=1), note="x"),
        user=manager,
    )
    assert "in the past" in past.json()["errors"][ControlIds.DUE_DATE]

    done = slack.submit(
        modal, update_answers("delayed", due=later, note="Agency cover"), user=manager
    )
    assert done.json()["response_action"] == "update"
    delayed = control(slack)
    assert (delayed.status, delayed.due_date) == (ControlStatus.DELAYED, later)
    with session_scope(slack.engine) as session:
        [update] = controls.history(session, delayed)
    assert (update.note, update.new_due_date) == ("Agency cover", later)
    assert ("due_date", later.isoformat()) in {(e.field, e.new_value) for e in trail(slack, "C-1")}


def test_an_ineffective_control_needs_a_note_then_offers_rescore_or_new_control(
    slack: SlackApp,
) -> None:
    ref = new_risk(slack)
    manager = slack.world.manager.slack_user_id
    slack.action(ControlIds.INEFFECTIVE, "1", user=manager)
    modal = opened(slack)
    missing = slack.submit(modal, update_answers("ineffective"), user=manager)
    assert missing.json()["errors"] == {ControlIds.NOTE: "Say why the control is not working"}
    answer = slack.submit(
        modal, update_answers("ineffective", note="Paper MAR not kept up"), user=manager
    ).json()
    assert answer["response_action"] == "update"
    offered = {
        e["action_id"]: e["value"]
        for b in answer["view"]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert offered == {ScoreIds.OPEN: ref, ControlIds.ADD: ref}
    assert control(slack).status == ControlStatus.INEFFECTIVE


def test_owner_updates_with_a_command(slack: SlackApp) -> None:
    ref = new_risk(slack)
    manager = slack.world.manager.slack_user_id
    later = slack.clock.now().date() + timedelta(days=5)
    slack.command(f'control C-1 delayed {later.isoformat()} "Agency cover"', user=manager)
    assert "*C-1* is now delayed" in slack.last_reply()
    assert (control(slack).status, control(slack).due_date) == (ControlStatus.DELAYED, later)
    slack.command("control C-1 delayed next-week Agency", user=manager)
    assert "'next-week' is not a date" in slack.last_reply()
    slack.command("control C-1 ineffective", user=manager)
    assert "Say why the control is not working" in slack.last_reply()
    slack.command('control C-1 ineffective "Staff skip the check"', user=manager)
    assert f"/golive score {ref}" in slack.last_reply()
    slack.command("control C-1 finished", user=manager)
    assert "'finished' is not one of" in slack.last_reply()
    slack.command("control C-99 complete", user=manager)
    assert "There is no control C-99" in slack.last_reply()


def test_owner_completes_from_app_home_and_home_is_refreshed(slack: SlackApp) -> None:
    new_risk(slack)
    manager = slack.world.manager.slack_user_id
    home = {"id": "VHOME0001", "type": "home", "blocks": [], "private_metadata": ""}
    slack.action(ControlIds.COMPLETE, "1", user=manager, view=home)
    assert control(slack).status == ControlStatus.COMPLETE
    assert slack.fake.last("views.publish").args["user_id"] == manager
    assert "*C-1* is now complete." in private_text(slack)


def test_owner_lists_their_controls_with_buttons(slack: SlackApp) -> None:
    new_risk(slack)
    new_risk(slack, title="Tablets not charged")
    slack.command("controls", user=slack.world.manager.slack_user_id)
    reply = slack.replies()[-1]
    assert reply["text"] == "Your open controls: 2"
    actions = [b for b in reply["blocks"] if b["type"] == "actions"]
    assert len(actions) == 2
    slack.command("controls", user=slack.world.staff.slack_user_id)
    assert slack.last_reply() == "You own no open controls."


def test_manager_reassigns_a_control_from_the_risk(slack: SlackApp) -> None:
    ref = new_risk(slack, service=slack.world.oakwood)
    manager = slack.world.manager.slack_user_id
    slack.action(
        ControlIds.MENU,
        user=manager,
        action={"type": "overflow", "selected_option": {"value": "assign:1"}},
    )
    modal = opened(slack)
    assert modal["callback_id"] == ControlIds.ASSIGN_VIEW
    leader = slack.world.team_leader.slack_user_id
    slack.submit(
        modal,
        answers(**{ControlIds.OWNER: users_select(leader), ControlIds.DUE_DATE: datepicker(None)}),
        user=manager,
    )
    assert control(slack).owner_id == slack.world.team_leader.id
    assert ("control assigned", "owner_id") in {(e.action, e.field) for e in trail(slack, "C-1")}
    assert slack.deliver() == 1
    assert "You own control C-1" in dm(slack, leader)["text"]
    with session_scope(slack.engine) as session:
        assert len(risks.controls_of(session, risks.get_risk(session, ref))) == 1


def test_a_message_slack_cannot_redraw_does_not_undo_or_hide_the_update(slack: SlackApp) -> None:
    new_risk(slack)
    manager = slack.world.manager.slack_user_id
    slack.fake.fail("chat.update", "message_not_found")
    gone = {"type": "message", "user": "UBOT", "text": "", "ts": "1700000000.000900", "blocks": []}
    slack.action(ControlIds.COMPLETE, "1", user=manager, message=gone, channel_id="D" + manager)
    assert control(slack).status == ControlStatus.COMPLETE
    assert slack.fake.calls("chat.update")[0].answered["error"] == "message_not_found"
    assert slack.fake.calls("response_url") == []


def test_owner_completes_a_control_from_the_private_risk_reply(slack: SlackApp) -> None:
    """``/golive risk R-…`` answers privately; Slack cannot chat.update such a message, so a
    click there is answered in words and nothing asks Slack for a message it cannot find."""
    new_risk(slack)
    manager = slack.world.manager.slack_user_id
    private = {"type": "message", "user": "UBOT", "text": "", "ts": "1700000000.000950"}
    container = {
        "type": "message",
        "message_ts": private["ts"],
        "channel_id": "C0TRIAGE",
        "is_ephemeral": True,
    }
    slack.action(ControlIds.COMPLETE, "1", user=manager, message=private, container=container)
    assert control(slack).status == ControlStatus.COMPLETE
    assert slack.fake.calls("chat.update") == []
    assert "C-1" in private_text(slack)


def test_manager_adds_a_control_with_the_command_the_help_lists(slack: SlackApp) -> None:
    ref = new_risk(slack, controls=(), service=slack.world.oakwood)
    manager = slack.world.manager.slack_user_id
    slack.command("help", user=manager)
    assert "/golive control add R-003" in slack.last_reply()
    slack.command(f"control add {ref}", user=manager)
    modal = opened(slack)
    assert (modal["callback_id"], modal["private_metadata"]) == (ControlIds.ADD_VIEW, ref)
    values = answers(
        **{
            ControlIds.DESCRIPTION: plain_text_input("Night staff check the paper MAR"),
            ControlIds.OWNER: users_select(manager),
            ControlIds.DUE_DATE: datepicker(None),
            ControlIds.PRIORITY: checkboxes(),
        }
    )
    slack.submit(modal, values, user=manager)
    assert control(slack).description == "Night staff check the paper MAR"


def test_owner_opens_the_update_form_with_the_command(slack: SlackApp) -> None:
    new_risk(slack)
    manager = slack.world.manager.slack_user_id
    slack.command("control C-1", user=manager)
    modal = opened(slack)
    assert modal["callback_id"] == ControlIds.UPDATE_VIEW
    slack.submit(modal, update_answers("complete"), user=manager)
    assert control(slack).status == ControlStatus.COMPLETE
