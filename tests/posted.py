"""An owed message as Slack receives it: the outbox row worded by the Slack face's renderer
(bot/notices.py), as the sender words it before posting. Scheduled posts are owed as notices
with facts, so a test that reads one back from the outbox reads it through the face."""

import json
from typing import Any

from sqlmodel import Session

from bot import notices
from store.records.models import OutboxMessage


def as_posted(session: Session, message: OutboxMessage) -> dict[str, Any]:
    rendered = notices.render(session, message)
    return {"text": rendered.text, "blocks": rendered.blocks}


def posted_json(session: Session, message: OutboxMessage) -> str:
    """The posted message as JSON text, to search for what it says."""
    return json.dumps(as_posted(session, message))
