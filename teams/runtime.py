"""Putting the Teams face together for a process: the connector with its token source, the
endpoint's WSGI app with its outbox sender, and what the settings seed at start-up."""

from sqlalchemy import Engine

from store.infra.clock import Clock
from store.infra.db import session_scope
from store.records import channels, people
from store.records.actors import COMMAND_LINE
from store.records.enums import ChannelPurpose
from teams.app import WsgiApp, make_wsgi
from teams.auth import ActivityAuth, TokenSource
from teams.connector import Connector
from teams.face import Face
from teams.sender import FACE, TeamsSender
from teams.settings import TeamsSettings


def connector_for(settings: TeamsSettings, clock: Clock) -> Connector:
    settings.require()
    assert settings.app_password is not None
    return Connector(
        TokenSource(
            app_id=str(settings.app_id),
            app_password=settings.app_password.get_secret_value(),
            token_url=settings.token_endpoint,
            scope=settings.scope,
            clock=clock,
        )
    )


def sender_for(engine: Engine, settings: TeamsSettings, clock: Clock) -> TeamsSender:
    return TeamsSender(engine, connector_for(settings, clock), clock, settings)


def endpoint(
    engine: Engine, settings: TeamsSettings, clock: Clock, *, sender: TeamsSender
) -> WsgiApp:
    """The messaging endpoint, replying through the sender's connector and waking it after
    every change that owes messages."""
    face = Face(
        engine=engine,
        clock=clock,
        settings=settings,
        connector=sender.connector,
        nudge=sender.nudge,
    )
    auth = ActivityAuth(
        app_id=str(settings.app_id),
        openid_url=settings.openid_url,
        issuer=settings.issuer,
        clock=clock,
    )
    return make_wsgi(face, auth)


def worker(engine: Engine, settings: TeamsSettings, clock: Clock) -> WsgiApp:
    """One gunicorn worker's app, with its own running sender."""
    sender = sender_for(engine, settings, clock)
    sender.start()
    return endpoint(engine, settings, clock, sender=sender)


def apply_settings(engine: Engine, settings: TeamsSettings, *, clock: Clock) -> None:
    """Make TEAMS_ADMINS admins, and have the posts of each purpose that has a Teams channel
    owed even where no Slack channel is set (a provider on Teams alone)."""
    now = clock.now()
    with session_scope(engine) as session:
        for aad_id in settings.admin_ids:
            person = people.ensure_teams_person(session, aad_id=aad_id, name="", now=now)
            people.ensure_admin(session, person=person, now=now)
        for purpose, channel in (
            (ChannelPurpose.TRIAGE, settings.triage_channel),
            (ChannelPurpose.PROJECT, settings.project_channel),
            (ChannelPurpose.BOARD, settings.board_channel),
        ):
            if channel:
                channels.route_to_face(
                    session, actor=COMMAND_LINE, purpose=purpose, face=FACE, now=now
                )
