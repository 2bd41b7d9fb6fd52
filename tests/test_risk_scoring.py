"""The quality lead scores each risk on the NHS 5x5 matrix in Slack: the words for each
likelihood and impact, the score and band shown as soon as they are chosen, a reason kept with
every scoring, the review date, the target and the priority controls."""

import json
from datetime import timedelta

from bot.ids import ScoreIds
from store.infra.db import session_scope
from store.records import risks
from tests.risk_helpers import answers, block, new_risk, opened, private_text, risk, trail
from tests.slack_requests import checkboxes, datepicker, plain_text_input, static_select
from tests.slackapp import SlackApp


def score_answers(
    likelihood: str | None = "4",
    impact: str | None = "3",
    reason: str = "Two homes had PRN gaps in the dry run",
    **extra: dict,
) -> dict:
    return answers(
        **{
            ScoreIds.LIKELIHOOD: static_select(likelihood),
            ScoreIds.IMPACT: static_select(impact),
            ScoreIds.REASON: plain_text_input(reason),
            ScoreIds.REVIEW_DATE: datepicker(None),
            ScoreIds.TARGET_LIKELIHOOD: static_select(None),
            ScoreIds.TARGET_IMPACT: static_select(None),
            **extra,
        }
    )


def test_score_modal_shows_the_nhs_words_and_the_score_at_once(slack: SlackApp) -> None:
    ref = new_risk(slack)
    quality = slack.world.quality_lead.slack_user_id
    slack.action(ScoreIds.OPEN, ref, user=quality)
    modal = opened(slack)
    assert modal["callback_id"] == ScoreIds.VIEW
    likelihood = block(modal, ScoreIds.LIKELIHOOD)
    assert likelihood["dispatch_action"] is True
    third = likelihood["element"]["options"][2]
    assert third["text"]["text"] == "3 · Possible"
    assert third["description"]["text"] == "Might happen occasionally"
    impact_words = [o["text"]["text"] for o in block(modal, ScoreIds.IMPACT)["element"]["options"]]
    assert impact_words[-1] == "5 · Catastrophic"
    assert "Not scored yet" in block(modal, ScoreIds.RESULT)["text"]["text"]

    state = answers(
        **{ScoreIds.LIKELIHOOD: static_select("4"), ScoreIds.IMPACT: static_select("3")}
    )
    slack.action(
        ScoreIds.IMPACT,
        user=quality,
        view=modal,
        state_values=state,
        action=static_select("3"),
        block_id=ScoreIds.IMPACT,
    )
    now_shown = slack.fake.view(modal["id"])
    result = block(now_shown, ScoreIds.RESULT)["text"]["text"]
    assert "*12* (4 × 3)" in result and "*High*" in result
    assert now_shown["callback_id"] == ScoreIds.VIEW


def test_quality_lead_scores_with_reason_review_date_target_and_priority(slack: SlackApp) -> None:
    ref = new_risk(slack)
    quality = slack.world.quality_lead.slack_user_id
    slack.command(f"score {ref}", user=quality)
    modal = opened(slack)
    [control_option] = block(modal, ScoreIds.PRIORITY)["element"]["options"]
    review = slack.clock.now().date() + timedelta(days=7)
    answer = slack.submit(
        modal,
        score_answers(
            **{
                ScoreIds.REVIEW_DATE: datepicker(review),
                ScoreIds.TARGET_LIKELIHOOD: static_select("2"),
                ScoreIds.TARGET_IMPACT: static_select("3"),
                ScoreIds.PRIORITY: checkboxes(control_option["value"]),
            }
        ),
        user=quality,
    )
    assert answer.json()["response_action"] == "update"
    assert "*12*" in json.dumps(answer.json()["view"], ensure_ascii=False)
    scored = risk(slack, ref)
    assert (scored.likelihood, scored.impact, scored.score) == (4, 3, 12)
    assert scored.review_date == review
    assert (scored.target_likelihood, scored.target_impact) == (2, 3)
    with session_scope(slack.engine) as session:
        history = risks.assessments(session, scored)
        [control] = risks.controls_of(session, scored)
    assert [(a.likelihood, a.impact, a.reason) for a in history] == [
        (4, 3, "Two homes had PRN gaps in the dry run")
    ]
    assert history[0].assessed_by_id == slack.world.quality_lead.id
    assert control.priority is True
    actions = {(e.action, e.field) for e in trail(slack, ref)}
    assert {
        ("scored", "likelihood"),
        ("scored", "impact"),
        ("review date set", "review_date"),
        ("target set", "target_likelihood"),
    } <= actions
    assert ("priority set", "priority") in {(e.action, e.field) for e in trail(slack, control.ref)}


def test_every_rescore_is_kept_with_who_when_and_why(slack: SlackApp) -> None:
    ref = new_risk(slack)
    quality = slack.world.quality_lead.slack_user_id
    slack.command(f"score {ref}", user=quality)
    slack.submit(opened(slack), score_answers("5", "4", "Dry run failed"), user=quality)
    slack.clock.advance(timedelta(days=7))
    slack.command(f"score {ref}", user=quality)
    modal = opened(slack)
    assert block(modal, ScoreIds.LIKELIHOOD)["element"]["initial_option"]["value"] == "5"
    slack.submit(modal, score_answers("2", "4", "Checks in place"), user=quality)
    with session_scope(slack.engine) as session:
        history = risks.assessments(session, risks.get_risk(session, ref))
    assert [(a.likelihood * a.impact, a.reason) for a in history] == [
        (20, "Dry run failed"),
        (8, "Checks in place"),
    ]
    assert history[1].assessed_at - history[0].assessed_at == timedelta(days=7)


def test_only_the_quality_lead_may_score(slack: SlackApp) -> None:
    ref = new_risk(slack)
    slack.action(ScoreIds.OPEN, ref, user=slack.world.project_lead.slack_user_id)
    assert "You can't score risks" in private_text(slack)
    assert slack.fake.calls("views.open") == []

    slack.command(f"score {ref}", user=slack.world.quality_lead.slack_user_id)
    modal = opened(slack)
    forged = slack.submit(modal, score_answers(), user=slack.world.project_lead.slack_user_id)
    assert forged.json()["response_action"] == "push"
    assert "You can't score risks" in json.dumps(forged.json()["view"])
    assert risk(slack, ref).score is None


def test_invalid_scores_reasons_and_dates_come_back_as_field_errors(slack: SlackApp) -> None:
    ref = new_risk(slack)
    quality = slack.world.quality_lead.slack_user_id
    slack.command(f"score {ref}", user=quality)
    modal = opened(slack)

    def errors(values: dict) -> dict:
        answer = slack.submit(modal, values, user=quality).json()
        assert answer["response_action"] == "errors"
        return answer["errors"]

    assert errors(score_answers(likelihood="7")) == {
        ScoreIds.LIKELIHOOD: "Likelihood must be from 1 to 5, not 7"
    }
    assert ScoreIds.IMPACT in errors(score_answers(impact=None))
    assert errors(score_answers(reason=" ")) == {
        ScoreIds.REASON: "The reason for this score is required"
    }
    yesterday = slack.clock.now().date() - timedelta(days=1)
    past = errors(score_answers(**{ScoreIds.REVIEW_DATE: datepicker(yesterday)}))
    assert "in the past" in past[ScoreIds.REVIEW_DATE]
    half = errors(score_answers(**{ScoreIds.TARGET_LIKELIHOOD: static_select("2")}))
    assert half == {ScoreIds.TARGET_IMPACT: "A target needs both a likelihood and an impact"}
    assert risk(slack, ref).score is None
    assert [e for e in trail(slack, ref) if e.action == "scored"] == []


def test_slack_refusing_the_modal_is_explained_privately(slack: SlackApp) -> None:
    ref = new_risk(slack)
    slack.fake.fail("views.open", "expired_trigger_id")
    slack.action(ScoreIds.OPEN, ref, user=slack.world.quality_lead.slack_user_id)
    assert "Slack did not accept golive's request (expired_trigger_id)" in private_text(slack)
    assert risk(slack, ref).score is None
