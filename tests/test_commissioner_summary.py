"""The commissioner summary: once a month, to the configured channel, counts and references
only. The test scans what was posted (and the export) for every person's name and every piece
of free text in the database: none may appear."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.views.digests import commissioner
from schedules.commissioner import csv_for_month, summary_for_month
from schedules.jobs import run_job
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.records import issues
from store.records.models import (
    Control,
    ControlUpdate,
    Issue,
    OutboxMessage,
    Person,
    Risk,
    RiskAssessment,
)
from tests.conftest import START
from tests.schedules_world import seed, settings
from tests.slackapp import SlackApp

CHANNEL = "CCOMMISS1"
DECEMBER_FIRST = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def free_text(slack: SlackApp) -> tuple[set[str], set[str]]:
    """Every name (and each part of it) and every typed text the database holds."""
    with session_scope(slack.engine) as session:
        names = {p.name for p in session.exec(select(Person))}
        texts: set[str] = set()
        for issue in session.exec(select(Issue)):
            texts |= {
                issue.description,
                issue.workaround_detail or "",
                issue.correction_action or "",
                issue.closure_evidence or "",
            }
        for risk in session.exec(select(Risk)):
            texts |= {risk.title, risk.description}
        texts |= {c.description for c in session.exec(select(Control))}
        texts |= {u.note for u in session.exec(select(ControlUpdate))}
        texts |= {a.reason for a in session.exec(select(RiskAssessment))}
    parts = {part for name in names for part in name.split() if len(part) > 2}
    return names | parts, {text for text in texts if text}


def leaks(rendered: str, names: set[str], texts: set[str]) -> list[str]:
    words = set(re.findall(r"[A-Za-z']+", rendered.lower()))
    folded = rendered.lower()
    found = [name for name in names if all(w in words for w in name.lower().split())]
    return found + [text for text in texts if text.lower() in folded]


def test_the_monthly_summary_reaches_the_commissioner_channel_without_personal_data(
    slack: SlackApp,
) -> None:
    seeded = seed(slack.engine, slack.world, start=START)
    with session_scope(slack.engine) as session:
        now = START + timedelta(hours=5)
        issues.set_correction(
            session,
            actor=slack.world.team_leader,
            ref=seeded.urgent,
            action="Supplier patched the sync for Mo Manager's tablets",
            due=None,
            now=now,
        )
        issues.resolve(session, actor=slack.world.team_leader, ref=seeded.urgent, now=now)
    config = settings(commissioner_channel=CHANNEL)

    summary = run_job("escalation", engine=slack.engine, settings=config, at=DECEMBER_FIRST)
    assert "1 commissioner summaries owed" in summary
    run_job(
        "escalation", engine=slack.engine, settings=config, at=DECEMBER_FIRST + timedelta(hours=2)
    )
    with session_scope(slack.engine) as session:
        [row] = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.key).startswith("commissioner:"))
        ).all()
    assert row.key == f"commissioner:2026-11:{CHANNEL}"

    slack.clock.set(DECEMBER_FIRST + timedelta(hours=3))
    slack.deliver()
    [post] = slack.fake.messages(CHANNEL)
    shown = json.dumps(post, ensure_ascii=False)
    assert "Go-live summary for commissioners · November 2026" in shown
    assert "Medication or eMAR" in shown and "Oakwood House" in shown
    assert "Median time to resolve: " in shown
    assert seeded.urgent in shown and "Resolved" in shown
    assert seeded.extreme in shown and "Extreme" in shown

    names, texts = free_text(slack)
    assert {"Mo Manager", "Manager", "Carer"} <= names and len(texts) > 15
    assert leaks(shown, names, texts) == []
    assert leaks(shown + " Mo Manager", names, texts) != []

    exported = csv_for_month(slack.engine, config, "2026-11", now=DECEMBER_FIRST)
    assert "Issues by category,Medication or eMAR" in exported
    assert leaks(exported, names, texts) == []
    rendered = commissioner(summary_for_month(slack.engine, config, "2026-11", now=DECEMBER_FIRST))
    assert leaks(json.dumps(rendered.payload()), names, texts) == []


def test_no_channel_no_post_and_a_late_tick_is_still_once(slack: SlackApp) -> None:
    seed(slack.engine, slack.world, start=START)
    assert "0 commissioner summaries owed" in run_job(
        "escalation", engine=slack.engine, settings=settings(), at=DECEMBER_FIRST
    )
    config = settings(commissioner_channel=CHANNEL)
    late = DECEMBER_FIRST + timedelta(days=3)
    assert "1 commissioner summaries owed" in run_job(
        "escalation", engine=slack.engine, settings=config, at=late
    )
    too_late = DECEMBER_FIRST + timedelta(days=8)
    assert "0 commissioner summaries owed" in run_job(
        "escalation", engine=slack.engine, settings=config, at=too_late
    )


def test_export_refuses_a_bad_month(slack: SlackApp) -> None:
    with pytest.raises(ValidationError, match="not a month like 2026-11"):
        csv_for_month(slack.engine, settings(), "November", now=DECEMBER_FIRST)
