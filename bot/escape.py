"""Slack text safety: escape what people typed, and keep every field within Slack's limits.

Slack's mrkdwn control characters are ``&``, ``<`` and ``>``; escaping them means a report
cannot ping ``<!channel>``, mention someone, or forge a link. The same path masks any NHS
number or date of birth that got past the forms (store/records/privacy.py), so none reaches Slack.
``escape`` is golive's one mrkdwn escape: the builders use it and so do the scheduled posts'
templates (bot/views/templated.py), so a view and a digest cannot escape differently. Limits
are Slack's own: going over one makes the whole API call fail, so text is cut with a visible
marker instead.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from store.records.privacy import mask

SECTION_TEXT = 3000
BLOCKS_PER_MESSAGE = 50
BLOCKS_PER_VIEW = 100
OPTION_TEXT = 75
MODAL_TITLE = 24
BUTTON_TEXT = 75
INPUT_MAX = 3000
ID_MAX = 255
MESSAGE_TEXT = 4000
PRIVATE_METADATA = 3000

T = TypeVar("T")


def escape(text: str | None) -> str:
    """Text a person typed, made safe to show inside mrkdwn: Slack's three control characters
    escaped, and any NHS number or date of birth masked (store/records/privacy.py), as what
    golive posts is read in channels."""
    if not text:
        return ""
    return mask(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, *, marker: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with ``marker`` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)] + marker


def safe(text: str | None, limit: int = SECTION_TEXT) -> str:
    """Escaped and within ``limit``: cut before escaping would split an entity, so cut after
    and drop any entity the cut broke."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def plain(text: str | None, limit: int) -> str:
    """For plain_text fields (option, button, title): no escaping needed, only the limit."""
    return truncate(" ".join((text or "").split()), limit) or "-"


def cap_items(items: Sequence[T], limit: int) -> tuple[list[T], int]:
    """The first ``limit`` items and how many were left out, for "and N more"."""
    if len(items) <= limit:
        return list(items), 0
    return list(items[:limit]), len(items) - limit


def and_more(hidden: int, what: str = "more") -> dict[str, Any] | None:
    """A context block saying how many items did not fit, or None when all did."""
    if hidden <= 0:
        return None
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"…and {hidden} {what}"}],
    }


def fit_blocks(blocks: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Keep a message or view within its block limit, saying how many blocks were cut."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    note = and_more(len(blocks) - len(kept), "more not shown; use /golive list to see them")
    assert note is not None
    return [*kept, note]
