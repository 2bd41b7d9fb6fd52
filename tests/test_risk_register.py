"""The project lead and registered managers keep the risk register in Slack: record a risk in
a modal, list the register highest score first with filters, open one risk with its history,
controls, decisions and buttons, edit it and change its status; refusals are private."""

import json
from datetime import timedelta

from bot.ids import ControlIds, DecisionIds, RiskIds, ScoreIds
from bot.views.risks import ORGANISATION, SERVICE_PREFIX
from store.infra.db import session_scope
from store.records import risks
from store.records.enums import RiskCategory, RiskScope, RiskStatus
from tests.risk_helpers import (
    answers,
    block,
    new_risk,
    opened,
    private_text,
    risk,
    score,
    trail,
)
from tests.slack_requests import datepicker, plain_text_input, static_select, users_select
from tests.slackapp import SlackApp


def listed(slack: SlackApp) -> list[str]:
    """The refs in the last register reply, in the order shown."""
    blocks = slack.replies()[-1]["blocks"]
    return [b["accessory"]["value"] for b in blocks if b.get("accessory")]


def add_answers(slack: SlackApp, **overrides: object) -> dict:
    chosen = {
        RiskIds.TITLE: plain_text_input("Night staff cannot log in to the tablets"),
        RiskIds.DESCRIPTION: plain_text_input("Passwords expire on first use"),
        RiskIds.CATEGORY: static_select("access"),
        RiskIds.SCOPE: static_select(ORGANISATION),
        RiskIds.OWNER: users_select(slack.world.manager.slack_user_id),
        RiskIds.ESCALATION_ROUTE: plain_text_input("Project board, then supplier"),
        RiskIds.CONTROLS: plain_text_input("Print login cards\n\nSupplier resets on call"),
        RiskIds.REVIEW_DATE: datepicker(slack.clock.now().date() + timedelta(days=14)),
    }
    chosen.update(overrides)  # type: ignore[arg-type]
    return answers(**chosen)


def test_project_lead_records_an_organisation_risk_with_first_controls(slack: SlackApp) -> None:
    lead = slack.world.project_lead.slack_user_id
    slack.command("risk add", user=lead)
    modal = opened(slack)
    assert modal["callback_id"] == RiskIds.ADD_VIEW
    scopes = [o["value"] for o in block(modal, RiskIds.SCOPE)["element"]["options"]]
    assert scopes == [
        ORGANISATION,
        f"{SERVICE_PREFIX}{slack.world.oakwood.id}",
        f"{SERVICE_PREFIX}{slack.world.riverside.id}",
    ]

    answer = slack.submit(modal, add_answers(slack), user=lead)

    assert answer.json()["response_action"] == "update"
    assert "R-001" in json.dumps(answer.json()["view"])
    recorded = risk(slack, "R-001")
    assert (recorded.scope, recorded.category) == (RiskScope.ORGANISATION, RiskCategory.ACCESS)
    assert recorded.owner_id == slack.world.manager.id
    assert recorded.escalation_route == "Project board, then supplier"
    with session_scope(slack.engine) as session:
        first = [c.description for c in risks.controls_of(session, recorded)]
    assert first == ["Print login cards", "Supplier resets on call"]
    events = trail(slack, "R-001")
    assert {(e.action, e.field) for e in events} >= {("created", "title"), ("created", "owner_id")}
    assert {e.actor_name for e in events} == {"Pat Project"}


def test_registered_manager_is_offered_and_allowed_only_their_own_service(
    slack: SlackApp,
) -> None:
    manager = slack.world.manager.slack_user_id
    slack.command("risk add", user=manager)
    modal = opened(slack)
    scope = block(modal, RiskIds.SCOPE)["element"]
    assert [o["value"] for o in scope["options"]] == [f"{SERVICE_PREFIX}{slack.world.oakwood.id}"]
    assert scope["initial_option"]["value"] == f"{SERVICE_PREFIX}{slack.world.oakwood.id}"

    forged = add_answers(
        slack, **{RiskIds.SCOPE: static_select(f"{SERVICE_PREFIX}{slack.world.riverside.id}")}
    )
    refused = slack.submit(modal, forged, user=manager)
    assert refused.json()["response_action"] == "push"
    assert "You can't record and edit this risk" in json.dumps(refused.json()["view"])
    with session_scope(slack.engine) as session:
        assert risks.count_risks(session) == 0

    own = add_answers(
        slack, **{RiskIds.SCOPE: static_select(f"{SERVICE_PREFIX}{slack.world.oakwood.id}")}
    )
    assert slack.submit(modal, own, user=manager).json()["response_action"] == "update"
    assert risk(slack, "R-001").service_id == slack.world.oakwood.id


def test_staff_asking_to_record_a_risk_are_refused_privately(slack: SlackApp) -> None:
    slack.command("risk add", user=slack.world.staff.slack_user_id)
    assert slack.fake.calls("views.open") == []
    assert "You can't record and edit this risk" in slack.last_reply()


def test_a_missing_title_and_a_past_review_date_come_back_beside_the_fields(
    slack: SlackApp,
) -> None:
    lead = slack.world.project_lead.slack_user_id
    slack.command("risk add", user=lead)
    modal = opened(slack)
    no_title = slack.submit(
        modal, add_answers(slack, **{RiskIds.TITLE: plain_text_input("")}), user=lead
    )
    assert no_title.json() == {
        "response_action": "errors",
        "errors": {RiskIds.TITLE: "The risk is required"},
    }
    yesterday = slack.clock.now().date() - timedelta(days=1)
    past = slack.submit(
        modal, add_answers(slack, **{RiskIds.REVIEW_DATE: datepicker(yesterday)}), user=lead
    )
    assert past.json()["response_action"] == "errors"
    assert "past" in past.json()["errors"][RiskIds.REVIEW_DATE]
    with session_scope(slack.engine) as session:
        assert risks.count_risks(session) == 0


def test_register_lists_highest_score_first_and_filters(slack: SlackApp) -> None:
    low = new_risk(slack, title="Printer paper runs out")
    top = new_risk(
        slack,
        title="Medication <!channel> history lost",
        service=slack.world.oakwood,
        category=RiskCategory.MEDICATION_ROUTINES,
        owner=slack.world.quality_lead,
    )
    unscored = new_risk(slack, title="Agency staff not trained")
    score(slack, low, 1, 2)
    score(slack, top, 4, 5)
    quality = slack.world.quality_lead.slack_user_id

    slack.command("risks", user=quality)
    assert listed(slack) == [top, low, unscored]
    shown = json.dumps(slack.replies()[-1]["blocks"])
    assert "&lt;!channel&gt;" in shown
    assert "<!channel>" not in shown

    slack.command("risks band:extreme", user=quality)
    assert listed(slack) == [top]
    slack.command("risks service:oakwood category:medication-routines", user=quality)
    assert listed(slack) == [top]
    slack.command(f"risks owner:<@{slack.world.quality_lead.slack_user_id}|quinn>", user=quality)
    assert listed(slack) == [top]

    with session_scope(slack.engine) as session:
        risks.set_review_date(
            session,
            actor=slack.world.quality_lead,
            ref=low,
            review_date=slack.clock.now().date(),
            now=slack.clock.now(),
        )
    slack.clock.advance(timedelta(days=2))
    slack.command("risks overdue", user=quality)
    assert listed(slack) == [low]
    assert "overdue" in json.dumps(slack.replies()[-1]["blocks"])

    slack.command("risks band:purple", user=quality)
    assert "'purple' is not one of: low, moderate, high, extreme" in slack.last_reply()


def test_staff_cannot_read_the_register(slack: SlackApp) -> None:
    new_risk(slack)
    slack.command("risks", user=slack.world.staff.slack_user_id)
    assert "You can't see the risk register" in slack.last_reply()
    slack.command("risk R-001", user=slack.world.staff.slack_user_id)
    assert "You can't see the risk register" in slack.last_reply()


def test_one_risk_shows_its_scores_controls_decisions_and_buttons(slack: SlackApp) -> None:
    ref = new_risk(slack)
    score(slack, ref, 4, 4)
    score(slack, ref, 2, 4)
    slack.command(f"risk {ref}", user=slack.world.board_member.slack_user_id)
    shown = slack.replies()[-1]
    dumped = json.dumps(shown["blocks"], ensure_ascii=False)
    assert "Score history" in dumped and "*16* (4 × 4)" in dumped and "*8* (2 × 4)" in dumped
    assert "Double-check MAR charts" in dumped
    buttons = {
        e["action_id"]: e["value"]
        for b in shown["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert buttons == {
        ScoreIds.OPEN: ref,
        ControlIds.ADD: ref,
        DecisionIds.OPEN: ref,
        RiskIds.EDIT: ref,
        RiskIds.STATUS: ref,
    }
    slack.command("risk R-099", user=slack.world.board_member.slack_user_id)
    assert "There is no risk R-099" in slack.last_reply()


def test_open_button_in_the_list_shows_the_risk(slack: SlackApp) -> None:
    ref = new_risk(slack)
    slack.action(RiskIds.SHOW, ref, user=slack.world.project_lead.slack_user_id)
    assert f"{ref} Medication history" in slack.last_reply()


def test_registered_manager_edits_own_service_risk_but_not_anothers(slack: SlackApp) -> None:
    ref = new_risk(slack, actor=slack.world.manager, service=slack.world.oakwood)
    manager = slack.world.manager.slack_user_id
    slack.action(RiskIds.EDIT, ref, user=manager)
    modal = opened(slack)
    assert block(modal, RiskIds.TITLE)["element"]["initial_value"].startswith("Medication")
    values = answers(
        **{
            RiskIds.TITLE: plain_text_input("PRN history missing after migration"),
            RiskIds.DESCRIPTION: plain_text_input(""),
            RiskIds.OWNER: users_select(slack.world.team_leader.slack_user_id),
            RiskIds.ESCALATION_ROUTE: plain_text_input("Registered manager, then board"),
        }
    )
    assert slack.submit(modal, values, user=manager).json()["response_action"] == "update"
    edited = risk(slack, ref)
    assert (edited.title, edited.owner_id) == (
        "PRN history missing after migration",
        slack.world.team_leader.id,
    )
    changed = {
        (e.field, e.old_value, e.new_value)
        for e in trail(slack, ref)
        if e.action == "details changed"
    }
    assert (
        "title",
        "Medication history does not migrate for residents on PRN",
        "PRN history missing after migration",
    ) in changed

    slack.fake.clear()
    slack.action(RiskIds.EDIT, ref, user=slack.world.other_manager.slack_user_id)
    assert "You can't record and edit this risk" in private_text(slack)
    refused = slack.submit(modal, values, user=slack.world.other_manager.slack_user_id)
    assert refused.json()["response_action"] == "push"


def test_project_lead_closes_a_risk_with_a_reason(slack: SlackApp) -> None:
    ref = new_risk(slack)
    lead = slack.world.project_lead.slack_user_id
    slack.action(RiskIds.STATUS, ref, user=lead)
    modal = opened(slack)
    missing = slack.submit(
        modal,
        answers(
            **{RiskIds.NEW_STATUS: static_select("closed"), RiskIds.NOTE: plain_text_input("")}
        ),
        user=lead,
    )
    assert missing.json()["errors"] == {RiskIds.NOTE: "The reason is required"}
    slack.submit(
        modal,
        answers(
            **{
                RiskIds.NEW_STATUS: static_select("closed"),
                RiskIds.NOTE: plain_text_input("Migration re-run and checked"),
            }
        ),
        user=lead,
    )
    assert risk(slack, ref).status == RiskStatus.CLOSED
    actions = [(e.action, e.new_value) for e in trail(slack, ref)]
    assert ("status closed", "closed") in actions
    assert ("status note", "Migration re-run and checked") in actions
