"""A Teams user is a golive person: met on Teams first, or linked by an admin to the person
they already are on Slack, so both faces act as one person with one set of roles."""

import pytest
from sqlalchemy import Engine

from bot.cli import main
from store.infra.clock import FixedClock
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.records import people
from store.records.actors import COMMAND_LINE
from store.records.enums import Role
from tests.world import build_world

AAD = "0f3c2a9e-1b2c-4d5e-8f90-123456789abc"


def test_someone_met_on_teams_first_is_linked_to_their_slack_self(
    engine: Engine, clock: FixedClock
) -> None:
    world = build_world(engine, now=clock.now())
    with session_scope(engine) as session:
        stand_in = people.ensure_teams_person(
            session, aad_id=AAD.upper(), name="Mo M", now=clock.now()
        )
        assert stand_in.slack_user_id.startswith(people.TEAMS_ONLY_PREFIX)
        assert (
            people.ensure_teams_person(session, aad_id=AAD, name="x", now=clock.now()).id
            == stand_in.id
        )
        manager = people.get_person(session, world.manager.slack_user_id)
        people.link_teams_user(
            session, actor=COMMAND_LINE, person=manager, aad_id=AAD, now=clock.now()
        )
    with session_scope(engine, write=False) as session:
        found = people.find_teams_person(session, AAD)
        assert found is not None and found.id == world.manager.id
        assert Role.REGISTERED_MANAGER in {role for role, _ in people.roles_of(session, found)}


def test_a_teams_user_linked_to_someone_else_is_refused_by_name(
    engine: Engine, clock: FixedClock
) -> None:
    world = build_world(engine, now=clock.now())
    with session_scope(engine) as session:
        manager = people.get_person(session, world.manager.slack_user_id)
        staff = people.get_person(session, world.staff.slack_user_id)
        people.link_teams_user(
            session, actor=COMMAND_LINE, person=manager, aad_id=AAD, now=clock.now()
        )
        with pytest.raises(ValidationError, match="already Mo Manager"):
            people.link_teams_user(
                session, actor=COMMAND_LINE, person=staff, aad_id=AAD, now=clock.now()
            )
        with pytest.raises(ValidationError, match="is not an Azure AD object id"):
            people.link_teams_user(
                session, actor=COMMAND_LINE, person=staff, aad_id="29:abc", now=clock.now()
            )


def test_an_admin_links_a_teams_user_from_the_command_line(
    engine: Engine,
    database_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = build_world(engine, now=clock.now())
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["person", "link-teams", world.staff.slack_user_id, AAD], clock=clock) == 0
    assert (
        "Sam Carer is 0f3c2a9e-1b2c-4d5e-8f90-123456789abc in Microsoft Teams"
        in capsys.readouterr().out
    )
    assert main(["role", "grant", AAD, "team-leader", "--service", "oakwood"], clock=clock) == 0
    assert main(["person", "link-teams", world.staff.slack_user_id, "not-a-guid"], clock=clock) == 2
    assert "is not an Azure AD object id" in capsys.readouterr().err
    with session_scope(engine, write=False) as session:
        staff = people.find_teams_person(session, AAD)
        assert staff is not None
        assert Role.TEAM_LEADER in {role for role, _ in people.roles_of(session, staff)}


def test_golive_teams_without_its_settings_names_them_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEAMS_APP_ID", "8f0b4f3e-0d5c-4f8e-9d61-3c1e2b7a9f10")
    assert main(["teams"]) == 2
    err = capsys.readouterr().err
    assert (
        "TEAMS_APP_PASSWORD, TEAMS_TENANT_ID is not set; see 'Microsoft Teams' in the README" in err
    )
    assert "Traceback" not in err
