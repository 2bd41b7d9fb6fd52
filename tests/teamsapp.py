"""A pytest plugin: golive's real Teams face, served over HTTP on loopback, with a fake Bot
Framework (tests/fakebotframework.py) on the other side of every call.

``teams`` gives a test what it needs to tell a Teams user's story: send signed activities as
Teams does (``teams.send``, ``teams.invoke``), deliver the outbox with the real Teams sender
(``teams.deliver``), read what golive sent (``teams.fake``), and look at the records
(``teams.engine``). Built on the ``engine`` and ``clock`` fixtures, so it runs on PostgreSQL
too when GOLIVE_TEST_DATABASE_URL is set. The people of tests/world.py are linked to Teams
users (``teams.user(world.manager)``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from store.infra.clock import FixedClock
from store.infra.db import session_scope
from store.records import issues, people
from store.records.actors import COMMAND_LINE
from store.records.enums import Impact, IssueCategory, Urgency, Workaround
from store.records.issues import IssueReport
from store.records.models import Person
from teams.runtime import endpoint, sender_for
from teams.sender import TeamsSender
from teams.settings import TeamsSettings
from tests.fakebotframework import FakeBotFramework
from tests.fakebotframework import Person as TeamsUser
from tests.slack_requests import serve_wsgi
from tests.world import World, build_world

Json = dict[str, Any]


def settings_for(fake: FakeBotFramework) -> TeamsSettings:
    return TeamsSettings(**{key: value for key, value in fake.environment().items()})


def aad_id_of(person: Person) -> str:
    """A stable Azure AD object id for a test person."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"golive-test:{person.slack_user_id}"))


@dataclass
class TeamsApp:
    fake: FakeBotFramework
    url: str
    engine: Engine
    clock: FixedClock
    world: World
    settings: TeamsSettings
    sender: TeamsSender

    def user(self, person: Person) -> TeamsUser:
        return TeamsUser(aad_id_of(person), person.name)

    def send(self, activity: Json, *, token: str | None = None) -> httpx.Response:
        return self.fake.post(self.url, activity, now=self.clock.now(), token=token)

    def invoke(self, name: str, value: Json, *, by: Person, **kw: Any) -> httpx.Response:
        return self.send(self.fake.invoke(name, value, user=self.user(by), **kw))

    def report(self, description: str, **facts: Any) -> str:
        """An issue reported by the world's staff member at Oakwood, straight to the store
        (as any face would); its reference."""
        with session_scope(self.engine) as session:
            issue, _ = issues.report_issue(
                session,
                reporter=people.get_person(session, self.world.staff.slack_user_id),
                report=IssueReport(
                    service_id=self.world.oakwood.id or 0,
                    category=facts.get("category", IssueCategory.DEVICES),
                    description=description,
                    impact=facts.get("impact", Impact.NONE),
                    urgency=facts.get("urgency", Urgency.LOW),
                    workaround=facts.get("workaround", Workaround.NONE),
                ),
                now=self.clock.now(),
            )
            return issue.ref

    def deliver(self, passes: int = 10) -> int:
        """Run the real sender until a pass sends nothing; how many it sent."""
        total = 0
        for _ in range(passes):
            sent = self.sender.run_once()
            total += sent
            if sent == 0:
                break
        return total


@pytest.fixture
def teams(engine: Engine, clock: FixedClock) -> Iterator[TeamsApp]:
    world = build_world(engine, now=clock.now())
    with session_scope(engine) as session:
        for person in (
            world.staff,
            world.team_leader,
            world.manager,
            world.other_manager,
            world.project_lead,
        ):
            people.link_teams_user(
                session,
                actor=COMMAND_LINE,
                person=people.person_by_id(session, person_id=person.id),
                aad_id=aad_id_of(person),
                now=clock.now(),
            )
    with FakeBotFramework() as fake:
        settings = settings_for(fake)
        sender = sender_for(engine, settings, clock)
        app = endpoint(engine, settings, clock, sender=sender)
        url, stop = serve_wsgi(app)
        try:
            yield TeamsApp(fake, url, engine, clock, world, settings, sender)
        finally:
            stop()
