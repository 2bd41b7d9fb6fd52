"""Overdue reminders: one direct message per owner per day, and answers kept as evidence."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.ids import ReminderIds, reminder_answer
from schedules.cadence import Job
from schedules.jobs import run_job, window_for
from schedules.reminders import run_reminders
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.records import audit, controls, issues, reminders, risks, verification
from store.records.enums import ControlStatus
from store.records.models import OutboxMessage, Reminder, ReminderResponse
from store.records.reminders import ItemKind, Response
from tests.conftest import START
from tests.posted import as_posted
from tests.schedules_world import seed, settings
from tests.slack_requests import datepicker, plain_text_input
from tests.world import build_world

DAY = timedelta(days=1)


@pytest.fixture
def world(engine):
    return build_world(engine, now=START - timedelta(days=30))


@pytest.fixture
def seeded(engine, world):
    return seed(engine, world, start=START)


def reminders_sent(engine):
    with session_scope(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.method == "dm"))
        return {m.key: as_posted(session, m) for m in rows if m.key.startswith("reminders:")}


def listed(payload):
    """The item refs a reminder lists, with the answers offered for each."""
    items = {}
    for block in payload["blocks"]:
        if block["type"] == "actions":
            ref = block["block_id"]
            items[ref] = [button["action_id"] for button in block["elements"]]
    return items


def test_each_owner_gets_one_reminder_a_day_listing_all_their_overdue_work(engine, world, seeded):
    summary = run_job("reminders", engine=engine, settings=settings(), at=START)
    assert summary.startswith("reminders 2026-11-23: 2 reminders owed, 3 overdue items")
    sent = reminders_sent(engine)
    assert set(sent) == {"reminders:2026-11-23:UMANAGER1", "reminders:2026-11-23:UMANAGER2"}
    mine = listed(sent["reminders:2026-11-23:UMANAGER1"])
    assert mine == {
        "reminder:control:1:2026-11-18": [
            "reminder_acknowledged",
            "reminder_completed",
            "reminder_delayed",
            "reminder_ineffective",
            "reminder_snoozed",
        ],
        "reminder:review:1:2026-11-16": [
            "reminder_acknowledged",
            "reminder_completed",
            "reminder_snoozed",
        ],
    }
    text = json.dumps(sent["reminders:2026-11-23:UMANAGER2"])
    assert seeded.overdue_correction in text and "3 days overdue" in text
    assert run_job(
        "reminders", engine=engine, settings=settings(), at=START + 2 * timedelta(hours=3)
    ).endswith("already done")
    run_job("reminders", engine=engine, settings=settings(), at=START + DAY)
    assert len(reminders_sent(engine)) == 4


def test_acknowledging_a_reminder_is_recorded_with_the_item(engine, world, seeded):
    run_job("reminders", engine=engine, settings=settings(), at=START)
    with session_scope(engine) as session:
        reminders.respond(
            session,
            person=world.manager,
            kind=ItemKind.CONTROL,
            item_id=1,
            response=Response.ACKNOWLEDGED,
            now=START + timedelta(hours=1),
            today=START.date(),
            note="On it with the night team",
        )
    with session_scope(engine) as session:
        answer = session.exec(select(ReminderResponse)).one()
        assert (answer.item_ref, answer.response, answer.note) == (
            "C-1",
            "acknowledged",
            "On it with the night team",
        )
        reminder = session.exec(select(Reminder).where(Reminder.item_ref == "C-1")).one()
        assert reminder.acknowledged_at == START + timedelta(hours=1)
        events = [e.action for e in audit.trail(session, entity_ref="C-1")]
    assert "reminder acknowledged" in events


def test_completing_from_a_reminder_completes_the_control_and_ends_its_reminders(
    engine, world, seeded
):
    run_job("reminders", engine=engine, settings=settings(), at=START)
    with session_scope(engine) as session:
        reminders.respond(
            session,
            person=world.manager,
            kind=ItemKind.CONTROL,
            item_id=1,
            response=Response.COMPLETED,
            now=START + timedelta(hours=1),
            today=START.date(),
        )
    with session_scope(engine) as session:
        # R-001 is extreme: the owner's "complete" waits for a second person's check.
        assert controls.get_control(session, 1).status != ControlStatus.COMPLETE
        controls.confirm_complete(
            session,
            actor=world.quality_lead,
            control=controls.get_control(session, 1),
            evidence="Sampled ten MAR charts against the paper record",
            now=START + timedelta(hours=2),
        )
        assert controls.get_control(session, 1).status == ControlStatus.COMPLETE
    run_job("reminders", engine=engine, settings=settings(), at=START + DAY)
    tomorrow = listed(reminders_sent(engine)["reminders:2026-11-24:UMANAGER1"])
    assert list(tomorrow) == ["reminder:review:1:2026-11-16"]


def test_delaying_needs_a_new_date_and_a_reason(engine, world, seeded):
    with session_scope(engine) as session, pytest.raises(ValidationError, match="new due date"):
        reminders.respond(
            session,
            person=world.manager,
            kind=ItemKind.CONTROL,
            item_id=1,
            response=Response.DELAYED,
            now=START,
            today=START.date(),
        )
    with session_scope(engine) as session:
        reminders.respond(
            session,
            person=world.manager,
            kind=ItemKind.CONTROL,
            item_id=1,
            response=Response.DELAYED,
            now=START,
            today=START.date(),
            note="Paper audit needs another week",
            new_date=(START + 7 * DAY).date(),
        )
    with session_scope(engine) as session:
        control = controls.get_control(session, 1)
        assert (control.status, control.due_date) == (
            ControlStatus.DELAYED,
            (START + 7 * DAY).date(),
        )


def test_a_review_cannot_be_marked_ineffective_and_others_cannot_answer(engine, world, seeded):
    with session_scope(engine) as session, pytest.raises(ValidationError, match="can't be"):
        reminders.respond(
            session,
            person=world.manager,
            kind=ItemKind.REVIEW,
            item_id=1,
            response=Response.INEFFECTIVE,
            now=START,
            today=START.date(),
        )
    with session_scope(engine) as session, pytest.raises(ValidationError, match="no longer yours"):
        reminders.respond(
            session,
            person=world.staff,
            kind=ItemKind.CONTROL,
            item_id=1,
            response=Response.ACKNOWLEDGED,
            now=START,
            today=START.date(),
        )


def test_snoozing_skips_tomorrows_reminder_only(engine, world, seeded):
    run_job("reminders", engine=engine, settings=settings(), at=START)
    with session_scope(engine) as session:
        reminders.respond(
            session,
            person=world.other_manager,
            kind=ItemKind.CORRECTION,
            item_id=6,
            response=Response.SNOOZED,
            now=START + timedelta(hours=1),
            today=START.date(),
        )
    run_job("reminders", engine=engine, settings=settings(), at=START + DAY)
    run_job("reminders", engine=engine, settings=settings(), at=START + 2 * DAY)
    sent = reminders_sent(engine)
    assert "reminders:2026-11-24:UMANAGER2" not in sent
    assert "reminders:2026-11-25:UMANAGER2" in sent


def test_a_long_list_fits_one_message_and_says_how_many_more(engine, world, seeded):
    with session_scope(engine) as session:
        for number in range(30):
            controls.add_control(
                session,
                actor=world.project_lead,
                risk=risks.get_risk(session, seeded.moderate),
                description=f"Check device {number}",
                owner=world.quality_lead,
                due_date=(START - 5 * DAY).date(),
                now=START - 6 * DAY,
            )
    run_job("reminders", engine=engine, settings=settings(), at=START)
    payload = reminders_sent(engine)["reminders:2026-11-23:UQUALITY1"]
    assert len(payload["blocks"]) <= 50
    assert "…and 10 more overdue" in payload["blocks"][-1]["text"]["text"]
    with session_scope(engine) as session:
        remembered = session.exec(
            select(Reminder).where(Reminder.person_id == world.quality_lead.id)
        )
        assert len(list(remembered)) == 20


def overdue_control(engine, world, seeded, owner):
    """An immediate control on the urgent issue, owned by ``owner`` and overdue since Saturday."""
    with session_scope(engine) as session:
        issues.add_immediate_control(
            session,
            actor=world.manager,
            ref=seeded.urgent,
            description=f"Hourly check for {owner.name}",
            owner=owner,
            due_date=(START - 2 * DAY).date(),
            now=START - 3 * DAY,
        )


def sweep(engine, at, *, keep):
    """Run the reminder sweep itself (no job claim) at ``at``: (summary, reads, writes) as
    statements sent to the database; committed if ``keep``, else rolled back."""
    seen = {"reads": 0, "writes": 0}

    def count(conn, cursor, statement, *args):
        head = statement.lstrip().split(None, 1)[0].upper()
        if head in ("SELECT", "WITH"):
            seen["reads"] += 1
        elif head not in ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT"):
            seen["writes"] += 1

    with Session(engine) as session:
        window = window_for(Job.REMINDERS, settings(), at=at, phase_of=session)
        event.listen(engine, "before_cursor_execute", count)
        try:
            summary = run_reminders(session, window, settings())
            session.flush()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        if keep:
            session.commit()
        else:
            session.rollback()
    return summary, seen["reads"], seen["writes"]


def test_the_sweep_sends_as_many_statements_for_five_owners_as_for_two(engine, world, seeded):
    two = sweep(engine, START, keep=False)
    for owner in (world.team_leader, world.staff, world.board_member):
        overdue_control(engine, world, seeded, owner)
    five = sweep(engine, START, keep=False)
    assert two[0].startswith("2 reminders owed, 3 overdue items")
    assert five[0].startswith("5 reminders owed, 6 overdue items")
    assert five[1:] == two[1:]


def test_a_second_sweep_the_same_day_owes_and_records_nothing_more(engine, world, seeded):
    overdue_control(engine, world, seeded, world.team_leader)
    assert sweep(engine, START, keep=True)[0].startswith("3 reminders owed, 4 overdue items")
    sent = reminders_sent(engine)
    with session_scope(engine) as session:
        remembered = sorted((r.person_id, r.item_ref) for r in session.exec(select(Reminder)))
    assert len(remembered) == 4 == len(set(remembered))
    summary, _, writes = sweep(engine, START + timedelta(hours=3), keep=True)
    assert summary.startswith("0 reminders owed, 4 overdue items") and writes == 0
    assert reminders_sent(engine) == sent
    with session_scope(engine) as session:
        again = sorted((r.person_id, r.item_ref) for r in session.exec(select(Reminder)))
    assert again == remembered


def test_reminder_buttons_are_the_ones_the_app_listens_for():
    assert {str(ReminderIds[name]) for name in ("ACKNOWLEDGE", "COMPLETE", "DELAYED")} | {
        str(ReminderIds.INEFFECTIVE),
        str(ReminderIds.SNOOZE),
    } == {reminder_answer(response) for response in Response}


def reminder_dm(slack, user):
    """The reminder the fake Slack holds for ``user``: (channel, message)."""
    for call in slack.fake.calls("chat.postMessage"):
        if "overdue item" in call.args.get("text", "") and call.response:
            channel = call.answered["channel"]
            message = slack.fake.find_message(channel, call.answered["ts"])
            opened = [
                c
                for c in slack.fake.calls("conversations.open")
                if c.args.get("users") == user and c.answered["channel"]["id"] == channel
            ]
            if opened:
                return channel, message
    raise AssertionError(f"no reminder for {user}")


def click(slack, action_id, value, *, user, channel, message):
    return slack.action(
        action_id,
        value,
        user=user,
        block_id=f"reminder:{value}",
        message=message,
        channel_id=channel,
    )


@pytest.fixture
def reminded(slack):
    seeded = seed(slack.engine, slack.world, start=START)
    slack.clock.set(START)
    run_job("reminders", engine=slack.engine, settings=slack.settings, at=START)
    slack.deliver()
    return seeded


def test_owner_acknowledges_from_the_reminder_and_the_dm_shows_it(slack, reminded):
    channel, message = reminder_dm(slack, "UMANAGER1")
    value = "control:1:2026-11-18"
    click(slack, ReminderIds.ACKNOWLEDGE, value, user="UMANAGER1", channel=channel, message=message)
    with session_scope(slack.engine) as session:
        answer = session.exec(select(ReminderResponse)).one()
        assert (answer.item_ref, answer.response) == ("C-1", "acknowledged")
    shown = slack.fake.find_message(channel, message["ts"])
    blocks = {block.get("block_id"): block for block in shown["blocks"]}
    assert blocks[f"reminder:{value}"]["type"] == "context"
    assert "Acknowledged" in blocks[f"reminder:{value}"]["elements"][0]["text"]
    assert blocks["reminder:review:1:2026-11-16"]["type"] == "actions"


def test_owner_completes_a_control_in_one_click_pending_a_second_check(slack, reminded):
    channel, message = reminder_dm(slack, "UMANAGER1")
    click(
        slack,
        ReminderIds.COMPLETE,
        "control:1:2026-11-18",
        user="UMANAGER1",
        channel=channel,
        message=message,
    )
    with session_scope(slack.engine) as session:
        control = controls.get_control(session, 1)
        assert control.status != ControlStatus.COMPLETE
        assert verification.pending(session, kind=verification.CONTROL, item_id=1) is not None


def test_delayed_asks_for_the_new_date_and_why(slack, reminded):
    channel, message = reminder_dm(slack, "UMANAGER1")
    value = "control:1:2026-11-18"
    click(slack, ReminderIds.DELAYED, value, user="UMANAGER1", channel=channel, message=message)
    view = slack.opened_view()
    empty = slack.submit(
        view,
        {
            ReminderIds.NEW_DATE: {ReminderIds.NEW_DATE: datepicker(None)},
            ReminderIds.NOTE: {ReminderIds.NOTE: plain_text_input(None)},
        },
        user="UMANAGER1",
    )
    assert empty.json()["response_action"] == "errors"
    assert set(empty.json()["errors"]) == {ReminderIds.NEW_DATE, ReminderIds.NOTE}
    past = slack.submit(
        view,
        {
            ReminderIds.NEW_DATE: {ReminderIds.NEW_DATE: datepicker("2026-11-01")},
            ReminderIds.NOTE: {ReminderIds.NOTE: plain_text_input("Waiting for paper audit")},
        },
        user="UMANAGER1",
    )
    assert "past" in past.json()["errors"][ReminderIds.NEW_DATE]
    saved = slack.submit(
        view,
        {
            ReminderIds.NEW_DATE: {ReminderIds.NEW_DATE: datepicker("2026-12-01")},
            ReminderIds.NOTE: {ReminderIds.NOTE: plain_text_input("Waiting for paper audit")},
        },
        user="UMANAGER1",
    )
    assert saved.json()["response_action"] == "update"
    with session_scope(slack.engine) as session:
        control = controls.get_control(session, 1)
        assert (control.status, control.due_date.isoformat()) == (
            ControlStatus.DELAYED,
            "2026-12-01",
        )
        assert len(list(session.exec(select(ReminderResponse)))) == 1
    shown = slack.fake.find_message(channel, message["ts"])
    blocks = {block.get("block_id"): block for block in shown["blocks"]}
    assert "Delayed" in blocks[f"reminder:{value}"]["elements"][0]["text"]


def test_someone_elses_reminder_button_records_nothing(slack, reminded):
    channel, message = reminder_dm(slack, "UMANAGER1")
    click(
        slack,
        ReminderIds.ACKNOWLEDGE,
        "control:1:2026-11-18",
        user="USTAFF01",
        channel=channel,
        message=message,
    )
    with session_scope(slack.engine) as session:
        assert list(session.exec(select(ReminderResponse))) == []
    assert "no longer yours" in slack.last_reply()
