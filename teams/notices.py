"""A notice's kind to the Teams renderer that words it, gathered from each feature's cards."""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from store.records.models import OutboxMessage
from teams import issue_cards, project_cards

Renderer = Callable[[Session, OutboxMessage], dict[str, Any]]

RENDERERS: dict[str, Renderer] = {**issue_cards.RENDERERS, **project_cards.RENDERERS}
