"""Digests on seeded go-live data: what the project channel and the board read, and that it
always fits in a Slack message."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.ids import DecisionIds
from bot.views.digests import word
from bot.views.templated import MAX_BLOCKS, MAX_SECTION
from schedules.jobs import preview_digest, run_job
from store.infra.db import session_scope
from store.records import decisions, issues, phases, risks
from store.records.decisions import NewDecision
from store.records.enums import DecisionKind, Impact, IssueCategory, Phase, Urgency
from store.records.models import OutboxMessage
from tests.conftest import START
from tests.posted import as_posted
from tests.schedules_world import new_risk, report, seed, settings
from tests.test_architecture import CHAT_MARKUP
from tests.world import BOARD_CHANNEL, PROJECT_CHANNEL, build_world


@pytest.fixture
def world(engine):
    return build_world(engine, now=START - timedelta(days=30))


@pytest.fixture
def seeded(engine, world):
    return seed(engine, world, start=START)


def digest(engine, key):
    with session_scope(engine) as session:
        message = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()
        return message, as_posted(session, message)


def all_text(payload):
    parts = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            parts.append(element.get("text", "") if block["type"] == "context" else "")
    return "\n".join(parts)


def section_with(payload, heading):
    for block in payload["blocks"]:
        text = block.get("text", {}).get("text", "")
        if block["type"] == "section" and heading in text:
            return text
    raise AssertionError(f"no section with {heading!r}")


def test_daily_digest_tells_the_project_channel_what_happened_since_yesterday(
    engine, world, seeded
):
    summary = run_job("daily_digest", engine=engine, settings=settings(), at=START)
    assert "daily_digest 2026-11-23" in summary
    message, payload = digest(engine, f"daily_digest:2026-11-23:{PROJECT_CHANNEL}")
    assert message.channel == PROJECT_CHANNEL and message.notice == "issue_digest"
    new = section_with(payload, "New issues")
    assert "*New issues: 5*" in new
    assert "Missing or wrong records · Oakwood House: 3" in new
    urgent = section_with(payload, "Urgent or affecting safe care")
    assert seeded.urgent in urgent
    assert "Immediate control: Paper MAR charts and a second-checker each round" in urgent
    assert seeded.hostile in urgent and "No immediate control recorded" in urgent
    overdue = section_with(payload, "Overdue correction actions")
    assert seeded.overdue_correction in overdue and "due Fri 20 Nov" in overdue
    themes = section_with(payload, "Repeated themes")
    assert "Missing or wrong records at Oakwood House: 3" in themes
    assert ", ".join(seeded.themes) in themes
    unsafe = section_with(payload, "Open unsafe workarounds")
    assert seeded.unsafe in unsafe and "write notes on paper" in unsafe
    assert f"*Closed: 1* ({seeded.closed})" in all_text(payload)
    oldest = section_with(payload, "Oldest unresolved")
    assert oldest.index(seeded.overdue_correction) < oldest.index(seeded.urgent)


def test_daily_digest_flags_issues_resolved_but_waiting_for_closure_evidence(engine, world, seeded):
    with session_scope(engine) as session:
        issues.set_correction(
            session,
            actor=world.project_lead,
            ref=seeded.unsafe,
            action="Handover screen cached",
            due=None,
            now=START - timedelta(hours=5),
        )
        issues.resolve(
            session, actor=world.project_lead, ref=seeded.unsafe, now=START - timedelta(hours=4)
        )
    run_job("daily_digest", engine=engine, settings=settings(), at=START)
    _, payload = digest(engine, f"daily_digest:2026-11-23:{PROJECT_CHANNEL}")
    closed = section_with(payload, "*Closed: 1*")
    assert "Resolved, awaiting closure evidence: 1" in closed and seeded.unsafe in closed


def test_what_staff_typed_cannot_ping_the_channel_or_forge_blocks(engine, world, seeded):
    run_job("daily_digest", engine=engine, settings=settings(), at=START)
    _, payload = digest(engine, f"daily_digest:2026-11-23:{PROJECT_CHANNEL}")
    text = all_text(payload)
    assert "<!channel>" not in text and "<b>" not in text
    assert "&lt;!channel&gt; tablets &amp; chargers &lt;b&gt;gone&lt;/b&gt; ::divider" in text
    assert not [block for block in payload["blocks"] if block["type"] == "divider"]


def test_board_review_shows_the_register_at_a_glance_with_a_heat_map(engine, world, seeded):
    run_job("board_review", engine=engine, settings=settings(), at=START)
    message, payload = digest(engine, f"board_review:2026-W48:{BOARD_CHANNEL}")
    assert message.channel == BOARD_CHANNEL
    glance = section_with(payload, "Register at a glance")
    assert "(4 open risks, 1 not yet scored)" in glance
    rows = glance.split("```")[1].strip("\n").split("\n")
    assert max(len(row) for row in rows) <= 32  # a phone shows it without scrolling
    assert rows[3].split() == ["4", "Likely", "·", "·", "·", "1", "·"]
    assert rows[4].split() == ["3", "Possible", "·", "·", "1", "·", "·"]
    assert "Extreme *1*" in glance and "High *1* (was 0)" in glance
    assert "Moderate *1* (was 2)" in glance
    high = section_with(payload, "High and extreme risks (2)")
    assert f"*{seeded.extreme}*" in high and "score 16 · Mo Manager" in high
    assert "Double-check MAR charts against paper for two weeks: planned" in high
    assert "review Mon 16 Nov :warning: overdue" in high
    assert f"*{seeded.high}*" in high and "score 9 · Pat Project" in high
    assert seeded.moderate not in high
    controls = section_with(payload, "Controls on open risks")
    assert "Planned *1*" in controls and "Overdue *1*" in controls
    assert f"Risk reviews overdue: 1* ({seeded.extreme})" in controls
    themes = section_with(payload, "Issue themes")
    assert "Missing or wrong records at Oakwood House: 3" in themes
    assert "*8* new · *1* closed · *7* open" in themes
    change = section_with(payload, "Change since last week")
    assert f"Rescored: {seeded.high} 6 → 9 (up)" in change
    assert f"New risks: {seeded.unscored} Supplier helpdesk hours" in change


def test_board_review_asks_for_decisions_on_escalated_items_with_a_button(engine, world, seeded):
    with session_scope(engine) as session:
        decisions.record_decision(
            session,
            actor=world.board_member,
            data=NewDecision(kind=DecisionKind.ADD_CONTROL, summary="Add a night trainer"),
            now=START - timedelta(days=1),
            risk=risks.get_risk(session, seeded.high),
        )
    run_job("escalation", engine=engine, settings=settings(), at=START - timedelta(minutes=30))
    run_job("board_review", engine=engine, settings=settings(), at=START)
    _, payload = digest(engine, f"board_review:2026-W48:{BOARD_CHANNEL}")
    asks = section_with(payload, "Decisions the board is asked to take (3)")
    assert f"*{seeded.extreme}* Extreme risk still unresolved" in asks
    assert f"*{seeded.urgent}* Urgent issue still unresolved" in asks
    buttons = next(b for b in payload["blocks"] if b["type"] == "actions")["elements"]
    assert {(b["action_id"], b["value"]) for b in buttons} == {
        (DecisionIds.OPEN, seeded.extreme),
        (DecisionIds.OPEN, seeded.high),
        (DecisionIds.OPEN, seeded.urgent),
    }
    taken = section_with(payload, "Decisions taken (1)")
    assert f"*{seeded.high}* Add control: Add a night trainer · Bea Board" in taken


def test_weekly_issue_digest_in_stabilisation_covers_the_whole_week(engine, world, seeded):
    with session_scope(engine) as session:
        phases.set_phase(
            session,
            actor=world.project_lead,
            phase=Phase.STABILISATION,
            now=START - timedelta(hours=2),
        )
    summary = run_job("weekly_digest", engine=engine, settings=settings(), at=START)
    assert summary.startswith("weekly_digest 2026-W48: owed")
    _, payload = digest(engine, f"weekly_digest:2026-W48:{PROJECT_CHANNEL}")
    assert payload["blocks"][0]["text"]["text"] == "Weekly issue digest · week of Mon 23 Nov 2026"
    assert "*New issues: 8*" in section_with(payload, "New issues")


def test_monthly_review_after_go_live_reports_residual_risk_and_the_months_issues(
    engine, world, seeded
):
    with session_scope(engine) as session:
        phases.set_phase(
            session,
            actor=world.project_lead,
            phase=Phase.POST_IMPLEMENTATION,
            now=START - timedelta(days=1),
        )
    at = START + timedelta(days=8)  # Tuesday 1 December, 09:00
    summary = run_job("monthly_review", engine=engine, settings=settings(), at=at)
    assert "monthly_review 2026-12" in summary
    _, payload = digest(engine, f"monthly_review:2026-12:{BOARD_CHANNEL}")
    assert payload["blocks"][0]["text"]["text"] == "Post-implementation review · December 2026"
    assert "Implementation: 4" in section_with(payload, "Residual risks by register")
    month = section_with(payload, "Issues this month")
    assert "*8* new · *1* closed · *7* still open" in month
    assert "Change since last month" in all_text(payload)
    outcomes = section_with(payload, "*Outcomes*")
    assert "Residual risk from follow-up audits: needs two audit results" in outcomes
    assert "Risk controls:" in outcomes and "Immediate controls on issues:" in outcomes
    assert "Closed with evidence:" in outcomes and "Median time to resolve:" in outcomes


def test_a_busy_day_still_fits_one_slack_message_and_says_how_much_more(engine, world):
    with session_scope(engine) as session:
        phases.set_phase(
            session, actor=world.project_lead, phase=Phase.GO_LIVE, now=START - timedelta(days=2)
        )
    for number in range(60):
        report(
            engine,
            world,
            at=START - timedelta(hours=2, minutes=number),
            service_id=world.oakwood.id,
            category=list(IssueCategory)[number % 10],
            description=f"Problem {number} " + "details " * 300,
            impact=Impact.SAFE_CARE,
            urgency=Urgency.URGENT,
        )
    run_job("daily_digest", engine=engine, settings=settings(), at=START)
    _, payload = digest(engine, f"daily_digest:2026-11-23:{PROJECT_CHANNEL}")
    assert len(payload["blocks"]) <= MAX_BLOCKS
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert all(len(text) <= MAX_SECTION for text in sections)
    urgent = section_with(payload, "Urgent or affecting safe care, still open (60)")
    assert "…and 50 more" in urgent
    named = [line for line in urgent.splitlines() if line.startswith("• *GL-")]
    assert len(named) == 10  # the ten reported first, oldest first
    assert "Problem 59 " in named[0] and "Problem 50 " in named[-1]
    assert "Problem 49 " not in urgent
    assert len(payload["text"]) <= 3000
    assert payload["text"].endswith("60 urgent or safe-care open")


def test_digest_without_a_channel_is_not_recorded_so_it_runs_once_one_is_set(engine):
    summary = run_job("board_review", engine=engine, settings=settings(), at=START)
    assert "not run; no channel to post to" in summary
    summary = run_job(
        "board_review", engine=engine, settings=settings(board_channel="CFALLBACK"), at=START
    )
    assert "owed to CFALLBACK" in summary


def test_demo_preview_shows_a_digest_without_owing_anything(engine, world, seeded):
    owed = preview_digest("daily_digest", engine=engine, settings=settings(), at=START)
    text = word(owed.notice, owed.facts).as_text()
    assert text.startswith("Go-live daily digest · Mon 23 Nov 2026")
    assert "<!channel> tablets & chargers" in text
    with session_scope(engine) as session:
        assert not [m for m in session.exec(select(OutboxMessage)) if m.notice == "issue_digest"]
    with pytest.raises(ValueError, match="not a digest"):
        preview_digest("reminders", engine=engine, settings=settings(), at=START)


def test_a_crowded_register_names_the_ten_highest_risks_and_counts_the_rest(engine, world, seeded):
    for number in range(11):
        new_risk(
            engine,
            world,
            at=START - timedelta(days=3, minutes=number),
            title=f"Crowded risk {number}",
            owner=world.manager,
            score=(4, 5),
        )
    run_job("board_review", engine=engine, settings=settings(), at=START)
    _, payload = digest(engine, f"board_review:2026-W48:{BOARD_CHANNEL}")
    high = section_with(payload, "High and extreme risks (13)")
    named = [line for line in high.splitlines() if line.startswith("• ")]
    assert len(named) == 10 and "…and 3 more" in high
    assert "Crowded risk 0 " in named[0] and f"*{seeded.high}*" not in high
    change = section_with(payload, "Change since last week")
    assert "New risks: " in change and " and 2 more" in change


def test_a_digest_delivered_late_says_what_its_period_said(engine, world, seeded):
    """The digest is owed with its period's facts: an issue resolved after the run, before
    the post goes out (golive was down, Slack refused it for a while), is still listed as it
    stood."""
    run_job("daily_digest", engine=engine, settings=settings(), at=START)
    with session_scope(engine) as session:
        issues.set_correction(
            session,
            actor=world.project_lead,
            ref=seeded.unsafe,
            action="Handover screen cached",
            due=None,
            now=START + timedelta(hours=1),
        )
        issues.resolve(
            session, actor=world.project_lead, ref=seeded.unsafe, now=START + timedelta(hours=2)
        )
    _, payload = digest(engine, f"daily_digest:2026-11-23:{PROJECT_CHANNEL}")
    unsafe = section_with(payload, "Open unsafe workarounds")
    assert seeded.unsafe in unsafe and "write notes on paper" in unsafe
    assert "awaiting closure evidence" not in all_text(payload)


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def test_digests_are_owed_as_notices_with_facts_a_second_chat_platform_could_word(
    engine, world, seeded
):
    run_job("daily_digest", engine=engine, settings=settings(), at=START)
    run_job("board_review", engine=engine, settings=settings(), at=START)
    with session_scope(engine) as session:
        owed = {
            m.notice: json.loads(m.payload or "{}")
            for m in session.exec(select(OutboxMessage))
            if m.key.startswith(("daily_digest:", "board_review:"))
        }
    assert set(owed) == {"issue_digest", "board_review"}
    assert owed["issue_digest"]["facts"]["urgent_open"]["total"] >= 2
    assert seeded.urgent in json.dumps(owed["issue_digest"])
    assert seeded.extreme in json.dumps(owed["board_review"])
    typed = "<!channel> tablets & chargers <b>gone</b>\n::divider"  # a reporter's own words
    for facts in owed.values():
        assert "blocks" not in facts
        marked = {text for text in strings_in(facts) if CHAT_MARKUP.search(text)}
        assert marked <= {typed}
    assert typed in strings_in(owed["issue_digest"])  # kept as typed: the face escapes it
