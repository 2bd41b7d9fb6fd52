"""What the scheduled jobs owe, in domain terms: each post's notice kind, and its facts frozen
as plain JSON when it is owed.

A job decides what is owed to whom; a chat face words it (the Slack face in
bot/views/digests.py). The facts are frozen at enqueue time, not read again at send time, so
a post delivered late (golive was down, Slack refused it for a while) still says what its
period said.
"""

import dataclasses
from datetime import date, datetime
from enum import Enum, StrEnum
from functools import cache
from typing import Any


class ScheduledNotice(StrEnum):
    """The posts scheduled jobs owe, one kind each; a face keeps a renderer for every one."""

    ISSUE_DIGEST = "issue_digest"  # the daily and weekly issue digests
    BOARD_REVIEW = "board_review"
    MONTHLY_REVIEW = "monthly_review"
    REMINDER = "reminder"
    ESCALATION_MANAGER = "escalation_manager"
    ESCALATION_BOARD = "escalation_board"
    ESCALATION_CONTROL = "escalation_control"
    HANDOVER = "handover"
    COMMISSIONER = "commissioner"


JSON = dict[str, Any]


def counted(number: int, noun: str) -> str:
    """``3 open risks``, ``1 open risk``: a count in a job's one-line summary."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@cache
def _shown(klass: type) -> tuple[str, ...]:
    """A record's fields, then its derived properties: what ``frozen`` writes of it, found once
    per class rather than once per record (a board review freezes thousands)."""
    names = [field.name for field in dataclasses.fields(klass)]
    names += [
        name
        for owner in klass.__mro__
        for name, member in vars(owner).items()
        if isinstance(member, property)
    ]
    return tuple(dict.fromkeys(names))


_PLAIN = frozenset({str, int, float, bool, type(None)})


def frozen(value: object) -> Any:
    """``value`` as plain JSON: a record of facts (a dataclass) becomes an object of its fields
    and its derived properties, a stored value (an enum) its value, a date or time its ISO
    text, a tuple a list; mappings keep their order."""
    if value.__class__ in _PLAIN:  # most values, exactly (an enum is a subclass): the short way
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: frozen(getattr(value, name)) for name in _shown(type(value))}
    if isinstance(value, Enum):
        return frozen(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(frozen(key)): frozen(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [frozen(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} is not a fact a post can carry")
