"""A notice's kind to the Teams renderer that words it, gathered from each feature's cards.

Every kind golive owes has one: the issue and project notices, the scheduled posts (the
reminder with its answers), the risk's, the care safeguards', the checkpoint's and the
review's. Each card is kept within Teams' message limit (``cards.fitted``)."""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from store.records.models import OutboxMessage
from teams import cards, care_cards, digest_cards, issue_cards, project_cards, reminders, risk_cards

Renderer = Callable[[Session, OutboxMessage], dict[str, Any]]


def _fitted(render: Renderer) -> Renderer:
    def within_limit(session: Session, message: OutboxMessage) -> dict[str, Any]:
        return cards.fitted(render(session, message))

    return within_limit


RENDERERS: dict[str, Renderer] = {
    kind: _fitted(render)
    for kind, render in {
        **issue_cards.RENDERERS,
        **project_cards.RENDERERS,
        **digest_cards.RENDERERS,
        **reminders.RENDERERS,
        **risk_cards.RENDERERS,
        **care_cards.RENDERERS,
    }.items()
}
