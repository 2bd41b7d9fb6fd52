"""The App Home tab, published when it is opened and after each change a person makes."""

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Home
from bot.views.home import PER_LIST, HomeData, home_view
from commands.context import Deps, guarded
from store.infra.errors import DomainError
from store.records import controls, issues, people, quiet
from store.records.models import Person, ident
from store.records.permissions import Action, permissions_for

log = logging.getLogger("golive.home")

Json = dict[str, Any]


def home_data(session: Session, slack_user_id: str, *, today: date) -> HomeData:
    """Only what the tab shows (the first few of each list and how many more there are), in
    the same few queries however much the person owns, reported or let run late."""
    person = people.find_person(session, slack_user_id)
    if person is None:
        return HomeData(name=None)
    person_id = ident(person)
    mine = issues.IssueFilter(owner_id=person_id, open_only=True)
    theirs = issues.IssueFilter(reporter_id=person_id)
    owned = issues.list_issues(session, filters=mine, limit=PER_LIST)
    reported = issues.list_issues(session, filters=theirs, limit=PER_LIST)
    late = issues.overdue_corrections(session, today=today, owner_id=person_id, limit=PER_LIST)
    overdue_controls, overdue_control_count = controls.overdue_controls_of(
        session, owner_id=person_id, today=today, limit=PER_LIST
    )
    shown = [*owned, *reported, *late]
    may = permissions_for(session, person)
    return HomeData(
        name=person.name,
        owned=owned,
        owned_count=issues.count_issues(session, filters=mine),
        reported=reported,
        reported_count=issues.count_issues(session, filters=theirs),
        overdue_corrections=late,
        overdue_controls=overdue_controls,
        overdue_control_count=overdue_control_count,
        service_names=issues.service_names_of(session, shown),
        can_triage={
            issue.id
            for issue in shown
            if issue.id is not None and may.allows(Action.TRIAGE_ISSUE, service_id=issue.service_id)
        },
        quiet_hours=quiet_text(session, person),
    )


def quiet_text(session: Session, person: Person) -> str | None:
    row = quiet.quiet_hours_of(session, person)
    return quiet.describe(row) if row is not None else None


def refresh(deps: Deps, client: WebClient, slack_user_id: str) -> None:
    """Publish the person's Home tab as it is now; a failure is logged, not shown, since the
    change they made has already been saved."""
    now = deps.now()
    today = now.astimezone(deps.settings.zone).date()
    view = home_view(deps.read(lambda s: home_data(s, slack_user_id, today=today)), now=now)
    try:
        client.views_publish(user_id=slack_user_id, view=view)
    except Exception as error:
        log.warning("could not publish the Home tab: %s", type(error).__name__)


def refresh_around_issue(deps: Deps, client: WebClient, ref: str, *, actor: str) -> None:
    """After a change to an issue: the Home tabs of whoever made it, its owner and its
    reporter, since each lists it."""

    def people_of(session: Session) -> list[str]:
        try:
            issue = issues.get_issue(session, ref)
        except DomainError:
            return []
        found = people.by_ids(session, ids={issue.owner_id, issue.reporter_id})
        return [found[person_id].slack_user_id for person_id in sorted(found)]

    for user_id in dict.fromkeys([actor, *deps.read(people_of)]):
        refresh(deps, client, user_id)


def register(app: App, deps: Deps) -> None:
    def ack_event(ack: Ack) -> None:
        ack()

    @guarded
    def publish_home(body: Json, client: WebClient, event: Json) -> None:
        if event.get("tab", "home") == "home":
            refresh(deps, client, event["user"])

    app.event("app_home_opened")(ack=ack_event, lazy=[publish_home])

    @guarded
    def refresh_clicked(body: Json, client: WebClient) -> None:
        refresh(deps, client, body["user"]["id"])

    app.action(Home.REFRESH)(ack=ack_event, lazy=[refresh_clicked])
