"""The one form parser: ``view.state.values`` in, a typed result out.

A listener's parser reads each input through ``Form`` and returns ``Parsed`` (the typed
values, nothing left optional that the form requires) or ``Invalid`` (the messages to show
beside the inputs, sent back as ``response_action: errors``); the listener matches on it.
A required answer that is missing is a ``None`` the parser checks for, with the error already
recorded beside its input, so no listener rests on an ``assert`` (which ``python -O`` drops).

Inputs are built with action id == block id (bot.views.common.input_block), so a value is
found by its block id, and a store ``ValidationError.field`` maps to the block beside which
its message belongs.
"""

import re
from collections.abc import Mapping
from typing import Any

from store.infra.errors import ValidationError
from store.records.fields import FieldReader, FormResult, Invalid, Parsed

__all__ = ["Form", "FormResult", "Invalid", "Parsed", "field_errors", "flatten"]
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
"""What a users_select sends: a Slack user id. Anything else is a forged or broken request,
refused beside the field rather than stored as someone's id."""
Json = dict[str, Any]


def flatten(view: Json) -> dict[str, Any]:
    """``{block_id: value}`` for every input, whatever its element type."""
    values: dict[str, Any] = {}
    for block_id, by_action in ((view.get("state") or {}).get("values") or {}).items():
        for state in by_action.values():
            values[block_id] = _value_of(state)
    return values


def _value_of(state: Json) -> Any:
    """A string (or list of strings) for each input; anything shaped otherwise (which Slack
    never sends, but a forged or broken request may) reads as unanswered."""
    kind = state.get("type") if isinstance(state, dict) else None
    if kind in ("static_select", "radio_buttons", "external_select"):
        chosen = state.get("selected_option")
        return _text(chosen.get("value")) if isinstance(chosen, dict) else None
    if kind in ("multi_static_select", "checkboxes", "multi_external_select"):
        return _texts([o.get("value") for o in _list(state.get("selected_options")) if _is_dict(o)])
    if kind == "multi_users_select":
        return _texts(_list(state.get("selected_users")))
    key = {
        "users_select": "selected_user",
        "conversations_select": "selected_conversation",
        "channels_select": "selected_channel",
        "datepicker": "selected_date",
        "timepicker": "selected_time",
    }.get(str(kind), "value")
    return _text(state.get(key)) if isinstance(state, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _texts(values: list[Any]) -> list[str]:
    return [value for value in values if isinstance(value, str)]


class Form(FieldReader):
    """Reads typed values from a submitted view, collecting every error before raising; the
    reading and its words are the chat-neutral ``FieldReader``'s, Slack adds its user ids."""

    def __init__(self, view: Json) -> None:
        super().__init__(flatten(view))
        self.metadata = str(view.get("private_metadata") or "")

    def user(self, block_id: str, *, label: str, required: bool = False) -> str | None:
        raw = self.values.get(block_id)
        if not raw:
            if required:
                self.errors[block_id] = f"Choose {label.lower()}"
            return None
        user_id = str(raw)
        if not SLACK_USER_ID.fullmatch(user_id):
            self.errors[block_id] = f"Choose {label.lower()} from the list of people in Slack"
            return None
        return user_id


def field_errors(
    error: ValidationError, view: Json, *, fields: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """The store's error beside its input, or None when no input on this view matches."""
    if error.field is None:
        return None
    block_id = (fields or {}).get(error.field, error.field)
    inputs = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
    if block_id not in inputs:
        return None
    return {block_id: str(error)}
