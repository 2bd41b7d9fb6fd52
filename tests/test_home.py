"""App Home: what I reported, what I own and what of mine is overdue, with their buttons;
published when the tab is opened, and again after a change made from it or to an issue on it."""

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import select

from bot.ids import ControlIds, Home, Queries, Triage
from commands.home import home_data
from store.infra.db import session_scope
from store.records import controls, issues, risks
from store.records.enums import Impact, IssueCategory, Urgency
from store.records.models import Issue, Person, Service
from tests.risk_helpers import new_risk
from tests.slack_requests import users_select
from tests.slackapp import SlackApp, report_values

Json = dict[str, Any]


def home_of(slack: SlackApp, user: str) -> Json:
    view = slack.fake.home(user)
    assert view is not None, "no Home tab was published"
    return view


def report_from_home(slack: SlackApp, user: str, **answers: Any) -> None:
    """Open the Home tab, press its Report button and submit the form."""
    slack.open_home(user)
    slack.action(Home.REPORT, user=user, view=home_of(slack, user))
    slack.submit(slack.opened_view(), report_values(**answers), user=user)


def assert_lists_my_report(view: Json, ref: str, description: str) -> None:
    """The reporter's Home lists the report with its details button, and no triage buttons."""
    assert ref in shown(view)
    assert description in shown(view)
    assert Queries.ISSUE_DETAILS in action_ids(view)
    assert Triage.ASSIGN not in action_ids(view)


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


def test_report_made_from_home_shows_on_home_at_once(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    report_from_home(slack, staff, service_id=slack.world.oakwood.id, description="Handover gone")
    assert_lists_my_report(home_of(slack, staff), "GL-0001", "Handover gone")


def test_report_made_in_a_channel_shows_when_home_is_next_opened(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.report(user=staff, service_id=slack.world.oakwood.id, description="Handover notes gone")
    assert slack.fake.home(staff) is None, "Home was published though the reporter was elsewhere"
    slack.open_home(staff)
    assert_lists_my_report(home_of(slack, staff), "GL-0001", "Handover notes gone")


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
    report_from_home(slack, staff, service_id=slack.world.oakwood.id, description="Rota clash")
    home = home_of(slack, staff)
    slack.action(Queries.ISSUE_DETAILS, "GL-0001", user=staff, view=home)
    modal = slack.opened_view()
    assert modal["title"]["text"] == "GL-0001"
    assert "Rota clash" in json.dumps(modal["blocks"])


def test_refusal_from_home_comes_as_a_private_notice(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    report_from_home(slack, staff, service_id=slack.world.oakwood.id)
    home = home_of(slack, staff)
    slack.action(Triage.RESOLVE, "GL-0001", user=staff, view=home)
    notice = slack.opened_view()
    assert notice["title"]["text"] == "Not allowed"
    assert "You can't triage" in json.dumps(notice["blocks"])
    with session_scope(slack.engine) as session:
        assert session.exec(select(Issue)).one().resolved_at is None


def test_report_still_lands_when_home_cannot_be_published(slack: SlackApp) -> None:
    staff = slack.world.staff.slack_user_id
    slack.open_home(staff)
    slack.action(Home.REPORT, user=staff, view=home_of(slack, staff))
    slack.fake.fail("views.publish", "internal_error")
    slack.submit(slack.opened_view(), report_values(service_id=slack.world.oakwood.id), user=staff)
    assert slack.fake.last("views.publish").answered["ok"] is False
    assert slack.deliver() == 2
    assert "GL-0001" not in shown(home_of(slack, staff))


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
    slack.open_home(world.staff.slack_user_id)
    assert "New" in shown(home_of(slack, world.staff.slack_user_id))
    slack.action(Triage.ASSIGN, "GL-0001", user=world.team_leader.slack_user_id)
    values = {Triage.OWNER: {Triage.OWNER: users_select(world.manager.slack_user_id)}}
    slack.submit(slack.opened_view(), values, user=world.team_leader.slack_user_id)
    assert "Triaged" in shown(home_of(slack, world.staff.slack_user_id))


def owned_issues(slack: SlackApp, count: int, *, owner: Person, service: Service) -> list[str]:
    """``count`` issues reported by staff and assigned to ``owner``, set up through the store."""
    refs = []
    with session_scope(slack.engine) as session:
        manager = session.merge(slack.world.manager)
        for n in range(count):
            issue, _ = issues.report_issue(
                session,
                reporter=session.merge(slack.world.staff),
                report=issues.IssueReport(
                    service_id=service.id,
                    category=IssueCategory.RECORDS,
                    description=f"Problem number {n}",
                    impact=Impact.NONE,
                    urgency=Urgency.LOW,
                ),
                now=slack.clock.now(),
            )
            actor = manager if service.id == slack.world.oakwood.id else slack.world.other_manager
            issues.assign_owner(
                session,
                actor=session.merge(actor),
                ref=issue.ref,
                owner=session.merge(owner),
                now=slack.clock.now(),
            )
            refs.append(issue.ref)
    return refs


def test_home_shows_the_newest_eight_owned_issues_and_how_many_more(slack: SlackApp) -> None:
    manager = slack.world.manager
    refs = owned_issues(slack, 11, owner=manager, service=slack.world.oakwood)
    slack.open_home(manager.slack_user_id)
    text = shown(home_of(slack, manager.slack_user_id))
    assert all(f"*{ref}*" in text for ref in refs[3:])
    assert not any(f"*{ref}*" in text for ref in refs[:3])
    assert "and 3 more; see `/golive mine`" in text


def test_home_counts_every_owned_issue_it_does_not_show(slack: SlackApp) -> None:
    manager = slack.world.manager
    owned_issues(slack, 52, owner=manager, service=slack.world.oakwood)
    slack.open_home(manager.slack_user_id)
    assert "and 44 more; see `/golive mine`" in shown(home_of(slack, manager.slack_user_id))


def test_triage_buttons_show_only_for_issues_in_services_i_may_triage(slack: SlackApp) -> None:
    world = slack.world
    [oakwood_ref] = owned_issues(slack, 1, owner=world.team_leader, service=world.oakwood)
    [riverside_ref] = owned_issues(slack, 1, owner=world.team_leader, service=world.riverside)
    slack.open_home(world.team_leader.slack_user_id)
    view = home_of(slack, world.team_leader.slack_user_id)
    block_ids = [b.get("block_id", "") for b in view["blocks"]]
    assert f"triage_actions:{oakwood_ref}" in block_ids
    assert f"home_details:{oakwood_ref}" not in block_ids
    assert f"home_details:{riverside_ref}" in block_ids
    assert f"triage_actions:{riverside_ref}" not in block_ids
    assert "Riverside Lodge" in shown(view) and "Oakwood House" in shown(view)


def test_home_lists_eight_overdue_controls_with_their_risk_or_issue(slack: SlackApp) -> None:
    world = slack.world
    [ref] = owned_issues(slack, 1, owner=world.team_leader, service=world.oakwood)
    risk_ref = new_risk(slack, service=world.oakwood, controls=())
    due = slack.clock.now().date()
    with session_scope(slack.engine) as session:
        leader = session.merge(world.team_leader)
        risk = risks.get_risk(session, risk_ref)
        controls.add_control(
            session,
            actor=session.merge(world.project_lead),
            risk=risk,
            description="Risk control number 0",
            owner=leader,
            due_date=due,
            now=slack.clock.now(),
        )
        for n in range(1, 10):
            issues.add_immediate_control(
                session,
                actor=leader,
                ref=ref,
                description=f"Issue control number {n}",
                owner=leader,
                due_date=due + timedelta(days=n),
                now=slack.clock.now(),
            )
    slack.clock.advance(timedelta(days=12))
    slack.open_home(world.team_leader.slack_user_id)
    text = shown(home_of(slack, world.team_leader.slack_user_id))
    assert f"on {risk_ref} was due" in text
    assert all(f"Issue control number {n}" in text for n in range(1, 8))
    assert f"on {ref} was due" in text
    assert "Issue control number 8" not in text and "Issue control number 9" not in text
    assert "and 2 more overdue controls" in text


def test_home_reads_as_many_statements_for_a_busy_person_as_for_a_quiet_one(
    slack: SlackApp,
) -> None:
    world = slack.world
    today = slack.clock.now().date()

    def statements(today: date) -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(slack.engine, "before_cursor_execute", count)
        try:
            with session_scope(slack.engine) as session:
                home_data(session, world.team_leader.slack_user_id, today=today)
        finally:
            event.remove(slack.engine, "before_cursor_execute", count)
        return len(seen)

    owned_issues(slack, 1, owner=world.team_leader, service=world.oakwood)
    quiet = statements(today)
    refs = owned_issues(slack, 12, owner=world.team_leader, service=world.riverside)
    with session_scope(slack.engine) as session:
        leader = session.merge(world.team_leader)
        for ref in refs:
            issues.set_correction(
                session,
                actor=session.merge(world.other_manager),
                ref=ref,
                action="Fix the rota",
                due=today,
                now=slack.clock.now(),
            )
            issues.add_immediate_control(
                session,
                actor=session.merge(world.other_manager),
                ref=ref,
                description="Extra check",
                owner=leader,
                due_date=today,
                now=slack.clock.now(),
            )
    busy = statements(today + timedelta(days=1))
    assert busy == quiet
