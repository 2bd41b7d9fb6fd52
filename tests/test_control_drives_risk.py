"""A control's status drives its risk: found ineffective, the risk is due for a rescore within
the set number of days and flagged in the next board review until rescored; delayed past the
threshold, the control goes to the board once."""

from datetime import date, timedelta

from sqlmodel import col, select

from bot.ids import ControlIds
from schedules.jobs import run_job
from store.infra.db import session_scope
from store.records import controls, risks
from store.records.enums import ControlStatus
from store.records.models import Escalation, OutboxMessage
from tests.posted import posted_json
from tests.risk_helpers import answers, new_risk, opened, risk, score, trail
from tests.schedules_world import settings
from tests.slack_requests import datepicker, plain_text_input, radio_buttons
from tests.slackapp import SlackApp
from tests.world import BOARD_CHANNEL


def payload_text(engine, key_prefix: str) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.key).startswith(key_prefix))
            .order_by(col(OutboxMessage.id))
        ).all()
        return [posted_json(session, row) for row in rows]


def mark_ineffective(slack: SlackApp, *, user: str) -> None:
    slack.action(ControlIds.INEFFECTIVE, "1", user=user)
    values = answers(
        **{
            ControlIds.STATUS: radio_buttons("ineffective"),
            ControlIds.DUE_DATE: datepicker(None),
            ControlIds.NOTE: plain_text_input("Night staff still chart on paper only"),
        }
    )
    slack.submit(opened(slack), values, user=user)


def test_an_ineffective_control_brings_the_rescore_forward_and_flags_the_board_review(
    slack: SlackApp,
) -> None:
    world = slack.world
    ref = new_risk(slack, service=world.oakwood)
    score(slack, ref, 3, 3)
    with session_scope(slack.engine) as session:
        risks_row = risks.get_risk(session, ref)
        risks_row.review_date = date(2027, 3, 1)
        session.add(risks_row)
    mark_ineffective(slack, user=world.manager.slack_user_id)
    today = slack.clock.now().date()
    assert risk(slack, ref).review_date == today + timedelta(days=7)
    assert "rescore due" in {e.action for e in trail(slack, ref)}

    at = slack.clock.now() + timedelta(days=7)
    summary = run_job("board_review", engine=slack.engine, settings=settings(), at=at)
    assert "board_review" in summary and "already" not in summary
    [review] = payload_text(slack.engine, "board_review:")
    assert "Controls found ineffective: risks to rescore (1)" in review
    assert f"*{ref}*" in review and "C-1" in review
    assert "Night staff" not in review.split("risks to rescore")[0]

    with session_scope(slack.engine) as session:
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=ref,
            likelihood=4,
            impact=3,
            reason="Paper-only charting at night",
            now=at + timedelta(hours=1),
        )
    run_job("board_review", engine=slack.engine, settings=settings(), at=at + timedelta(days=7))
    later = payload_text(slack.engine, "board_review:")[-1]
    assert "risks to rescore (0)" in later


def test_a_review_already_sooner_is_left_alone(slack: SlackApp) -> None:
    world = slack.world
    ref = new_risk(slack, service=world.oakwood)
    soon = slack.clock.now().date() + timedelta(days=2)
    with session_scope(slack.engine) as session:
        row = risks.get_risk(session, ref)
        row.review_date = soon
        session.add(row)
    mark_ineffective(slack, user=world.manager.slack_user_id)
    assert risk(slack, ref).review_date == soon


def test_a_control_delayed_past_the_threshold_goes_to_the_board_once(slack: SlackApp) -> None:
    world = slack.world
    ref = new_risk(slack, controls=(), service=world.oakwood)
    now = slack.clock.now()
    first_due = now.date() + timedelta(days=3)
    with session_scope(slack.engine) as session:
        control = controls.add_control(
            session,
            actor=world.manager,
            risk=risks.get_risk(session, ref),
            description="Agency staff shadow a trained carer",
            owner=world.team_leader,
            due_date=first_due,
            now=now,
        )
        controls.update_status(
            session,
            actor=world.team_leader,
            control=control,
            status=ControlStatus.DELAYED,
            note="Trainer off sick",
            new_due_date=first_due + timedelta(days=10),
            now=now,
        )
    run_job("escalation", engine=slack.engine, settings=settings(), at=now)
    assert payload_text(slack.engine, "escalation:board:C-1") == []

    with session_scope(slack.engine) as session:
        controls.update_status(
            session,
            actor=world.team_leader,
            control=controls.get_control(session, 1),
            status=ControlStatus.DELAYED,
            note="Trainer still off",
            new_due_date=first_due + timedelta(days=20),
            now=now + timedelta(hours=1),
        )
    summary = run_job(
        "escalation", engine=slack.engine, settings=settings(), at=now + timedelta(hours=2)
    )
    assert "1 delayed controls posted to the board" in summary
    [post] = payload_text(slack.engine, "escalation:board:C-1")
    assert "20 days later, past the 14-day limit" in post
    assert f"Record decision on {ref}" in post
    run_job("escalation", engine=slack.engine, settings=settings(), at=now + timedelta(days=1))
    assert len(payload_text(slack.engine, "escalation:board:C-1")) == 1
    with session_scope(slack.engine) as session:
        [row] = session.exec(select(Escalation).where(Escalation.item_kind == "control")).all()
        assert row.item_ref == "C-1" and row.recipient == BOARD_CHANNEL
    slack.clock.set(now + timedelta(days=1))
    slack.deliver()
    assert any("C-1" in m["text"] for m in slack.fake.messages(BOARD_CHANNEL))
