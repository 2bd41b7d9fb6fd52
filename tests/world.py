"""A small provider for tests: two homes, and one person in each role that matters."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from store.infra.db import session_scope
from store.records import channels, people
from store.records.actors import COMMAND_LINE
from store.records.enums import ChannelPurpose, Role
from store.records.models import Person, Service

TRIAGE_CHANNEL = "CTRIAGE01"
PROJECT_CHANNEL = "CPROJECT1"
BOARD_CHANNEL = "CBOARD001"


@dataclass
class World:
    oakwood: Service
    riverside: Service
    staff: Person
    team_leader: Person
    manager: Person
    other_manager: Person
    quality_lead: Person
    project_lead: Person
    board_member: Person
    admin: Person


def build_world(engine: Engine, *, now: datetime) -> World:
    with session_scope(engine) as session:
        oakwood = people.create_service(session, actor=COMMAND_LINE, name="Oakwood House", now=now)
        riverside = people.create_service(
            session, actor=COMMAND_LINE, name="Riverside Lodge", now=now
        )
        for purpose, channel in (
            (ChannelPurpose.TRIAGE, TRIAGE_CHANNEL),
            (ChannelPurpose.PROJECT, PROJECT_CHANNEL),
            (ChannelPurpose.BOARD, BOARD_CHANNEL),
        ):
            channels.set_channel(
                session, actor=COMMAND_LINE, purpose=purpose, channel_id=channel, now=now
            )

        def person(uid: str, name: str, role: Role | None, service: Service | None) -> Person:
            who = people.add_person(
                session, actor=COMMAND_LINE, slack_user_id=uid, name=name, service=oakwood, now=now
            )
            if role is not None:
                people.grant_role(
                    session, actor=COMMAND_LINE, person=who, role=role, service=service, now=now
                )
            return who

        world = World(
            oakwood=oakwood,
            riverside=riverside,
            staff=person("USTAFF01", "Sam Carer", None, None),
            team_leader=person("UTEAM001", "Tia Leader", Role.TEAM_LEADER, oakwood),
            manager=person("UMANAGER1", "Mo Manager", Role.REGISTERED_MANAGER, oakwood),
            other_manager=person("UMANAGER2", "Rae Manager", Role.REGISTERED_MANAGER, riverside),
            quality_lead=person("UQUALITY1", "Quinn Quality", Role.QUALITY_LEAD, None),
            project_lead=person("UPROJECT1", "Pat Project", Role.PROJECT_LEAD, None),
            board_member=person("UBOARD01", "Bea Board", Role.BOARD_MEMBER, None),
            admin=person("UADMIN01", "Ada Admin", Role.ADMIN, None),
        )
    return world
