"""The App Home tab, published when it is opened and after each change a person makes."""

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Home
from bot.views.home import HomeData, home_view
from commands.context import Deps, guarded
from store import controls, issues, people, quiet
from store.errors import DomainError
from store.models import Issue, Person, Risk
from store.permissions import Action, allowed

log = logging.getLogger("golive.home")

Json = dict[str, Any]


def home_data(session: Session, slack_user_id: str, *, today: Any) -> HomeData:
    person = people.find_person(session, slack_user_id)
    if person is None:
        return HomeData(name=None)
    owned = issues.list_issues(
        session, filters=issues.IssueFilter(owner_id=person.id, open_only=True), limit=50
    )
    reported = issues.list_issues(
        session, filters=issues.IssueFilter(reporter_id=person.id), limit=50
    )
    late = [i for i in issues.overdue_corrections(session, today=today) if i.owner_id == person.id]
    overdue_controls = []
    for control in controls.controls_owned_by(session, person):
        if control.due_date is None or control.due_date >= today:
            continue
        parent = (
            session.get(Issue, control.issue_id)
            if control.issue_id
            else session.get(Risk, control.risk_id)
        )
        overdue_controls.append((control, parent.ref if parent is not None else "-"))
    shown = {i.id: i for i in [*owned, *reported, *late]}
    can_triage = {
        issue_id
        for issue_id, issue in shown.items()
        if allowed(session, person, Action.TRIAGE_ISSUE, service_id=issue.service_id)
    }
    return HomeData(
        name=person.name,
        owned=owned,
        reported=reported,
        overdue_corrections=late,
        overdue_controls=overdue_controls,
        service_names={s.id: s.name for s in people.list_services(session) if s.id},
        can_triage={i for i in can_triage if i is not None},
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
        ids = {issue.owner_id, issue.reporter_id} - {None}
        found = [session.get(Person, person_id) for person_id in ids]
        return [p.slack_user_id for p in found if p is not None]

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
