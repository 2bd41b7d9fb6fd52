"""Filling a modal the way a person does: read the modal the bot really opened, find each
question by its label, and pick an answer a person would (the one asked for by its visible
text, else what is already chosen, else a sensible one)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.slack_requests import (
    checkboxes,
    conversations_select,
    datepicker,
    multi_static_select,
    multi_users_select,
    number_input,
    plain_text_input,
    radio_buttons,
    static_select,
    timepicker,
    users_select,
)

Json = dict[str, Any]

SOME_TEXT = "Checked with the team leader on shift; manual MAR sheets in use meanwhile"


class FormError(AssertionError):
    """The modal cannot be filled as asked: a label or an answer is not on it."""


def labels(view: Json) -> list[str]:
    """The questions the modal asks, in order."""
    return [block["label"]["text"] for block in view.get("blocks", []) if _is_input(block)]


def _is_input(block: Json) -> bool:
    return block.get("type") == "input" and "element" in block


def _options(element: Json) -> list[Json]:
    found = list(element.get("options", []))
    for group in element.get("option_groups", []):
        found += group.get("options", [])
    return found


def _pick(element: Json, wanted: str | None, label: str) -> Json:
    options = _options(element)
    if wanted is not None:
        for each in options:
            if wanted in (each["text"]["text"], each["value"]):
                return each
        shown = [each["text"]["text"] for each in options]
        raise FormError(f"'{label}' offers no '{wanted}'; it offers {shown}")
    if element.get("initial_option"):
        return dict(element["initial_option"])
    if not options:
        raise FormError(f"'{label}' offers nothing to choose")
    return options[0]


def answer(element: Json, wanted: Any, label: str, *, user: str, today: dt.date) -> Json:
    """The state Slack sends for one element answered with ``wanted`` (None: a default)."""
    kind = element["type"]
    if kind == "static_select":
        chosen = _pick(element, wanted, label)
        return static_select(chosen["value"], chosen["text"]["text"])
    if kind == "radio_buttons":
        chosen = _pick(element, wanted, label)
        return radio_buttons(chosen["value"], chosen["text"]["text"])
    if kind in ("multi_static_select", "checkboxes"):
        if wanted is None:
            initial = element.get("initial_options") or _options(element)[:1]
            values = [each["value"] for each in initial]
        else:
            wanted_list = wanted if isinstance(wanted, list) else [wanted]
            values = [_pick(element, each, label)["value"] for each in wanted_list]
        return (multi_static_select if kind == "multi_static_select" else checkboxes)(*values)
    if kind == "plain_text_input":
        text = wanted if wanted is not None else element.get("initial_value") or SOME_TEXT
        limit = element.get("max_length")
        return plain_text_input(text[:limit] if limit else text)
    if kind == "number_input":
        if wanted is None:
            wanted = element.get("initial_value") or element.get("min_value") or "3"
        return number_input(wanted)
    if kind == "datepicker":
        default = element.get("initial_date") or (today + dt.timedelta(days=7)).isoformat()
        return datepicker(wanted if wanted is not None else default)
    if kind == "timepicker":
        return timepicker(wanted if wanted is not None else element.get("initial_time", "09:00"))
    if kind == "users_select":
        return users_select(wanted if wanted is not None else element.get("initial_user", user))
    if kind == "multi_users_select":
        chosen = wanted if wanted is not None else element.get("initial_users", [user])
        return multi_users_select(*(chosen if isinstance(chosen, list) else [chosen]))
    if kind in ("conversations_select", "channels_select"):
        initial = element.get("initial_conversation") or element.get("initial_channel")
        chosen = wanted if wanted is not None else initial
        return conversations_select(chosen)
    raise FormError(f"'{label}' is a {kind}, which this filler does not know")


def fill(
    view: Json,
    answers: dict[str, Any] | None = None,
    *,
    user: str,
    today: dt.date | None = None,
    optional_too: bool = False,
) -> Json:
    """``state.values`` for ``view``: each question named in ``answers`` (by its label)
    answered so, every other required one with a default. Naming a label the modal does not
    ask fails, so a renamed question is noticed."""
    answers = dict(answers or {})
    today = today or dt.date.today()
    missing = set(answers) - set(labels(view))
    if missing:
        raise FormError(f"no question {sorted(missing)} on the modal; it asks {labels(view)}")
    values: Json = {}
    for block in view.get("blocks", []):
        if not _is_input(block):
            continue
        label = block["label"]["text"]
        if label not in answers and block.get("optional") and not optional_too:
            continue
        element = block["element"]
        state = answer(element, answers.get(label), label, user=user, today=today)
        values[block["block_id"]] = {element["action_id"]: state}
    return values
