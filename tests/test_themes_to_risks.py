"""Themes become risks and training needs: a repeated theme in the daily digest carries one
button to raise it as a linked risk on that service and one to log a training need; training
needs roll up by service in the weekly board review."""

from datetime import timedelta

from sqlmodel import col, select

from bot.ids import ThemeIds
from schedules.jobs import run_job
from store.infra.db import session_scope
from store.records import risks
from store.records.enums import IssueCategory, RiskScope, Role
from store.records.models import OutboxMessage, Risk, TrainingNeed
from tests.conftest import START
from tests.posted import posted_json
from tests.schedules_world import seed, settings
from tests.slackapp import SlackApp
from tests.world import PROJECT_CHANNEL


def digest_post(slack: SlackApp) -> dict:
    run_job("daily_digest", engine=slack.engine, settings=settings(), at=START)
    slack.clock.set(START)
    slack.deliver()
    [post] = [m for m in slack.fake.messages(PROJECT_CHANNEL) if "digest" in m["text"].lower()]
    return post


def theme_buttons(post: dict) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in post["blocks"]
        if block["type"] == "actions" and block.get("block_id") == "digest_theme_1"
        for element in block["elements"]
    }


def test_project_lead_raises_a_repeated_theme_as_a_linked_risk_in_one_click(
    slack: SlackApp,
) -> None:
    seeded = seed(slack.engine, slack.world, start=START)
    post = digest_post(slack)
    buttons = theme_buttons(post)
    assert buttons[ThemeIds.RAISE_RISK] == ",".join(seeded.themes)

    value = buttons[ThemeIds.RAISE_RISK]
    slack.action(
        ThemeIds.RAISE_RISK,
        value,
        user=slack.world.staff.slack_user_id,
        message=post,
        channel_id=PROJECT_CHANNEL,
    )
    assert "You can't record and edit this risk" in slack.last_reply()

    slack.action(
        ThemeIds.RAISE_RISK,
        value,
        user=slack.world.project_lead.slack_user_id,
        message=post,
        channel_id=PROJECT_CHANNEL,
    )
    reply = slack.last_reply()
    assert "Raised *R-" in reply and "Repeated missing or wrong records issues at" in reply
    with session_scope(slack.engine) as session:
        [risk] = session.exec(select(Risk).where(col(Risk.title).startswith("Repeated"))).all()
        assert risk.scope == RiskScope.SERVICE
        assert risk.service_id == slack.world.oakwood.id
        assert risk.owner_id == slack.world.project_lead.id
        for ref in seeded.themes:
            assert ref in risk.description
        ref = risk.ref

    slack.action(
        ThemeIds.RAISE_RISK,
        value,
        user=slack.world.project_lead.slack_user_id,
        message=post,
        channel_id=PROJECT_CHANNEL,
    )
    assert f"already on the register as {ref}" in slack.last_reply()
    with session_scope(slack.engine) as session:
        assert risks.get_risk(session, ref).title.startswith("Repeated")
        assert (
            len(session.exec(select(Risk).where(col(Risk.title).startswith("Repeated"))).all()) == 1
        )


def test_a_training_need_is_logged_once_and_rolls_up_in_the_weekly_review(
    slack: SlackApp,
) -> None:
    seeded = seed(slack.engine, slack.world, start=START)
    post = digest_post(slack)
    value = theme_buttons(post)[ThemeIds.TRAINING_NEED]
    lead = slack.world.project_lead.slack_user_id
    slack.action(ThemeIds.TRAINING_NEED, value, user=lead, message=post, channel_id=PROJECT_CHANNEL)
    assert "Logged training need *TN-1*" in slack.last_reply()
    slack.action(ThemeIds.TRAINING_NEED, value, user=lead, message=post, channel_id=PROJECT_CHANNEL)
    assert "already has this training need logged (TN-1)" in slack.last_reply()
    with session_scope(slack.engine) as session:
        [need] = session.exec(select(TrainingNeed)).all()
        assert (need.service_id, need.role, need.topic) == (
            slack.world.oakwood.id,
            Role.STAFF,
            IssueCategory.RECORDS,
        )
        assert need.issue_refs == ", ".join(seeded.themes)

    at = START + timedelta(days=7)
    run_job("board_review", engine=slack.engine, settings=settings(), at=at)
    with session_scope(slack.engine) as session:
        review = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.key).startswith("board_review:"))
        ).all()[-1]
        text = posted_json(session, review)
    assert "Training needs by service" in text
    assert "Oakwood House: Missing or wrong records (staff)" in text


def test_a_forged_theme_mixing_services_is_refused(slack: SlackApp) -> None:
    seed(slack.engine, slack.world, start=START)
    post = digest_post(slack)
    slack.action(
        ThemeIds.RAISE_RISK,
        "GL-0001,GL-0002",
        user=slack.world.project_lead.slack_user_id,
        message=post,
        channel_id=PROJECT_CHANNEL,
    )
    assert "not one theme" in slack.last_reply()
