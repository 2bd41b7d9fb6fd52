"""Small Block Kit builders every feature's views share, each keeping Slack's limits."""

from datetime import date, datetime
from typing import Any

from bot.escape import (
    BLOCKS_PER_VIEW,
    BUTTON_TEXT,
    ID_MAX,
    INPUT_MAX,
    MODAL_TITLE,
    OPTION_TEXT,
    PRIVATE_METADATA,
    SECTION_TEXT,
    fit_blocks,
    plain,
    safe,
    truncate,
)
from bot.ids import Common
from store.records.enums import Labelled
from store.records.models import Person

Block = dict[str, Any]


def text_obj(text: str, *, emoji: bool = True) -> Block:
    return {"type": "plain_text", "text": text, "emoji": emoji}


def section(mrkdwn: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    """A section of mrkdwn already escaped by the caller; cut to Slack's 3000 characters."""
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": _fit(mrkdwn)}}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id[:ID_MAX]
    return block


def fields(pairs: list[tuple[str, str]]) -> Block:
    """A section of up to ten label/value fields (values already escaped)."""
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": truncate(f"*{label}*\n{value}", 2000)}
            for label, value in pairs[:10]
        ],
    }


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": _fit(t)} for t in texts[:10] if t],
    }


def header(text: str) -> Block:
    return {"type": "header", "text": text_obj(plain(text, 150))}


def divider() -> Block:
    return {"type": "divider"}


def _fit(text: str) -> str:
    return truncate(text, SECTION_TEXT) or " "


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "text": text_obj(plain(text, BUTTON_TEXT)),
        "action_id": action_id[:ID_MAX],
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, confirm: str, deny: str = "Cancel") -> Block:
    return {
        "title": text_obj(plain(title, 100)),
        "text": {"type": "mrkdwn", "text": truncate(text, 300)},
        "confirm": text_obj(plain(confirm, 30)),
        "deny": text_obj(plain(deny, 30)),
    }


def actions(elements: list[Block], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id is not None:
        block["block_id"] = block_id[:ID_MAX]
    return block


def option(value: str, text: str) -> Block:
    return {"text": text_obj(plain(text, OPTION_TEXT)), "value": value[:150]}


def enum_options(members: list[Labelled]) -> list[Block]:
    return [option(m.value, m.label) for m in members]


def input_block(
    block_id: str,
    label: str,
    element: Block,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """An input whose action id equals its block id, so the form parser finds it by one name."""
    element = {**element, "action_id": block_id}
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": text_obj(plain(label, 2000)),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = text_obj(plain(hint, 2000))
    return block


def text_input(
    *,
    multiline: bool = False,
    initial: str | None = None,
    placeholder: str | None = None,
    max_length: int = INPUT_MAX,
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": min(max_length, INPUT_MAX),
    }
    if initial:
        element["initial_value"] = initial[: element["max_length"]]
    if placeholder:
        element["placeholder"] = text_obj(plain(placeholder, 150))
    return element


def static_select(options: list[Block], *, initial: str | None = None) -> Block:
    element: Block = {"type": "static_select", "options": options[:100]}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def radio_buttons(options: list[Block], *, initial: str | None = None) -> Block:
    element: Block = {"type": "radio_buttons", "options": options[:10]}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def users_select(*, initial: str | None = None) -> Block:
    element: Block = {"type": "users_select"}
    if initial:
        element["initial_user"] = initial
    return element


def datepicker(*, initial: date | None = None) -> Block:
    element: Block = {"type": "datepicker"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return element


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = "Save",
    close: str = "Cancel",
    private_metadata: str = "",
) -> Block:
    view: Block = {
        "type": "modal",
        "callback_id": callback_id,
        "title": text_obj(plain(title, MODAL_TITLE)),
        "close": text_obj(plain(close, MODAL_TITLE)),
        "blocks": blocks[:100],
        "private_metadata": private_metadata[:PRIVATE_METADATA],
    }
    if submit:
        view["submit"] = text_obj(plain(submit, MODAL_TITLE))
    return view


def form_modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = "Save",
    metadata: str = "",
) -> Block:
    """A form cut to Slack's block limit, with Cancel beside its submit button (Close when
    there is nothing to submit)."""
    return modal(
        callback_id,
        title,
        fit_blocks(blocks, BLOCKS_PER_VIEW),
        submit=submit,
        close="Cancel" if submit else "Close",
        private_metadata=metadata,
    )


def notice_modal(title: str, text: str) -> Block:
    """A modal that only tells the person something: a refusal, or what went wrong."""
    return modal(Common.NOTICE_MODAL, title, [section(text)], submit=None, close="OK")


def user_mention(slack_user_id: str | None) -> str:
    return f"<@{slack_user_id}>" if slack_user_id else "nobody yet"


def slack_id(person: Person | None) -> str | None:
    return None if person is None else person.slack_user_id


def mention(person: Person | None) -> str:
    """A person as Slack shows them; the id is ours, never typed text."""
    return user_mention(slack_id(person))


def when(moment: datetime | None) -> str:
    """A time each reader sees in their own zone, via Slack's date token."""
    if moment is None:
        return "-"
    stamp = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>"


def day(value: date | None) -> str:
    return value.strftime("%a %d %b %Y") if value else "-"


def quote(text: str | None, limit: int = 2500) -> str:
    """User text as an escaped block quote."""
    body = safe(text, limit)
    return "\n".join(f">{line}" for line in body.splitlines()) or ">-"


class RenderedMessage:
    """What a notice says: the fallback text (notifications, screen readers) and the blocks."""

    __slots__ = ("blocks", "text")

    def __init__(self, text: str, blocks: list[Block]) -> None:
        self.text = text
        self.blocks = blocks

    def __repr__(self) -> str:
        return f"RenderedMessage(text={self.text!r}, blocks={len(self.blocks)})"


def unique_block_ids(blocks: list[Block]) -> list[Block]:
    """Slack refuses a view that repeats a block id; an item shown in two lists (reported
    and owned) gets a numbered id the second time."""
    seen: dict[str, int] = {}
    result = []
    for block in blocks:
        block_id = block.get("block_id")
        if block_id is None:
            result.append(block)
            continue
        seen[block_id] = seen.get(block_id, 0) + 1
        if seen[block_id] > 1:
            block = {**block, "block_id": f"{block_id}:{seen[block_id]}"[:ID_MAX]}
        result.append(block)
    return result
