"""A Slack message as plain text, for a terminal (``golive demo``, ``golive job --preview``).

A person reading a terminal should see what the channel would read, not Slack's markup: no
``*bold*`` or ``_italic_`` markers, no ``:emoji:`` names, no ``<!date^...>`` tokens. Times
are shown in the provider's zone, since a terminal cannot show each reader their own as
Slack does.
"""

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

DATE = re.compile(r"<!date\^(\d+)\^[^|>]*(?:\|[^>]*)?>")
LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
MENTION = re.compile(r"<[@#]([A-Z0-9]+)(?:\|([^>]+))?>")
BROADCAST = re.compile(r"<!(here|channel|everyone)>")
EMOJI = re.compile(r"(?<![\w:/]):[a-z][a-z0-9_+-]*:(?![\w:]) *")
# a marker hugs its text: "*New issues: 7*", "_(urgent)_", never "2 * 3" or "daily_digest"
EMPHASIS = [
    re.compile(rf"(?<![\w{mark}]){mark}(?=\S)([^{mark}\n]*?\S){mark}(?![\w{mark}])")
    for mark in (r"\*", "_", "~", "`")
]
SPACES = re.compile(r"(?<=\S) {2,}")
FENCE = "```"


def local_time(seconds: int, zone: tzinfo) -> str:
    """A moment as the provider's clocks show it, like "Fri 04 Dec 08:30"."""
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone).strftime("%a %d %b %H:%M")


def plain_line(text: str, zone: tzinfo) -> str:
    """One line of mrkdwn as it reads: markers, emoji and tokens gone, times local."""
    text = DATE.sub(lambda match: local_time(int(match.group(1)), zone), text)
    text = LINK.sub(r"\2 (\1)", text)
    text = BARE_LINK.sub(r"\1", text)
    text = MENTION.sub(lambda match: "@" + (match.group(2) or match.group(1)), text)
    text = BROADCAST.sub(r"@\1", text)
    text = EMOJI.sub("", text)
    for pattern in EMPHASIS:
        text = pattern.sub(r"\1", text)
    text = SPACES.sub(" ", text).rstrip()
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_mrkdwn(text: str, zone: tzinfo) -> list[str]:
    """A mrkdwn text's lines; a ``` block keeps its lines as they are (the heat map's columns)."""
    lines: list[str] = []
    verbatim = False
    for line in text.split("\n"):
        if line.strip() == FENCE:
            verbatim = not verbatim
            continue
        lines.append(line.rstrip() if verbatim else plain_line(line, zone))
    return lines


def _texts(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block["type"] == "context":
        return [element for element in block["elements"] if "text" in element]
    return [block["text"], *block.get("fields", [])] if "text" in block else block["fields"]


def plain_text(blocks: list[dict[str, Any]], zone: tzinfo) -> str:
    """Block Kit blocks as the lines a terminal shows: a rule for a divider, buttons in
    brackets, and every text without its markup."""
    lines: list[str] = []
    for block in blocks:
        if block["type"] == "divider":
            lines.append("-" * 40)
        elif block["type"] == "actions":
            lines.append(
                "  ".join(f"[{plain_line(b['text']['text'], zone)}]" for b in block["elements"])
            )
        else:
            for text in _texts(block):
                lines += plain_mrkdwn(text["text"], zone)
    return "\n".join(lines)
