"""The scheduled posts reach Teams: the real jobs run with an injected clock, the real Teams
sender delivers their rows to the fake Bot Framework, and each card says its period's figures
and references, once, with buttons that show an issue or a risk in place."""

import json
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from schedules.jobs import run_job
from store.infra.db import session_scope
from store.records import channels, issues, phases, risks
from store.records.enums import ChannelPurpose, IssueCategory, Phase, Urgency
from store.records.models import OutboxMessage, Service
from teams import cards
from teams.notices import RENDERERS
from tests.conftest import START
from tests.fakebotframework import (
    BOARD_CONVERSATION,
    PROJECT_CONVERSATION,
    SEND,
    TRIAGE_CONVERSATION,
)
from tests.schedules_world import report, seed, settings
from tests.teamsapp import TeamsApp

Json = dict[str, Any]
DAY = timedelta(days=1)


def posted(teams: TeamsApp, conversation: str, starts: str) -> list[Json]:
    """What golive sent to ``conversation`` whose notification text starts with ``starts``."""
    return [
        sent.body
        for sent in teams.fake.activities(SEND)
        if sent.conversation == conversation
        and sent.status < 300
        and str(sent.body.get("text", "")).startswith(starts)
    ]


def card_of(activity: Json) -> Json:
    content: Json = activity["attachments"][0]["content"]
    return content


def executes(card: Json) -> list[Json]:
    """Every Action.Execute on a card, wherever it sits."""
    found: list[Json] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def click(teams: TeamsApp, action: Json, *, by: Any, conversation: str) -> Json:
    value = {
        "action": {"type": "Action.Execute", "verb": action["verb"], "data": action["data"]},
        "trigger": "manual",
    }
    answer = teams.invoke(
        "adaptiveCard/action", value, by=by, conversation=conversation, conversation_type="channel"
    )
    assert answer.status_code == 200
    body: Json = answer.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    return body["value"]


def deliver_at(teams: TeamsApp, moment: Any) -> None:
    teams.clock.set(moment)
    teams.deliver()


def test_the_daily_digest_reaches_the_teams_project_channel_once_with_the_days_figures(
    teams: TeamsApp,
) -> None:
    seeded = seed(teams.engine, teams.world, start=START)
    run_job("daily_digest", engine=teams.engine, settings=settings(), at=START)
    deliver_at(teams, START)
    again = run_job(
        "daily_digest", engine=teams.engine, settings=settings(), at=START + timedelta(hours=2)
    )
    assert again.endswith("already done")
    deliver_at(teams, START + timedelta(hours=2))

    [digest] = posted(teams, PROJECT_CONVERSATION, "Go-live daily digest")
    assert digest["text"] == (
        "Go-live daily digest for Mon 23 Nov 2026: 5 new issues, 2 urgent or safe-care open"
    )
    shown = json.dumps(card_of(digest), ensure_ascii=False)
    assert "New issues: 5" in shown and "Missing or wrong records · Oakwood House: 3" in shown
    assert "Urgent or affecting safe care, still open (2)" in shown
    assert seeded.urgent in shown and "Paper MAR charts and a second-checker each round" in shown
    assert "No immediate control recorded" in shown
    assert "Overdue correction actions (1)" in shown and seeded.overdue_correction in shown
    assert "Supplier to fix the round times, due Fri 20 Nov" in shown
    assert "Missing or wrong records at Oakwood House: 3" in shown
    assert "Open unsafe workarounds (1)" in shown and seeded.unsafe in shown
    assert f"Closed: 1 ({seeded.closed})" in shown
    # What staff typed is a run of text, never markdown or a Slack mention.
    assert "<!channel> tablets & chargers <b>gone</b>" in shown
    hostile = [
        block
        for block in card_of(digest)["body"]
        if "tablets & chargers" in json.dumps(block, ensure_ascii=False)
    ]
    assert hostile and all(block["type"] == "RichTextBlock" for block in hostile)
    shows = [a["data"]["ref"] for a in executes(card_of(digest)) if a["verb"] == "notice_show"]
    assert shows == [seeded.urgent, seeded.hostile]


def test_a_triager_sees_an_issue_from_the_digest_in_place_and_staff_see_it_without_actions(
    teams: TeamsApp,
) -> None:
    seeded = seed(teams.engine, teams.world, start=START)
    run_job("daily_digest", engine=teams.engine, settings=settings(), at=START)
    deliver_at(teams, START)
    [digest] = posted(teams, PROJECT_CONVERSATION, "Go-live daily digest")
    [show] = [a for a in executes(card_of(digest)) if a["data"].get("ref") == seeded.urgent]

    triage = click(teams, show, by=teams.world.manager, conversation=PROJECT_CONVERSATION)
    verbs = {action.get("title") for action in triage["actions"]}
    assert {"Assign owner", "Resolve", "Back"} <= verbs
    assert "Night staff cannot log in to record medication" in json.dumps(triage)

    plain = click(teams, show, by=teams.world.staff, conversation=PROJECT_CONVERSATION)
    assert [action["title"] for action in plain["actions"]] == ["Back"]
    assert seeded.urgent in json.dumps(plain)

    [back] = [a for a in plain["actions"] if a["title"] == "Back"]
    again = click(teams, back, by=teams.world.staff, conversation=PROJECT_CONVERSATION)
    assert again == card_of(digest)


def test_a_repeated_theme_in_the_digest_is_raised_as_a_risk_from_teams_once(
    teams: TeamsApp,
) -> None:
    seeded = seed(teams.engine, teams.world, start=START)
    run_job("daily_digest", engine=teams.engine, settings=settings(), at=START)
    deliver_at(teams, START)
    [digest] = posted(teams, PROJECT_CONVERSATION, "Go-live daily digest")
    [raise_risk, log_need] = [
        a for a in executes(card_of(digest)) if a["verb"].startswith("theme_")
    ]
    assert raise_risk["title"] == "Raise as risk: Missing or wrong records (1)"
    assert raise_risk["data"]["refs"] == ",".join(seeded.themes)

    raised = click(
        teams, raise_risk, by=teams.world.project_lead, conversation=PROJECT_CONVERSATION
    )
    said = raised["body"][0]["text"]
    assert said.startswith("Raised R-005 Repeated missing or wrong records issues at Oakwood House")
    assert raised["body"][1:] == card_of(digest)["body"]
    again = click(teams, raise_risk, by=teams.world.project_lead, conversation=PROJECT_CONVERSATION)
    assert again["body"][0]["text"] == "This theme is already on the register as R-005"
    with session_scope(teams.engine, write=False) as session:
        assert risks.count_risks(session) == 5

    logged = click(teams, log_need, by=teams.world.manager, conversation=PROJECT_CONVERSATION)
    assert logged["body"][0]["text"].startswith("Logged training need")


def test_the_board_review_reaches_the_teams_board_channel_with_the_register_and_risk_buttons(
    teams: TeamsApp,
) -> None:
    seeded = seed(teams.engine, teams.world, start=START)
    run_job("board_review", engine=teams.engine, settings=settings(), at=START)
    deliver_at(teams, START)
    run_job("board_review", engine=teams.engine, settings=settings(), at=START + DAY)
    deliver_at(teams, START + DAY)

    [review] = posted(teams, BOARD_CONVERSATION, "Weekly board review")
    assert review["text"] == (
        "Weekly board review for week of Mon 23 Nov 2026: 4 open risks, 1 extreme, 1 high"
    )
    card = card_of(review)
    shown = json.dumps(card, ensure_ascii=False)
    assert "Register at a glance (4 open risks, 1 not yet scored)" in shown
    heat = [
        item["text"] for b in card["body"] if b.get("type") == "Container" for item in b["items"]
    ]
    assert heat[3] == "4 Likely        ·  ·  ·  1  ·"
    assert "High **1** (was 0)" in shown and "Moderate **1** (was 2)" in shown
    assert seeded.extreme in shown and "score 16" in shown and "review Mon 16 Nov" in shown
    assert f"Risk reviews overdue: 1 ({seeded.extreme})" in shown
    assert f"{seeded.high} 6 → 9 (up)" in shown
    assert "Issues this week: **8** new" in shown
    [first, second] = executes(card)
    assert (first["data"]["ref"], second["data"]["ref"]) == (seeded.extreme, seeded.high)

    risk = click(teams, first, by=teams.world.project_lead, conversation=BOARD_CONVERSATION)
    said = json.dumps(risk, ensure_ascii=False)
    assert "Medication history does not migrate for residents on PRN" in said
    assert "16 (extreme)" in said and "Mon 16 Nov (overdue)" in said
    assert "Double-check MAR charts against paper for two weeks" in said
    refused = click(teams, first, by=teams.world.staff, conversation=BOARD_CONVERSATION)
    assert "PRN" not in json.dumps(refused) and refused["actions"][0]["title"] == "Back"


def test_escalations_reach_the_board_channel_and_the_managers_chat_once_each(
    teams: TeamsApp,
) -> None:
    seeded = seed(teams.engine, teams.world, start=START)
    run_job("escalation", engine=teams.engine, settings=settings(), at=START)
    deliver_at(teams, START)
    run_job("escalation", engine=teams.engine, settings=settings(), at=START + timedelta(hours=1))
    deliver_at(teams, START + timedelta(hours=1))

    [risk] = posted(teams, BOARD_CONVERSATION, f"Escalated to the board: {seeded.extreme}")
    shown = json.dumps(card_of(risk), ensure_ascii=False)
    assert "Board escalation · " + seeded.extreme in shown
    assert "Extreme risk still unresolved after more than 24 hours" in shown
    assert "owner Mo Manager" in shown
    assert "Double-check MAR charts against paper for two weeks: planned" in shown
    assert "(overdue)" in shown
    assert [a["data"]["ref"] for a in executes(card_of(risk))] == [seeded.extreme]
    [issue] = posted(teams, BOARD_CONVERSATION, f"Escalated to the board: {seeded.urgent}")
    assert [a["data"]["ref"] for a in executes(card_of(issue))] == [seeded.urgent]

    for day in range(2):
        run_job("reminders", engine=teams.engine, settings=settings(), at=START + day * DAY)
        run_job(
            "escalation",
            engine=teams.engine,
            settings=settings(),
            at=START + day * DAY + timedelta(hours=2),
        )
        deliver_at(teams, START + day * DAY + timedelta(hours=2))
    chat = teams.fake.personal[teams.user(teams.world.project_lead).aad_id]
    [raised] = posted(teams, chat, "3 overdue items not acknowledged")
    said = json.dumps(card_of(raised), ensure_ascii=False)
    assert "Escalated to you: 3" in said
    assert "C-1" in said and seeded.overdue_correction in said and seeded.extreme in said
    assert "owner Rae Manager · due Fri 20 Nov · 2 reminders unanswered" in said
    assert [a["data"]["ref"] for a in executes(card_of(raised))] == [
        seeded.overdue_correction,
        seeded.extreme,
    ]


def test_handover_and_commissioner_summaries_reach_teams_where_their_channels_point(
    teams: TeamsApp,
) -> None:
    seeded = seed(teams.engine, teams.world, start=START)
    with session_scope(teams.engine, write=False) as session:
        routes = channels.all_channels(session)
    with session_scope(teams.engine) as session:
        service = session.get(Service, teams.world.oakwood.id)
        assert service is not None
        service.channel_id = routes[ChannelPurpose.TRIAGE]
        session.add(service)
    config = settings(commissioner_channel=routes[ChannelPurpose.BOARD])
    month_end = START + 8 * DAY
    run_job("escalation", engine=teams.engine, settings=config, at=START - timedelta(hours=1))
    deliver_at(teams, START - timedelta(hours=1))
    run_job("escalation", engine=teams.engine, settings=config, at=month_end)
    deliver_at(teams, month_end)

    handovers = posted(teams, TRIAGE_CONVERSATION, "Handover for Oakwood House")
    assert len(handovers) == 2
    said = json.dumps(card_of(handovers[0]), ensure_ascii=False)
    assert "Urgent items open (1)" in said and seeded.urgent in said
    assert "Paper MAR charts and a second-checker each round" in said
    [summary] = posted(teams, BOARD_CONVERSATION, "Go-live summary for commissioners")
    shown = json.dumps(card_of(summary), ensure_ascii=False)
    assert "Go-live summary for commissioners · November 2026" in shown
    assert "Issues reported: 8" in shown and "Oakwood House: 5" in shown
    assert seeded.extreme in shown and "Extreme (16)" in shown
    assert "Mo Manager" not in shown and "Night staff cannot log in" not in shown


def test_a_crowded_day_is_clipped_with_and_n_more_and_kept_within_teams_message_limit(
    teams: TeamsApp,
) -> None:
    seed(teams.engine, teams.world, start=START)
    for number in range(60):
        report(
            teams.engine,
            teams.world,
            at=START - timedelta(minutes=number + 1),
            service_id=teams.world.oakwood.id or 0,
            category=IssueCategory.DEVICES,
            description=f"Tablet {number} will not charge " + "and keeps dropping off " * 20,
            urgency=Urgency.URGENT,
        )
    run_job("daily_digest", engine=teams.engine, settings=settings(), at=START)
    with session_scope(teams.engine, write=False) as session:
        [row] = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.key).startswith("daily_digest:"))
        ).all()
        activity = RENDERERS[row.notice](session, row)
    shown = json.dumps(activity, ensure_ascii=False)
    assert "Urgent or affecting safe care, still open (62)" in shown
    assert "…and 52 more" in shown
    assert len(shown.encode()) <= cards.MESSAGE_BYTES

    size = len(shown.encode())
    squeezed = cards.fitted(json.loads(shown), limit=size // 2)
    kept = json.dumps(squeezed, ensure_ascii=False)
    assert len(kept.encode()) <= size // 2
    body = card_of(squeezed)["body"]
    assert body[0]["text"].startswith("Go-live daily digest")
    assert body[-1]["text"].endswith("more parts not shown")


def test_the_board_escalation_card_is_replaced_in_place_when_the_issue_is_resolved(
    teams: TeamsApp,
) -> None:
    seeded = seed(teams.engine, teams.world, start=START)
    run_job("escalation", engine=teams.engine, settings=settings(), at=START)
    deliver_at(teams, START)
    board = teams.fake.conversations[BOARD_CONVERSATION].activities
    [card_id] = [
        activity_id
        for activity_id, shown in board.items()
        if str(shown["text"]).startswith(f"Escalated to the board: {seeded.urgent}")
    ]
    with session_scope(teams.engine) as session:
        issues.set_correction(
            session,
            actor=teams.world.project_lead,
            ref=seeded.urgent,
            action="Night logins reset",
            due=None,
            now=START + timedelta(hours=1),
        )
        issues.resolve(
            session,
            actor=teams.world.project_lead,
            ref=seeded.urgent,
            now=START + timedelta(hours=1),
        )
    later = START + timedelta(hours=2)
    assert "1 board posts updated" in run_job(
        "escalation", engine=teams.engine, settings=settings(), at=later
    )
    deliver_at(teams, later)

    assert posted(teams, BOARD_CONVERSATION, f"Resolved: {seeded.urgent}") == []
    now_shown = teams.fake.shown(BOARD_CONVERSATION, card_id)
    assert now_shown["text"].startswith(f"Resolved: {seeded.urgent}")
    card = card_of(now_shown)
    assert "no board decision is waiting" in json.dumps(card)
    assert executes(card) == []


def test_the_monthly_review_and_weekly_digest_reach_teams_after_go_live(teams: TeamsApp) -> None:
    seed(teams.engine, teams.world, start=START)
    with session_scope(teams.engine) as session:
        phases.set_phase(
            session,
            actor=teams.world.project_lead,
            phase=Phase.STABILISATION,
            now=START - timedelta(hours=2),
        )
    run_job("weekly_digest", engine=teams.engine, settings=settings(), at=START)
    deliver_at(teams, START)
    [weekly] = posted(teams, PROJECT_CONVERSATION, "Weekly issue digest")
    assert weekly["text"].startswith("Weekly issue digest for week of Mon 23 Nov 2026: 8 new")
    assert "New issues: 8" in json.dumps(card_of(weekly), ensure_ascii=False)

    with session_scope(teams.engine) as session:
        phases.set_phase(
            session,
            actor=teams.world.project_lead,
            phase=Phase.POST_IMPLEMENTATION,
            now=START - timedelta(hours=1),
        )
    at = START + 8 * DAY  # Tuesday 1 December, 09:00
    run_job("monthly_review", engine=teams.engine, settings=settings(), at=at)
    deliver_at(teams, at)
    [monthly] = posted(teams, BOARD_CONVERSATION, "Post-implementation review")
    assert monthly["text"] == (
        "Post-implementation review for December 2026: 4 open risks, 7 open issues"
    )
    shown = json.dumps(card_of(monthly), ensure_ascii=False)
    assert "Post-implementation review · December 2026" in shown
    assert "Implementation: 4" in shown
    assert "Issues this month: 8 new · 1 closed · 7 still open" in shown
    assert "Residual risk from follow-up audits: needs two audit results" in shown
    assert "Risk controls:" in shown and "Closed with evidence:" in shown
    assert "Change since last month" in shown
