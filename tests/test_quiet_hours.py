"""Shift-aware notifications: a registered manager on nights sets quiet hours; the morning
reminder waits until they end, while an alert about safe care reaches them at once."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.ids import QuietIds
from schedules.jobs import run_job
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.records import controls, quiet, risks
from store.records.models import OutboxMessage, Person, QuietHours
from tests.risk_helpers import new_risk
from tests.schedules_world import settings
from tests.slack_requests import plain_text_input
from tests.slackapp import SlackApp

LONDON = ZoneInfo("Europe/London")


def overdue_control(slack: SlackApp, owner_id: int) -> None:
    ref = new_risk(slack, controls=(), service=slack.world.oakwood)
    with session_scope(slack.engine) as session:
        owner = session.get(Person, owner_id)
        assert owner is not None
        controls.add_control(
            session,
            actor=slack.world.manager,
            risk=risks.get_risk(session, ref),
            description="Senior carer checks every MAR at handover",
            owner=owner,
            due_date=slack.clock.now().date() + timedelta(days=1),
            now=slack.clock.now(),
        )


def dms(slack: SlackApp, user: str) -> list[str]:
    return [json.dumps(m) for m in slack.fake.messages("D" + user)]


def test_reminder_waits_for_quiet_hours_but_a_safe_care_alert_does_not(slack: SlackApp) -> None:
    world = slack.world
    manager = world.manager.slack_user_id
    slack.command("quiet 08:00-16:00", user=manager)
    assert "Quiet hours set to *08:00-16:00*" in slack.last_reply()
    overdue_control(slack, world.manager.id)  # type: ignore[arg-type]
    slack.deliver()
    before = len(dms(slack, manager))

    morning = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    slack.clock.set(morning)
    summary = run_job("reminders", engine=slack.engine, settings=settings(), at=morning)
    assert "1 reminders owed" in summary
    with session_scope(slack.engine) as session:
        reminder = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.user == manager, OutboxMessage.notice == "reminder"
            )
        ).one()
        assert reminder.next_attempt_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)

    slack.report(user=world.staff.slack_user_id, service_id=world.oakwood.id, impact="safe_care")
    slack.deliver()
    arrived = dms(slack, manager)[before:]
    assert len(arrived) == 1
    assert "GL-0001" in arrived[0]
    assert not any("overdue" in text.lower() for text in arrived)

    slack.clock.set(datetime(2026, 11, 26, 15, 59, tzinfo=UTC))
    slack.deliver()
    assert len(dms(slack, manager)) == before + 1
    slack.clock.set(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    slack.deliver()
    assert len(dms(slack, manager)) == before + 2
    assert "C-1" in dms(slack, manager)[-1]


def test_someone_without_quiet_hours_gets_the_reminder_at_once(slack: SlackApp) -> None:
    world = slack.world
    overdue_control(slack, world.team_leader.id)  # type: ignore[arg-type]
    morning = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    slack.clock.set(morning)
    run_job("reminders", engine=slack.engine, settings=settings(), at=morning)
    slack.deliver()
    assert any("C-1" in text for text in dms(slack, world.team_leader.slack_user_id))


def test_one_sweep_holds_back_only_the_reminders_of_people_in_quiet_hours(
    slack: SlackApp,
) -> None:
    world = slack.world
    slack.command("quiet 08:00-16:00", user=world.manager.slack_user_id)
    slack.command("quiet 22:00-07:00", user=world.other_manager.slack_user_id)
    for owner in (world.manager, world.team_leader, world.other_manager):
        overdue_control(slack, owner.id)  # type: ignore[arg-type]
    morning = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    summary = run_job("reminders", engine=slack.engine, settings=settings(), at=morning)
    assert "3 reminders owed" in summary
    with session_scope(slack.engine) as session:
        held = {
            message.user: message.next_attempt_at
            for message in session.exec(
                select(OutboxMessage).where(col(OutboxMessage.key).startswith("reminders:"))
            )
        }
    assert held == {
        world.manager.slack_user_id: datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
        world.team_leader.slack_user_id: morning,
        world.other_manager.slack_user_id: morning,
    }


def test_quiet_hours_are_shown_changed_and_turned_off(slack: SlackApp) -> None:
    manager = slack.world.manager.slack_user_id
    slack.command("quiet", user=manager)
    assert "You have no quiet hours" in slack.last_reply()
    slack.command("quiet 25:00-07:00", user=manager)
    assert "'25:00' is not a time like 07:30" in slack.last_reply()
    slack.command("quiet 22:00", user=manager)
    assert "like 22:00-07:00" in slack.last_reply()
    slack.command("quiet 22:00-07:00", user=manager)
    slack.command("quiet 21:30-06:30", user=manager)
    slack.command("quiet", user=manager)
    assert "*21:30-06:30*" in slack.last_reply()
    slack.command("quiet off", user=manager)
    assert "Quiet hours are off" in slack.last_reply()
    with session_scope(slack.engine) as session:
        assert session.exec(select(QuietHours)).all() == []


def test_overnight_hours_hold_until_morning_across_the_clock_change(slack: SlackApp) -> None:
    with session_scope(slack.engine) as session:
        person = session.get(Person, slack.world.manager.id)
        assert person is not None
        quiet.set_quiet_hours(
            session, actor=person, person=person, text="22:00-07:00", now=slack.clock.now()
        )
        # The night the clocks go forward (Sun 28 Mar 2027, 01:00 GMT -> 02:00 BST).
        late = datetime(2027, 3, 27, 23, 30, tzinfo=UTC)
        assert quiet.release_at(session, person=person, now=late, zone=LONDON) == datetime(
            2027, 3, 28, 6, 0, tzinfo=UTC
        )
        # The night they go back (Sun 31 Oct 2027, 02:00 BST -> 01:00 GMT).
        early = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
        assert quiet.release_at(session, person=person, now=early, zone=LONDON) == datetime(
            2027, 10, 31, 7, 0, tzinfo=UTC
        )
        noon = datetime(2027, 3, 28, 12, 0, tzinfo=UTC)
        assert quiet.release_at(session, person=person, now=noon, zone=LONDON) == noon


@pytest.mark.parametrize("text", ["", "07:00-07:00", "7-8", "22:00-7:0"])
def test_bad_quiet_hours_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        quiet.parse_hours(text)


def test_parse_hours_accepts_times_across_midnight() -> None:
    assert quiet.parse_hours(" 22:00 - 07:00 ") == (
        datetime(2000, 1, 1, 22).time(),
        datetime(2000, 1, 1, 7).time(),
    )


def test_night_manager_sets_quiet_hours_from_app_home(slack: SlackApp) -> None:
    manager = slack.world.manager.slack_user_id
    slack.open_home(manager)
    home = slack.fake.last("views.publish").args["view"]
    [quiet_button] = [
        block["accessory"]
        for block in home["blocks"]
        if block.get("accessory", {}).get("action_id") == QuietIds.OPEN
    ]
    assert "Quiet hours* off" in json.dumps(home["blocks"])
    view = {"id": "VHOME0001", "type": "home", "blocks": [], "private_metadata": ""}
    slack.action(QuietIds.OPEN, quiet_button["value"], user=manager, view=view)
    modal = slack.opened_view()
    assert modal["callback_id"] == QuietIds.VIEW

    bad = slack.submit(
        modal, {QuietIds.HOURS: {QuietIds.HOURS: plain_text_input("25:00-06:00")}}, user=manager
    )
    assert list(bad.json()["errors"]) == [QuietIds.HOURS]
    ok = slack.submit(
        modal, {QuietIds.HOURS: {QuietIds.HOURS: plain_text_input("23:00-06:00")}}, user=manager
    )
    assert ok.body == ""
    with session_scope(slack.engine) as session:
        [row] = session.exec(select(QuietHours)).all()
        assert (row.starts, row.ends) == ("23:00", "06:00")
    republished = slack.fake.last("views.publish").args["view"]
    assert "*Quiet hours* 23:00-06:00" in json.dumps(republished["blocks"])
