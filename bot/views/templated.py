"""Jinja2 templates to Block Kit, inside Slack's limits: how the Slack face words the posts
the scheduled jobs owe (bot/views/digests.py) and the providers' fallback procedures
(bot/views/fallback.py).

A template writes mrkdwn text with a few directive lines that say where each block starts:

    ::text <the notification's plain fallback>
    ::header <title>
    ::section          (the lines below are one section's mrkdwn; "• " lines are items)
    ::context          (the lines below are small grey text)
    ::divider
    ::buttons <block id>   (each line below: action id | value | button text | style)

Every ``{{ value }}`` is escaped for mrkdwn (&, <, >) and flattened to one line on output, so
nothing a person typed can ping a channel, forge a link or start a block of its own; only
values the helpers here mark as ``Mrkdwn`` (dates, mentions) pass through. Sections longer
than Slack allows end with "…and N more", and a message never exceeds 50 blocks.

The facts a template reads arrive as JSON (schedules/posts.py froze them when the post was
owed), so the date filters take a date or its ISO text alike.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.escape import escape
from store.records.enums import IssueStatus

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DIGESTS = TEMPLATES / "digests"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_VALUE = 2000
MAX_FALLBACK = 3000
DIRECTIVE = "::"
WHITESPACE = re.compile(r"\s+")


class Mrkdwn(str):
    """Text already safe for mrkdwn: written by golive, not typed by a person."""


def finalize(value: object) -> str:
    """What a template prints for a value: escaped and flattened to one line (a template's
    lines are its blocks), unless golive wrote it (``Mrkdwn``).

    Macros must not print values (their output would be escaped twice); templates print
    values directly."""
    if isinstance(value, Mrkdwn):
        return value
    return WHITESPACE.sub(" ", escape(None if value is None else str(value)))


def unescape(text: str) -> str:
    """Back from mrkdwn's escapes, for plain_text fields (headers, buttons) and terminals."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clip(value: object, limit: int = 120) -> str:
    text = " ".join(("" if value is None else str(value)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def moment_of(value: datetime | str) -> datetime:
    """A time as the facts hold it (ISO text) or as the store returns it."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def date_of(value: date | str) -> date:
    """A date as the facts hold it (ISO text, or a time's) or as the store returns it."""
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


def slack_time(value: datetime | str) -> Mrkdwn:
    """A time each reader sees in their own zone, with a UTC fallback for old clients."""
    moment = moment_of(value)
    fallback = moment.strftime("%d %b %H:%M UTC")
    return Mrkdwn(f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>")


def day(value: date | str | None) -> str:
    return "no date" if value is None else date_of(value).strftime("%a %d %b")


def issue_status(value: str) -> str:
    """An issue's status as people read it, from its stored value."""
    return IssueStatus(value).label


def mention(user_id: str | None) -> Mrkdwn:
    return Mrkdwn(f"<@{user_id}>") if user_id and user_id.isalnum() else Mrkdwn("")


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Environment: templates from files, undefined names fail loudly, no HTML
    autoescape (mrkdwn is not HTML), every output escaped for mrkdwn."""
    env = Environment(
        loader=FileSystemLoader([DIGESTS, TEMPLATES]),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
    )
    env.filters.update(
        mrkdwn=lambda value: Mrkdwn(finalize(value)),
        clip=clip,
        slacktime=slack_time,
        day=day,
        mention=mention,
        issue_status=issue_status,
    )
    env.globals.update(plural=plural)
    return env


DATE_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>")


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[dict[str, Any]]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}

    def as_text(self) -> str:
        """The message as plain lines, for a terminal (``golive demo``)."""
        lines = []
        for block in self.blocks:
            if block["type"] == "divider":
                lines.append("-" * 40)
            elif block["type"] == "actions":
                lines.append("  ".join(f"[{b['text']['text']}]" for b in block["elements"]))
            elif block["type"] == "context":
                lines.extend(element["text"] for element in block["elements"])
            else:
                lines.append(block["text"]["text"])
        return unescape(DATE_TOKEN.sub(r"\1", "\n".join(lines)))


def render(template: str, **context: Any) -> Rendered:
    source = environment().get_template(template).render(**context)
    return to_blocks(source)


def to_blocks(source: str) -> Rendered:
    """Turn a rendered template into Block Kit blocks within Slack's limits."""
    text = ""
    blocks: list[dict[str, Any]] = []
    kind: str | None = None
    argument = ""
    lines: list[str] = []

    def close() -> None:
        block = _block(kind, argument, lines)
        if block is not None:
            blocks.append(block)

    for raw in source.splitlines():
        if raw.startswith(DIRECTIVE):
            close()
            word, _, rest = raw[len(DIRECTIVE) :].partition(" ")
            kind, argument, lines = word.strip(), rest.strip(), []
            if kind == "text":
                text = argument
                kind = None
            continue
        if kind is not None:
            lines.append(raw.rstrip())
    close()
    if len(blocks) > MAX_BLOCKS:
        hidden = len(blocks) - (MAX_BLOCKS - 1)
        blocks = blocks[: MAX_BLOCKS - 1]
        blocks.append(_context(f"…and {plural(hidden, 'more part')} not shown"))
    fallback = text or _first_text(blocks)
    return Rendered(text=clip(fallback, MAX_FALLBACK), blocks=blocks)


def _block(kind: str | None, argument: str, lines: list[str]) -> dict[str, Any] | None:
    if kind is None:
        return None
    if kind == "divider":
        return {"type": "divider"}
    if kind == "header":
        title = clip(unescape(argument), MAX_HEADER)
        return {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}
    body = _trim_lines(lines)
    if kind == "buttons":
        return _buttons(argument, body)
    if not body:
        return None
    text = truncate_items("\n".join(body), MAX_SECTION)
    if kind == "context":
        return _context(text)
    if kind == "section":
        return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    raise ValueError(f"unknown block directive '::{kind}' in a template")


def _trim_lines(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _buttons(block_id: str, lines: list[str]) -> dict[str, Any] | None:
    elements = []
    for line in lines[:25]:
        action_id, value, label, *style = [part.strip() for part in line.split("|")]
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id[:255],
            "value": value[:MAX_VALUE],
            "text": {
                "type": "plain_text",
                "text": clip(unescape(label), MAX_BUTTON_TEXT),
                "emoji": True,
            },
        }
        if style and style[0] in ("primary", "danger"):
            button["style"] = style[0]
        elements.append(button)
    if not elements:
        return None
    block: dict[str, Any] = {"type": "actions", "elements": elements}
    if block_id:
        block["block_id"] = block_id[:255]
    return block


def truncate_items(text: str, limit: int) -> str:
    """Keep whole lines within ``limit`` and say how many items were left out."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    size = 0
    reserve = len("\n…and 99999 more")
    for number, line in enumerate(lines):
        if size + len(line) + 1 > limit - reserve:
            rest = lines[number:]
            hidden = sum(1 for each in rest if each.lstrip().startswith("•")) or len(rest)
            kept.append(f"…and {hidden} more")
            break
        kept.append(line)
        size += len(line) + 1
    result = "\n".join(kept)
    return result if len(result) <= limit else result[: limit - 1] + "…"


def _first_text(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        text = block.get("text", {}).get("text")
        if text:
            return str(text)
    return "golive"
