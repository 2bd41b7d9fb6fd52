"""Where golive posts: the triage, project and board channels."""

from datetime import datetime

from sqlmodel import Session, select

from store.infra.errors import ValidationError
from store.records import audit
from store.records.actors import Actor
from store.records.enums import ChannelPurpose
from store.records.models import ChannelRoute
from store.records.permissions import Action, require


def channel_for(session: Session, purpose: ChannelPurpose) -> str | None:
    route = session.get(ChannelRoute, purpose)
    return None if route is None else route.channel_id


def all_channels(session: Session) -> dict[ChannelPurpose, str]:
    return {route.purpose: route.channel_id for route in session.exec(select(ChannelRoute))}


def set_channel(
    session: Session, *, actor: Actor, purpose: ChannelPurpose, channel_id: str, now: datetime
) -> ChannelRoute:
    require(session, actor, Action.MANAGE_SETUP)
    channel_id = channel_id.strip()
    if not channel_id or channel_id[0] not in "CG" or not channel_id.isalnum():
        raise ValidationError(
            f"'{channel_id}' is not a Slack channel id; copy it from the channel's details "
            "(it starts with C, like C0123ABCD)",
            field="channel",
        )
    route = session.get(ChannelRoute, purpose)
    if route is None:
        route = ChannelRoute(purpose=purpose, channel_id=channel_id)
        session.add(route)
        session.flush()
        audit.record_created(session, route, actor=actor, now=now)
        return route
    with audit.audited(session, route, actor=actor, action="channel changed", now=now):
        route.channel_id = channel_id
    return route


def route_to_face(
    session: Session, *, actor: Actor, purpose: ChannelPurpose, face: str, now: datetime
) -> bool:
    """Have the posts for ``purpose`` owed even though no Slack channel takes them, for a
    provider whose only chat is another face (Teams), which routes them by purpose to a
    channel of its own. A purpose already routed is left as it is; True if this routed it."""
    require(session, actor, Action.MANAGE_SETUP)
    if session.get(ChannelRoute, purpose) is not None:
        return False
    route = ChannelRoute(purpose=purpose, channel_id=f"{face}:{purpose.value}"[:40])
    session.add(route)
    session.flush()
    audit.record_created(session, route, actor=actor, now=now)
    return True
