"""Overdue reminders in Teams: the owner's card in their personal chat lists each overdue item
with Slack's answers; an answer clicked in Teams is recorded once, through the store's own
rules, and the card shows what was answered."""

import json
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from schedules.jobs import run_job
from store.infra.db import session_scope
from store.records import controls
from store.records.enums import ControlStatus
from store.records.models import ReminderResponse
from tests.conftest import START
from tests.fakebotframework import SEND
from tests.schedules_world import seed, settings
from tests.teamsapp import TeamsApp

Json = dict[str, Any]


def reminder_card(teams: TeamsApp) -> tuple[str, Json]:
    """The reminder in the manager's personal chat: its conversation and card."""
    run_job("reminders", engine=teams.engine, settings=settings(), at=START)
    teams.deliver()
    chat = teams.fake.personal[teams.user(teams.world.manager).aad_id]
    [sent] = [
        s.body
        for s in teams.fake.activities(SEND)
        if s.conversation == chat and str(s.body.get("text", "")).endswith("to look at today")
    ]
    return chat, sent["attachments"][0]["content"]


def answers_on(card: Json) -> dict[str, list[str]]:
    """Each item's buttons by its value: the answers still offered."""
    offered: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb") == "reminder_answer":
                data = node["data"]
                offered.setdefault(data["value"], []).append(data["response"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return offered


def action_for(card: Json, value: str, response: str) -> Json:
    found: list[Json] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if (
                node.get("type") == "Action.Execute"
                and isinstance(data, dict)
                and data.get("value") == value
                and data.get("response") == response
            ):
                found.append(node)
            for each in node.values():
                walk(each)
        elif isinstance(node, list):
            for each in node:
                walk(each)

    walk(card)
    [action] = found
    return action


def click(
    teams: TeamsApp, chat: str, action: Json, *, by: Any, typed: Json | None = None
) -> tuple[Json, Json]:
    """The activity Teams sends for the click (with what was typed in the card's inputs) and
    golive's answer: the card to show."""
    value = {
        "action": {
            "type": "Action.Execute",
            "verb": action["verb"],
            "data": {**action["data"], **(typed or {})},
        },
        "trigger": "manual",
    }
    activity = teams.fake.invoke(
        "adaptiveCard/action", value, user=teams.user(by), conversation=chat
    )
    return activity, answer_of(teams, activity)


def answer_of(teams: TeamsApp, activity: Json) -> Json:
    response = teams.send(activity)
    assert response.status_code == 200
    body: Json = response.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    return body["value"]


def responses(session: Session) -> list[ReminderResponse]:
    return list(session.exec(select(ReminderResponse)))


def test_the_owner_gets_a_reminder_in_teams_with_slacks_answers_for_each_item(
    teams: TeamsApp,
) -> None:
    seeded = seed(teams.engine, teams.world, start=START)
    _chat, card = reminder_card(teams)
    shown = json.dumps(card, ensure_ascii=False)
    assert "Overdue today: 2" in shown
    assert "Double-check MAR charts against paper for two weeks" in shown
    assert f"Control on {seeded.extreme}" in shown and "Due Wed 18 Nov · 5 days overdue" in shown
    assert "after 2 reminders goes to your registered manager" in shown
    assert answers_on(card) == {
        "control:1:2026-11-18": [
            "acknowledged",
            "completed",
            "delayed",
            "ineffective",
            "snoozed",
        ],
        "review:1:2026-11-16": ["acknowledged", "completed", "snoozed"],
    }


def test_an_acknowledgement_from_teams_is_recorded_once_and_the_card_says_so(
    teams: TeamsApp,
) -> None:
    seed(teams.engine, teams.world, start=START)
    chat, card = reminder_card(teams)
    teams.clock.set(START + timedelta(hours=1))
    acknowledge = action_for(card, "control:1:2026-11-18", "acknowledged")
    activity, answered = click(teams, chat, acknowledge, by=teams.world.manager)
    again = answer_of(teams, activity)

    assert again == answered
    with session_scope(teams.engine, write=False) as session:
        [recorded] = responses(session)
        assert (recorded.item_ref, recorded.response) == ("C-1", "acknowledged")
    said = json.dumps(answered, ensure_ascii=False)
    assert "C-1: " in said and "Acknowledged" in said
    assert list(answers_on(answered)) == ["review:1:2026-11-16"]


def test_a_snooze_lasts_to_the_day_after_tomorrow_in_the_providers_time_zone(
    teams: TeamsApp,
) -> None:
    seed(teams.engine, teams.world, start=START)
    chat, card = reminder_card(teams)
    teams.settings.timezone = "Pacific/Auckland"
    teams.clock.set(START + timedelta(hours=3))  # 12:00 in London, 01:00 on the 24th there
    snooze = action_for(card, "review:1:2026-11-16", "snoozed")
    _activity, answered = click(teams, chat, snooze, by=teams.world.manager)

    with session_scope(teams.engine, write=False) as session:
        [recorded] = responses(session)
        assert recorded.snoozed_until == date(2026, 11, 25)
    assert "Snoozed until Wed 25 Nov" in json.dumps(answered, ensure_ascii=False)


def test_a_delay_needs_its_new_date_and_reason_and_then_moves_the_control(
    teams: TeamsApp,
) -> None:
    seed(teams.engine, teams.world, start=START)
    chat, card = reminder_card(teams)
    delay = action_for(card, "control:1:2026-11-18", "delayed")
    _activity, refused = click(teams, chat, delay, by=teams.world.manager)
    said = json.dumps(refused, ensure_ascii=False)
    assert "Pick the date" in said and "The note is required" in said
    with session_scope(teams.engine, write=False) as session:
        assert responses(session) == []

    slot = delay["data"]["slot"]
    typed = {f"new_date_{slot}": "2026-12-04", f"note_{slot}": "Paper MAR audit moved a week"}
    _activity, answered = click(teams, chat, delay, by=teams.world.manager, typed=typed)
    assert "Delayed to Fri 04 Dec" in json.dumps(answered, ensure_ascii=False)
    with session_scope(teams.engine, write=False) as session:
        control = controls.get_control(session, 1)
        assert control.status == ControlStatus.DELAYED
        assert control.due_date == date(2026, 12, 4)
        [recorded] = responses(session)
        assert recorded.note == "Paper MAR audit moved a week"


def test_someone_else_cannot_answer_an_owners_reminder(teams: TeamsApp) -> None:
    seed(teams.engine, teams.world, start=START)
    chat, card = reminder_card(teams)
    complete = action_for(card, "control:1:2026-11-18", "completed")
    _activity, refused = click(teams, chat, complete, by=teams.world.staff)
    assert "C-1 is no longer yours" in json.dumps(refused, ensure_ascii=False)
    with session_scope(teams.engine, write=False) as session:
        assert responses(session) == []
        assert controls.get_control(session, 1).status == ControlStatus.PLANNED
