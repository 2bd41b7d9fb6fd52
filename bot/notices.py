"""Turn an owed outbox message into what Slack shows, at send time, from current records.

Each feature's view module exports ``RENDERERS`` (notice -> renderer); a feature adds its
own by appending one import and one ``**`` line below. The scheduled posts' renderers
(bot/views/digests.py) word facts frozen when the post was owed. DIGEST is a message that
arrived already written (rows owed before the scheduled posts became notices with facts) and
is posted as it was written.
"""

from collections.abc import Callable

from sqlmodel import Session

from bot.escape import BLOCKS_PER_MESSAGE, MESSAGE_TEXT, fit_blocks, truncate
from bot.views import care as care_views
from bot.views import checkpoints as checkpoint_views
from bot.views import controls as control_views
from bot.views import decisions as decision_views
from bot.views import digests as digest_views
from bot.views import issues as issue_views
from bot.views import phases as phase_views
from bot.views import review as review_views
from bot.views.common import RenderedMessage
from store.records.models import OutboxMessage
from store.records.outbox import Notice, payload_of

Renderer = Callable[[Session, OutboxMessage], RenderedMessage]


class UnknownNotice(LookupError):
    """A notice no feature renders: kept in the outbox with this error for a human to see."""


def render_digest(session: Session, message: OutboxMessage) -> RenderedMessage:
    data = payload_of(message)
    return RenderedMessage(str(data.get("text", "")), list(data.get("blocks") or []))


RENDERERS: dict[str, Renderer] = {
    Notice.DIGEST: render_digest,
    **issue_views.RENDERERS,
    **checkpoint_views.RENDERERS,
    **control_views.RENDERERS,
    **decision_views.RENDERERS,
    **phase_views.RENDERERS,
    **review_views.RENDERERS,
    **care_views.RENDERERS,
    **digest_views.RENDERERS,
}


SLACK_ONLY: dict[str, Renderer] = {**issue_views.SLACK_ONLY}
"""Kinds the Slack face owes itself and words alone (a roll-up of the triage posts its pace
holds back); the notices in ``RENDERERS`` are every face's."""


def render(session: Session, message: OutboxMessage) -> RenderedMessage:
    renderer = RENDERERS.get(message.notice) or SLACK_ONLY.get(message.notice)
    if renderer is None:
        raise UnknownNotice(f"no renderer for notice '{message.notice}'")
    rendered = renderer(session, message)
    return RenderedMessage(
        truncate(rendered.text, MESSAGE_TEXT) or " ",
        fit_blocks(rendered.blocks, BLOCKS_PER_MESSAGE),
    )
