"""How golive learns people's names without keeping anyone waiting, and without adding anyone
when a form is refused.

A submission is acked without asking Slack who anyone is: a newcomer is recorded under the
handle the payload carries (or, for someone picked in a people field, their user id), inside
the same transaction as the change, and their real name is asked for after the ack, once, as
an audited change. Someone golive already knows by name costs no Slack call at all.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.ids import ControlIds, DecisionIds, ReviewIds, RiskIds, Triage
from bot.views.risks import ORGANISATION
from store.infra.db import session_scope
from store.records.models import AuditEvent, Person
from store.records.people import SLACK_PROFILE
from tests.risk_helpers import answers, new_risk, opened
from tests.slack_requests import (
    Response,
    datepicker,
    plain_text_input,
    radio_buttons,
    static_select,
    users_select,
)
from tests.slackapp import SlackApp, report_values
from tests.test_review_slack import add_risk, start_review

Json = dict[str, Any]
NEWCOMER = "U0NEWBIE1"
PICKED = "U0AGENCY7"


def person(slack: SlackApp, user_id: str) -> Person | None:
    with session_scope(slack.engine) as session:
        return session.exec(select(Person).where(Person.slack_user_id == user_id)).first()


def renames(slack: SlackApp, who: Person) -> list[AuditEvent]:
    with session_scope(slack.engine) as session:
        query = select(AuditEvent).where(
            AuditEvent.entity_ref == f"person#{who.id}", AuditEvent.action == "name from Slack"
        )
        return list(session.exec(query))


def asked_about(slack: SlackApp) -> list[str]:
    return [call.args.get("user", "") for call in slack.fake.calls("users.info")]


@contextmanager
def after_ack_held(slack: SlackApp) -> Iterator[None]:
    """Occupy every worker that runs the app's after-ack work, so nothing the app does after
    the ack can happen until the block ends: any Slack call seen inside came before the ack."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def hold() -> None:
        started.release()
        release.wait(10)

    workers = slack.executor.WORKERS
    for _ in range(workers):
        slack.executor.submit(hold)
    for _ in range(workers):
        assert started.acquire(timeout=5)
    try:
        yield
    finally:
        release.set()
    slack.settle()


def report_view(slack: SlackApp) -> Json:
    """The report modal, opened by a known member of staff (ready to submit as anyone)."""
    slack.command("", user=slack.world.staff.slack_user_id)
    return slack.opened_view()


# ------------------------------------------------------------------- names after the ack


def test_a_first_time_reporter_is_acked_before_slack_is_asked_their_name(
    slack: SlackApp,
) -> None:
    view = report_view(slack)
    slack.fake.clear()
    with after_ack_held(slack):
        answer = slack.driver.submit(
            values=report_values(service_id=slack.world.oakwood.id), view=view, user_id=NEWCOMER
        )
        assert answer.status == 200 and answer.body == ""
        assert asked_about(slack) == []
        newcomer = person(slack, NEWCOMER)
        assert newcomer is not None and newcomer.name == NEWCOMER.lower()

    assert asked_about(slack) == [NEWCOMER]
    named = person(slack, NEWCOMER)
    assert named is not None and named.name == f"User {NEWCOMER}"
    [event] = renames(slack, named)
    assert (event.field, event.old_value, event.new_value, event.actor_name) == (
        "name",
        NEWCOMER.lower(),
        f"User {NEWCOMER}",
        SLACK_PROFILE.name,
    )


def test_a_reporter_is_named_once_and_then_costs_no_slack_call(slack: SlackApp) -> None:
    view = report_view(slack)
    slack.submit(view, report_values(service_id=slack.world.oakwood.id), user=NEWCOMER)
    assert asked_about(slack).count(NEWCOMER) == 1
    slack.fake.clear()
    again = report_values(service_id=slack.world.oakwood.id, description="Printer offline")
    slack.submit(report_view(slack), again, user=NEWCOMER)
    assert asked_about(slack) == []
    named = person(slack, NEWCOMER)
    assert named is not None and len(renames(slack, named)) == 1


def test_a_known_reporter_causes_no_users_info_call(slack: SlackApp) -> None:
    staff = slack.world.staff
    slack.fake.clear()
    answer = slack.report(user=staff.slack_user_id, service_id=slack.world.oakwood.id)
    assert answer.status == 200
    assert slack.fake.calls("views.open") and asked_about(slack) == []
    assert renames(slack, staff) == []


def test_when_slack_cannot_say_the_reporter_keeps_their_handle(slack: SlackApp) -> None:
    view = report_view(slack)
    slack.fake.fail("users.info", "user_not_found")
    slack.submit(view, report_values(service_id=slack.world.oakwood.id), user=NEWCOMER)
    newcomer = person(slack, NEWCOMER)
    assert newcomer is not None and newcomer.name == NEWCOMER.lower()
    assert asked_about(slack) == [NEWCOMER]
    assert renames(slack, newcomer) == []


def test_an_owner_picked_at_triage_is_named_after_the_ack(slack: SlackApp) -> None:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    leader = slack.world.team_leader.slack_user_id
    slack.action(Triage.ASSIGN, "GL-0001", user=leader)
    modal = slack.opened_view()
    slack.fake.clear()
    with after_ack_held(slack):
        answer = slack.driver.submit(
            values={Triage.OWNER: {Triage.OWNER: users_select(PICKED)}}, view=modal, user_id=leader
        )
        assert answer.status == 200 and answer.body == ""
        assert asked_about(slack) == []
        picked = person(slack, PICKED)
        assert picked is not None and picked.name == PICKED

    assert asked_about(slack) == [PICKED]
    named = person(slack, PICKED)
    assert named is not None and named.name == f"User {PICKED}"
    [event] = renames(slack, named)
    assert (event.old_value, event.new_value) == (PICKED, f"User {PICKED}")


def test_picking_someone_golive_knows_costs_no_slack_call(slack: SlackApp) -> None:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    leader = slack.world.team_leader.slack_user_id
    slack.action(Triage.ASSIGN, "GL-0001", user=leader)
    modal = slack.opened_view()
    slack.fake.clear()
    manager = slack.world.manager.slack_user_id
    values: Json = {Triage.OWNER: {Triage.OWNER: users_select(manager)}}
    assert slack.submit(modal, values, user=leader).body == ""
    assert asked_about(slack) == []


def test_a_forged_user_id_in_a_people_field_is_refused_beside_it(slack: SlackApp) -> None:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    leader = slack.world.team_leader.slack_user_id
    slack.action(Triage.ASSIGN, "GL-0001", user=leader)
    modal = slack.opened_view()
    values: Json = {Triage.OWNER: {Triage.OWNER: users_select("<!channel>")}}
    answer = slack.driver.submit(values=values, view=modal, user_id=leader)
    assert answer.status == 200
    assert answer.json()["response_action"] == "errors"
    assert "from the list of people" in answer.json()["errors"][Triage.OWNER]
    assert person(slack, "<!channel>") is None


# ---------------------------------------------------- a refused form adds nobody


@dataclass(frozen=True)
class Path:
    """A modal with a people field: how to open it, and answers naming an unknown user with
    another answer wrong (``field`` is the block the refusal must name)."""

    open: Callable[[SlackApp], str]
    values: Callable[[SlackApp], Json]
    field: str


def _yesterday(slack: SlackApp) -> Json:
    return datepicker(slack.clock.now().date() - timedelta(days=1))


def _open_triage_control(slack: SlackApp) -> str:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    leader = slack.world.team_leader.slack_user_id
    slack.action(Triage.CONTROL, "GL-0001", user=leader)
    return leader


def _command(text: str, who: str, *, risk: bool = False) -> Callable[[SlackApp], str]:
    def open_it(slack: SlackApp) -> str:
        ref = new_risk(slack) if risk else ""
        user = str(getattr(slack.world, who).slack_user_id)
        slack.command(text.format(ref=ref), user=user)
        return user

    return open_it


def _action(action_id: str, who: str) -> Callable[[SlackApp], str]:
    def open_it(slack: SlackApp) -> str:
        ref = new_risk(slack)
        user = str(getattr(slack.world, who).slack_user_id)
        slack.action(action_id, ref, user=user)
        return user

    return open_it


def _open_control_assign(slack: SlackApp) -> str:
    new_risk(slack, service=slack.world.oakwood)
    manager = slack.world.manager.slack_user_id
    menu = {"type": "overflow", "selected_option": {"value": "assign:1"}}
    slack.action(ControlIds.MENU, user=manager, action=menu)
    return manager


def _in_review(text: str, who: str) -> Callable[[SlackApp], str]:
    def open_it(slack: SlackApp) -> str:
        ref = add_risk(slack, "Agency staff access", score=(4, 4))
        start_review(slack)
        user = str(getattr(slack.world, who).slack_user_id)
        slack.command(text.format(ref=ref), user=user)
        return user

    return open_it


PATHS: dict[str, Path] = {
    "triage-control": Path(
        _open_triage_control,
        lambda slack: {
            Triage.CONTROL_TEXT: {Triage.CONTROL_TEXT: plain_text_input("Senior checks MAR")},
            Triage.CONTROL_OWNER: {Triage.CONTROL_OWNER: users_select(PICKED)},
            Triage.CONTROL_DUE: {Triage.CONTROL_DUE: _yesterday(slack)},
        },
        Triage.CONTROL_DUE,
    ),
    "risk-add": Path(
        _command("risk add", "project_lead"),
        lambda slack: answers(
            **{
                RiskIds.TITLE: plain_text_input("Night staff cannot log in"),
                RiskIds.CATEGORY: static_select("access"),
                RiskIds.SCOPE: static_select(ORGANISATION),
                RiskIds.OWNER: users_select(PICKED),
                RiskIds.REVIEW_DATE: _yesterday(slack),
            }
        ),
        RiskIds.REVIEW_DATE,
    ),
    "risk-edit": Path(
        _action(RiskIds.EDIT, "project_lead"),
        lambda slack: answers(
            **{
                RiskIds.TITLE: plain_text_input("Logins " * 40),
                RiskIds.OWNER: users_select(PICKED),
                RiskIds.ESCALATION_ROUTE: plain_text_input("Board"),
            }
        ),
        RiskIds.TITLE,
    ),
    "control-add": Path(
        _action(ControlIds.ADD, "quality_lead"),
        lambda slack: answers(
            **{
                ControlIds.DESCRIPTION: plain_text_input("Agency staff shadow a trained carer"),
                ControlIds.OWNER: users_select(PICKED),
                ControlIds.DUE_DATE: _yesterday(slack),
            }
        ),
        ControlIds.DUE_DATE,
    ),
    "control-assign": Path(
        _open_control_assign,
        lambda slack: answers(
            **{ControlIds.OWNER: users_select(PICKED), ControlIds.DUE_DATE: _yesterday(slack)}
        ),
        ControlIds.DUE_DATE,
    ),
    "decision": Path(
        _action(DecisionIds.OPEN, "board_member"),
        lambda slack: answers(
            **{
                DecisionIds.KIND: radio_buttons("accept"),
                DecisionIds.SUMMARY: plain_text_input("Accepted"),
                DecisionIds.OWNER: users_select(PICKED),
                DecisionIds.FOLLOW_UP: _yesterday(slack),
            }
        ),
        DecisionIds.FOLLOW_UP,
    ),
    "review-transfer": Path(
        _in_review("transfer {ref}", "project_lead"),
        lambda slack: answers(
            **{
                ReviewIds.OWNER: users_select(PICKED),
                ReviewIds.REVIEW_DATE: _yesterday(slack),
                ReviewIds.NOTE: plain_text_input(None),
            }
        ),
        ReviewIds.REVIEW_DATE,
    ),
    "review-leadership-action": Path(
        _in_review("leadership-action", "board_member"),
        lambda slack: answers(
            **{
                ReviewIds.DESCRIPTION: plain_text_input("Fund a second trainer"),
                ReviewIds.OWNER: users_select(PICKED),
                ReviewIds.DUE_DATE: _yesterday(slack),
            }
        ),
        ReviewIds.DUE_DATE,
    ),
}


@pytest.mark.parametrize("name", list(PATHS))
def test_a_refused_form_adds_nobody_it_names(slack: SlackApp, name: str) -> None:
    path = PATHS[name]
    user = path.open(slack)
    modal = opened(slack)
    assert path.field in {b.get("block_id") for b in modal["blocks"]}, "no such field"
    slack.fake.clear()
    answer: Response = slack.submit(modal, path.values(slack), user=user)
    body = answer.json()
    assert body.get("response_action") == "errors", answer.body[:300]
    assert path.field in body["errors"]
    assert person(slack, PICKED) is None
    assert PICKED not in asked_about(slack)


def test_the_same_form_answered_well_adds_and_names_them(slack: SlackApp) -> None:
    """The refusal above is about the wrong answer, not the unknown person."""
    path = PATHS["control-add"]
    user = path.open(slack)
    values = path.values(slack)
    values[ControlIds.DUE_DATE] = {
        ControlIds.DUE_DATE: datepicker(slack.clock.now().date() + timedelta(days=3))
    }
    answer = slack.submit(opened(slack), values, user=user)
    assert answer.json()["response_action"] == "update"
    picked = person(slack, PICKED)
    assert picked is not None and picked.name == f"User {PICKED}"


def test_a_refused_role_grant_adds_nobody(slack: SlackApp) -> None:
    admin = slack.world.admin.slack_user_id
    slack.command(f"role <@{PICKED}> registered-manager", user=admin)
    assert "name the service" in slack.last_reply()
    assert person(slack, PICKED) is None
    slack.command(f"role <@{PICKED}> registered-manager Nowhere Lodge", user=admin)
    assert "No service called" in slack.last_reply()
    assert person(slack, PICKED) is None


def test_a_granted_role_adds_the_person_with_their_slack_name(slack: SlackApp) -> None:
    admin = slack.world.admin.slack_user_id
    slack.command(f"role <@{PICKED}> registered-manager Oakwood", user=admin)
    picked = person(slack, PICKED)
    assert picked is not None and picked.name == f"User {PICKED}"
