"""App Home: what I reported, what I own and what of mine is overdue, with their buttons;
published when the tab is opened and again after each change I make."""

import json
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from bot.ids import ControlIds, Home, Queries, Triage
from store import issues
from store.db import session_scope
from store.enums import Impact, IssueCategory, Urgency
from store.models import Issue
from tests.slack_requests import users_select
from tests.slackapp import SlackApp

Json = dict[str, Any]


def home_of(slack: SlackApp, user: str) -> Json:
    view = slack.fake.home(user)
    assert view is not None, "no Home tab was published"
    return view


def shown(view: Json) -> str:
    return json.dumps(view["blocks"])


def action_ids(view: Json) -> list[str]:
    ids = []
    for block in view["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            ids.append(element["action_id"])
        if "accessory" in block:
            ids.append(block["accessory"]["action_id"])
    return ids


def test_opening_home_shows_the_report_button_for_a_newcomer(slack: SlackApp) -> None:
    assert slack.open_home("U0NEWBIE1").status == 200
    view = home_of(slack, "U0NEWBIE1")
    assert view["type"] == "home"
    assert Home.REPORT in action_ids(view)
    assert "You haven't reported any issues yet" in shown(view)


def test_reporter_sees_their_report_on_home_after_submitting(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.report(user=staff, service_id=slack.world.oakwood.id, description="Handover notes gone")
    view = home_of(slack, staff)
    assert "GL-0001" in shown(view)
    assert "Handover notes gone" in shown(view)
    assert Queries.ISSUE_DETAILS in action_ids(view)
    assert Triage.ASSIGN not in action_ids(view)


def test_owner_sees_owned_issue_with_buttons_after_assignment(slack: SlackApp) -> None:
    world = slack.world
    slack.report(user=world.staff.slack_user_id, service_id=world.oakwood.id)
    slack.deliver()
    slack.action(Triage.ASSIGN, "GL-0001", user=world.team_leader.slack_user_id)
    values = {Triage.OWNER: {Triage.OWNER: users_select(world.manager.slack_user_id)}}
    slack.submit(slack.opened_view(), values, user=world.team_leader.slack_user_id)
    view = home_of(slack, world.manager.slack_user_id)
    assert "Issues you own" in shown(view)
    assert "GL-0001" in shown(view)
    assert Triage.ASSIGN in action_ids(view)


def test_home_lists_overdue_correction_actions(slack: SlackApp) -> None:
    world = slack.world
    slack.report(user=world.staff.slack_user_id, service_id=world.oakwood.id)
    with session_scope(slack.engine) as session:
        manager = session.merge(world.manager)
        issues.assign_owner(
            session, actor=manager, ref="GL-0001", owner=manager, now=slack.clock.now()
        )
        issues.set_correction(
            session,
            actor=manager,
            ref="GL-0001",
            action="Rebuild the care plan templates",
            due=date(2026, 11, 24),
            now=slack.clock.now(),
        )
    slack.clock.advance(timedelta(days=3))
    slack.open_home(world.manager.slack_user_id)
    view = home_of(slack, world.manager.slack_user_id)
    assert "Overdue" in shown(view)
    assert "Rebuild the care plan templates" in shown(view)


def test_details_button_on_home_opens_the_issue(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.report(user=staff, service_id=slack.world.oakwood.id, description="Rota clash")
    home = home_of(slack, staff)
    slack.action(Queries.ISSUE_DETAILS, "GL-0001", user=staff, view=home)
    modal = slack.opened_view()
    assert modal["title"]["text"] == "GL-0001"
    assert "Rota clash" in json.dumps(modal["blocks"])


def test_refusal_from_home_comes_as_a_private_notice(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.report(user=staff, service_id=slack.world.oakwood.id)
    home = home_of(slack, staff)
    slack.action(Triage.RESOLVE, "GL-0001", user=staff, view=home)
    notice = slack.opened_view()
    assert notice["title"]["text"] == "Not allowed"
    assert "You can't triage" in json.dumps(notice["blocks"])
    with session_scope(slack.engine) as session:
        assert session.exec(select(Issue)).one().resolved_at is None


def test_report_still_lands_when_home_cannot_be_published(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.fake.fail("views.publish", "internal_error")
    slack.report(user=staff, service_id=slack.world.oakwood.id)
    assert slack.fake.last("views.publish").answered["ok"] is False
    assert slack.deliver() == 2
    assert slack.fake.home(staff) is None


def test_refresh_button_republishes_home(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.open_home(staff)
    assert "GL-0001" not in shown(home_of(slack, staff))
    with session_scope(slack.engine) as session:
        reporter = session.merge(slack.world.staff)
        issues.report_issue(
            session,
            reporter=reporter,
            report=issues.IssueReport(
                service_id=slack.world.oakwood.id,
                category=IssueCategory.RECORDS,
                description="Reported from the command line",
                impact=Impact.NONE,
                urgency=Urgency.LOW,
            ),
            now=slack.clock.now(),
        )
    slack.action(Home.REFRESH, "refresh", user=staff, view=home_of(slack, staff))
    assert "GL-0001" in shown(home_of(slack, staff))


def test_home_lists_my_overdue_immediate_controls(slack: SlackApp) -> None:
    world = slack.world
    slack.report(user=world.staff.slack_user_id, service_id=world.oakwood.id)
    with session_scope(slack.engine) as session:
        leader = session.merge(world.team_leader)
        issues.add_immediate_control(
            session,
            actor=leader,
            ref="GL-0001",
            description="Second signature on every paper MAR",
            owner=leader,
            due_date=date(2026, 11, 24),
            now=slack.clock.now(),
        )
    slack.open_home(world.team_leader.slack_user_id)
    assert "Second signature" not in shown(home_of(slack, world.team_leader.slack_user_id))
    slack.clock.advance(timedelta(days=2))
    slack.open_home(world.team_leader.slack_user_id)
    view = home_of(slack, world.team_leader.slack_user_id)
    assert "Control *C-1* on GL-0001 was due" in shown(view)
    assert "Second signature on every paper MAR" in shown(view)
    assert ControlIds.COMPLETE in action_ids(view)


def test_issue_i_reported_and_own_appears_twice_with_distinct_block_ids(slack: SlackApp) -> None:
    leader = slack.world.team_leader.slack_user_id
    slack.report(user=leader, service_id=slack.world.oakwood.id)
    slack.action(Triage.ASSIGN, "GL-0001", user=leader)
    values = {Triage.OWNER: {Triage.OWNER: users_select(leader)}}
    slack.submit(slack.opened_view(), values, user=leader)
    view = home_of(slack, leader)
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert sum("triage_actions:GL-0001" in b for b in block_ids) == 2
    assert len(block_ids) == len(set(block_ids))


def test_reporter_home_shows_the_new_status_after_triage(slack: SlackApp) -> None:
    world = slack.world
    slack.report(user=world.staff.slack_user_id, service_id=world.oakwood.id)
    assert "New" in shown(home_of(slack, world.staff.slack_user_id))
    slack.action(Triage.ASSIGN, "GL-0001", user=world.team_leader.slack_user_id)
    values = {Triage.OWNER: {Triage.OWNER: users_select(world.manager.slack_user_id)}}
    slack.submit(slack.opened_view(), values, user=world.team_leader.slack_user_id)
    assert "Triaged" in shown(home_of(slack, world.staff.slack_user_id))
