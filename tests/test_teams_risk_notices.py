"""The rest of what golive owes reaches Teams too: a risk's post and its changes, the fallback
procedure in an outage's triage thread, the paper records' reconcile control, the ask to
verify, the checkpoint's ask, the review's notices and a legacy digest written before the
scheduled posts carried facts."""

import json
from typing import Any

from sqlmodel import Session, select

from bot.notices import RENDERERS as SLACK_RENDERERS
from schedules.posts import ScheduledNotice
from store.infra.db import session_scope
from store.records import (
    channels,
    checkpoints,
    controls,
    issues,
    outbox,
    people,
    review,
    risks,
)
from store.records.actors import COMMAND_LINE
from store.records.enums import (
    ChannelPurpose,
    Impact,
    IssueCategory,
    RiskCategory,
    RiskScope,
    Urgency,
)
from store.records.models import FaceDelivery
from store.records.outbox import Method, Notice
from teams.notices import RENDERERS as TEAMS_RENDERERS
from teams.sender import FACE
from tests.fakebotframework import BOARD_CONVERSATION, REPLY, SEND, TRIAGE_CONVERSATION
from tests.teamsapp import TeamsApp, aad_id_of

Json = dict[str, Any]


def said_in(teams: TeamsApp, conversation: str, operation: str = SEND) -> list[Json]:
    return [
        s.body
        for s in teams.fake.activities(operation)
        if s.conversation == conversation and s.status < 300
    ]


def personal(teams: TeamsApp, person: Any) -> list[Json]:
    chat = teams.fake.personal.get(teams.user(person).aad_id)
    return said_in(teams, chat) if chat else []


def new_risk(teams: TeamsApp) -> str:
    with session_scope(teams.engine) as session:
        lead = people.get_person(session, teams.world.project_lead.slack_user_id)
        risk = risks.create_risk(
            session,
            actor=lead,
            data=risks.NewRisk(
                title="PRN history does not migrate",
                category=RiskCategory.DATA_MIGRATION,
                scope=RiskScope.ORGANISATION,
                owner_id=teams.world.manager.id,
            ),
            now=teams.clock.now(),
        )
        risks.score_risk(
            session,
            actor=teams.world.quality_lead,
            ref=risk.ref,
            likelihood=4,
            impact=4,
            reason="Scored at the risk workshop",
            now=teams.clock.now(),
        )
        return risk.ref


def test_a_risks_post_and_its_change_are_cards_in_the_board_channel(teams: TeamsApp) -> None:
    ref = new_risk(teams)
    with session_scope(teams.engine) as session:
        channel = board_channel(session)
        outbox.enqueue(
            session,
            key=f"risk:{ref}:post",
            method=Method.POST,
            notice=Notice.RISK_POST,
            channel=channel,
            subject=ref,
            now=teams.clock.now(),
        )
        outbox.enqueue(
            session,
            key=f"risk:{ref}:change",
            method=Method.POST,
            notice=Notice.RISK_CHANGE,
            channel=channel,
            subject=ref,
            payload={"actor": "Quinn Quality", "summary": "rescored it 16 (extreme)"},
            now=teams.clock.now(),
        )
    teams.deliver()
    [post, change] = said_in(teams, BOARD_CONVERSATION)
    assert post["text"] == f"{ref}: PRN history does not migrate"
    shown = json.dumps(post, ensure_ascii=False)
    assert "16 (extreme)" in shown and "Mo Manager" in shown and "No controls recorded" in shown
    assert change["text"] == f"{ref}: Quinn Quality rescored it 16 (extreme)"


def board_channel(session: Session) -> str:
    """The channel golive posts the board's notices to (Teams routes it to its board channel)."""
    return channels.all_channels(session)[ChannelPurpose.BOARD]


def test_an_outage_gets_its_fallback_in_the_thread_then_reconcile_and_verification_asks(
    teams: TeamsApp,
) -> None:
    ref = teams.report(
        "The eMAR system is down on the first floor, we cannot record medication",
        category=IssueCategory.MEDICATION,
        impact=Impact.SAFE_CARE,
        urgency=Urgency.URGENT,
    )
    teams.deliver()
    [fallback] = [
        body
        for body in said_in(teams, TRIAGE_CONVERSATION, REPLY)
        if body["text"].startswith("Fallback procedure")
    ]
    assert fallback["text"] == (
        f"Fallback procedure for {ref}: record on paper until the system is back"
    )
    assert "paper MAR charts, two staff signing each dose" in json.dumps(fallback)

    with session_scope(teams.engine) as session:
        manager = people.get_person(session, teams.world.manager.slack_user_id)
        issues.assign_owner(session, actor=manager, ref=ref, owner=manager, now=teams.clock.now())
        issues.set_correction(
            session,
            actor=manager,
            ref=ref,
            action="Supplier restarted the eMAR sync",
            due=None,
            now=teams.clock.now(),
        )
        issues.resolve(session, actor=manager, ref=ref, now=teams.clock.now())
    teams.deliver()
    [reconcile] = [b for b in personal(teams, teams.world.manager) if "is resolved" in b["text"]]
    assert reconcile["text"].startswith(f"{ref} is resolved. You own C-")
    assert (
        ": back-enter and reconcile the records made on paper during the outage, by "
        in (reconcile["text"])
    )

    with session_scope(teams.engine) as session:
        manager = people.get_person(session, teams.world.manager.slack_user_id)
        issues.close(
            session,
            actor=manager,
            ref=ref,
            evidence="Doses checked against paper MAR for a day",
            now=teams.clock.now(),
        )
    with session_scope(teams.engine) as session:
        people.link_teams_user(
            session,
            actor=COMMAND_LINE,
            person=people.get_person(session, teams.world.quality_lead.slack_user_id),
            aad_id=aad_id_of(teams.world.quality_lead),
            now=teams.clock.now(),
        )
    teams.deliver()
    [ask] = [
        b
        for b in personal(teams, teams.world.quality_lead)
        if b["text"].startswith(f"{ref} needs a second person")
    ]
    assert ask["text"] == f"{ref} needs a second person to verify it before closing it counts."
    assert f"verify {ref} what you checked" in json.dumps(ask)


def test_each_control_owner_gets_the_checkpoints_ask_in_their_chat(teams: TeamsApp) -> None:
    ref = new_risk(teams)
    with session_scope(teams.engine) as session:
        lead = people.get_person(session, teams.world.project_lead.slack_user_id)
        controls.add_control(
            session,
            actor=lead,
            risk=risks.get_risk(session, ref),
            description="Double-check MAR charts against paper",
            owner=people.get_person(session, teams.world.manager.slack_user_id),
            due_date=None,
            now=teams.clock.now(),
        )
        checkpoints.open_checkpoint(
            session, actor=lead, name="Two weeks after go-live", now=teams.clock.now()
        )
    teams.deliver()
    [ask] = [b for b in personal(teams, teams.world.manager) if b["text"].startswith("Checkpoint:")]
    assert ask["text"] == (
        "Checkpoint: Two weeks after go-live. Where does each of your controls stand?"
    )
    shown = json.dumps(ask, ensure_ascii=False)
    assert f"(on {ref}) Double-check MAR charts against paper: planned" in shown


def test_a_legacy_digest_is_delivered_as_its_plain_text_and_nothing_is_left_unrendered(
    teams: TeamsApp,
) -> None:
    with session_scope(teams.engine) as session:
        outbox.enqueue(
            session,
            key="digest:legacy",
            method=Method.POST,
            notice=Notice.DIGEST,
            channel=board_channel(session),
            payload={"text": "Daily digest: *3* new issues", "blocks": []},
            now=teams.clock.now(),
        )
    teams.deliver()
    [post] = said_in(teams, BOARD_CONVERSATION)
    assert post["text"] == "Daily digest: *3* new issues"
    assert post["attachments"][0]["content"]["body"][0]["type"] == "RichTextBlock"
    with session_scope(teams.engine, write=False) as session:
        skipped = [
            d.last_error
            for d in session.exec(select(FaceDelivery).where(FaceDelivery.face == FACE))
            if d.status == "skipped"
        ]
    assert not [reason for reason in skipped if "renderer" in str(reason)]


def test_the_review_asks_for_verdicts_on_the_risks_recorded_before_go_live(
    teams: TeamsApp,
) -> None:
    ref = new_risk(teams)
    with session_scope(teams.engine) as session:
        quality = people.get_person(session, teams.world.quality_lead.slack_user_id)
        people.link_teams_user(
            session,
            actor=COMMAND_LINE,
            person=quality,
            aad_id=aad_id_of(teams.world.quality_lead),
            now=teams.clock.now(),
        )
        current = review.start_review(
            session,
            actor=quality,
            findings=review.Findings(
                data_quality="Care notes complete on audit",
                staff_confidence="Night staff confident after refreshers",
                record_completion="MAR completion at 99%",
                workflow_stability="No workarounds left in use",
            ),
            now=teams.clock.now(),
        )
        review_ref = current.ref
    teams.deliver()
    [ask] = [
        b
        for b in personal(teams, teams.world.quality_lead)
        if b["text"].startswith("Post-implementation review")
    ]
    assert ask["text"] == (
        f"Post-implementation review {review_ref}: did the controls work for the whole "
        "organisation?"
    )
    shown = json.dumps(ask, ensure_ascii=False)
    assert f"{ref}" in shown and "PRN history does not migrate · Extreme (16)" in shown


def test_teams_has_a_card_for_every_notice_golive_owes() -> None:
    """Both faces word every kind: a kind Slack words and Teams does not would be skipped for
    a Teams provider, who would never hear of it."""
    owed = {str(kind) for kind in Notice} | {str(kind) for kind in ScheduledNotice}
    assert owed - set(TEAMS_RENDERERS) == set()
    assert set(SLACK_RENDERERS) - set(TEAMS_RENDERERS) == set()
