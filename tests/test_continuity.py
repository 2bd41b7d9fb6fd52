"""Business continuity: a report that the system is down, or that medication can't be
recorded, gets the provider's fallback procedure in its triage thread; resolving it adds the
control to back-enter and reconcile the paper records, with an owner and a due date."""

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.ids import Triage
from bot.views.care import use_fallback_dir
from store.infra.db import session_scope
from store.records import continuity, issues
from store.records.enums import ControlStatus, Impact, IssueCategory, Urgency
from store.records.models import Control, Issue
from tests.slack_requests import datepicker, plain_text_input, users_select
from tests.slackapp import SlackApp
from tests.world import TRIAGE_CHANNEL

REF = "GL-0001"
OUTAGE = "eMAR system is down on every tablet; we cannot record medication for the lunch round"


@pytest.fixture
def provider_dir(tmp_path: Path) -> Iterator[Path]:
    use_fallback_dir(tmp_path)
    yield tmp_path
    use_fallback_dir(None)


def thread(slack: SlackApp) -> list[str]:
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    return [json.dumps(m) for m in slack.fake.messages(TRIAGE_CHANNEL, post["ts"])[1:]]


def triage_step(slack: SlackApp, action_id: str, values: dict, *, user: str) -> None:
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    slack.action(action_id, REF, user=user, message=post, channel_id=TRIAGE_CHANNEL)
    slack.submit(slack.opened_view(), values, user=user)


def report(slack: SlackApp, description: str, category: str = "medication") -> None:
    world = slack.world
    slack.report(
        user=world.staff.slack_user_id,
        service_id=world.oakwood.id,
        category=category,
        description=description,
        impact="safe_care",
        urgency="urgent",
    )
    slack.deliver()


def resolve(slack: SlackApp) -> None:
    leader = slack.world.team_leader.slack_user_id
    owner = slack.world.manager.slack_user_id
    triage_step(
        slack, Triage.ASSIGN, {Triage.OWNER: {Triage.OWNER: users_select(owner)}}, user=leader
    )
    triage_step(
        slack,
        Triage.CORRECTION,
        {
            Triage.CORRECTION_TEXT: {
                Triage.CORRECTION_TEXT: plain_text_input("Supplier restored the eMAR service")
            },
            Triage.CORRECTION_DUE: {Triage.CORRECTION_DUE: datepicker(None)},
        },
        user=leader,
    )
    [post] = slack.fake.messages(TRIAGE_CHANNEL)
    slack.action(Triage.RESOLVE, REF, user=leader, message=post, channel_id=TRIAGE_CHANNEL)
    slack.deliver()


def test_outage_report_gets_the_fallback_procedure_and_resolving_adds_the_reconcile_control(
    slack: SlackApp,
) -> None:
    report(slack, OUTAGE)
    [procedure] = [line for line in thread(slack) if "Fallback procedure" in line]
    assert "Fallback procedure: medication" in procedure
    assert "paper MAR" in procedure and REF in procedure and "Oakwood House" in procedure

    resolve(slack)
    with session_scope(slack.engine) as session:
        issue = session.exec(select(Issue)).one()
        [control] = session.exec(select(Control).where(Control.issue_id == issue.id)).all()
        assert control.description == "Back-enter and reconcile the records made on paper"
        assert control.owner_id == slack.world.manager.id
        assert control.due_date == slack.clock.now().date() + timedelta(days=2)
        assert control.status == ControlStatus.PLANNED
    assert any("Back-enter and reconcile" in line for line in thread(slack))
    owner_dms = [
        json.dumps(m) for m in slack.fake.messages("D" + slack.world.manager.slack_user_id)
    ]
    assert any("reconcile the records made on paper" in dm for dm in owner_dms)

    with session_scope(slack.engine) as session:
        now = slack.clock.now()
        issues.reopen(session, actor=slack.world.team_leader, ref=REF, reason="Down again", now=now)
        issues.resolve(session, actor=slack.world.team_leader, ref=REF, now=now)
        assert len(session.exec(select(Control)).all()) == 1


def test_an_ordinary_report_gets_no_fallback_post_and_no_reconcile_control(
    slack: SlackApp,
) -> None:
    report(slack, "The handover screen lists residents in the wrong order", category="workflow")
    assert not [line for line in thread(slack) if "Fallback procedure" in line]
    resolve(slack)
    with session_scope(slack.engine) as session:
        assert session.exec(select(Control)).all() == []


def test_the_provider_edits_its_own_procedure_per_category(
    slack: SlackApp, provider_dir: Path
) -> None:
    (provider_dir / "records.j2").write_text(
        "::text Oakwood contingency for {{ ref }}\n::section\n"
        "*Our own plan* for {{ category }}: use the red folder in the nurses' station.\n",
        encoding="utf-8",
    )
    report(slack, "Care notes app is unavailable, so we can't record personal care", "records")
    [procedure] = [line for line in thread(slack) if "red folder" in line]
    assert "*Our own plan* for Missing or wrong records" in procedure
    assert "Oakwood contingency for GL-0001" in procedure


def test_a_broken_provider_template_still_posts_golives_own(
    slack: SlackApp, provider_dir: Path
) -> None:
    (provider_dir / "medication.j2").write_text("::section\n{{ not_a_field }}\n", encoding="utf-8")
    report(slack, OUTAGE)
    assert any("Fallback procedure: medication" in line for line in thread(slack))


@pytest.mark.parametrize(
    ("description", "outage"),
    [
        ("The system is down across the home", True),
        ("eMAR offline since 6am", True),
        ("Unable to record fluid intake for Room 3", True),
        ("We can't sign for medication on the tablets", True),
        ("Power cut on the first floor, tablets dead", True),
        ("eMAR would not load for the 8am round", False),
        ("Downstairs lounge tablet is slow", False),
        ("Report shows the wrong totals", False),
    ],
)
def test_which_reports_count_as_an_outage(description: str, outage: bool) -> None:
    issue = Issue(
        number=1,
        category=IssueCategory.OTHER,
        service_id=1,
        description=description,
        impact=Impact.SOME,
        urgency=Urgency.HIGH,
        workaround="none",  # type: ignore[arg-type]
        reporter_id=1,
        source="cli",  # type: ignore[arg-type]
        status="new",  # type: ignore[arg-type]
    )
    assert continuity.reports_outage(issue) is outage
