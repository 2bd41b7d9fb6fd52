"""What every long-running command does before it serves: check the schema, and apply the
settings that seed the database (the first admins, the channels)."""

from datetime import datetime

from sqlalchemy import Engine

from bot.settings import Settings, SettingsError
from store.infra.db import session_scope
from store.infra.schema import current_revision, head_revision
from store.records import channels, people
from store.records.actors import COMMAND_LINE
from store.records.enums import ChannelPurpose


def check_schema(engine: Engine) -> None:
    current = current_revision(engine)
    if current != head_revision():
        state = "is empty" if current is None else f"is at revision {current}"
        raise SettingsError(f"The database {state}; run 'golive init' to create or upgrade it")


def apply_settings(engine: Engine, settings: Settings, *, now: datetime) -> None:
    """Make GOLIVE_ADMINS admins and point the purposes at the configured channels."""
    with session_scope(engine) as session:
        for user_id in settings.admin_ids:
            person = people.ensure_person(session, slack_user_id=user_id, name=user_id, now=now)
            people.ensure_admin(session, person=person, now=now)
        for purpose, channel in (
            (ChannelPurpose.TRIAGE, settings.triage_channel),
            (ChannelPurpose.PROJECT, settings.project_channel),
            (ChannelPurpose.BOARD, settings.board_channel),
        ):
            if channel and channels.channel_for(session, purpose) != channel:
                channels.set_channel(
                    session, actor=COMMAND_LINE, purpose=purpose, channel_id=channel, now=now
                )
