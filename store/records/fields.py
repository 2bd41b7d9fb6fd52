"""Reading a submitted form, whatever chat it came from: ``{field: answer}`` in, typed values
or plain-English errors beside each field out.

Slack's modal (bot/forms.py flattens ``view.state.values``) and Teams' Adaptive Card dialog
(its ``Action.Submit`` data is already flat) both hand their answers here, so a form asks the
same questions, refuses the same answers and says the same words on either face.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeAlias, TypeVar

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A form every input of which was answered well: its typed values."""

    value: T


@dataclass(frozen=True)
class Invalid:
    """A form to send back: ``{field: message}``, shown beside each input."""

    errors: dict[str, str]


FormResult: TypeAlias = Parsed[T] | Invalid
"""What a form's parser returns, and the listener matches on. A required answer that is
missing is a ``None`` the parser checks for, with its error already recorded beside its
input, so no listener rests on an ``assert`` (which ``python -O`` drops)."""


class FormErrors(Exception):
    """Errors to show beside the inputs: ``{field: message}``."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class FieldReader:
    """Reads typed values from a form's answers, collecting every error before raising."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        self.errors: dict[str, str] = {}

    def text(self, field: str, *, label: str, required: bool = False) -> str | None:
        raw = self.values.get(field)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            if required:
                self.errors[field] = f"{label} is required"
            return None
        return value

    def choice(self, field: str, kind: type[E], *, label: str) -> E | None:
        raw = self.values.get(field)
        if raw is None or raw == "":
            self.errors[field] = f"Choose {label.lower()}"
            return None
        try:
            return kind(raw)
        except ValueError:
            self.errors[field] = f"Choose {label.lower()} from the list"
            return None

    def integer(self, field: str, *, label: str) -> int | None:
        raw = self.values.get(field)
        if raw is None or not str(raw).strip().isdigit():
            self.errors[field] = f"Choose {label.lower()}"
            return None
        return int(str(raw).strip())

    def day(self, field: str, *, label: str, required: bool = False) -> date | None:
        raw = self.values.get(field)
        if not raw:
            if required:
                self.errors[field] = f"Pick {label.lower()}"
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            self.errors[field] = f"{label} is not a date"
            return None

    def result(self, value: T) -> FormResult[T]:
        """``value`` when no input has an error, else every error the form collected."""
        if self.errors:
            return Invalid(dict(self.errors))
        return Parsed(value)

    def invalid(self) -> Invalid:
        """For a parser whose required answer came back ``None``: the getter that returned it
        recorded why beside its input. A form with nothing to show is golive's fault, and
        fails loudly rather than sending an empty error list."""
        if not self.errors:
            raise RuntimeError("a required answer is missing but no input says why")
        return Invalid(dict(self.errors))

    def check(self) -> None:
        if self.errors:
            raise FormErrors(dict(self.errors))
