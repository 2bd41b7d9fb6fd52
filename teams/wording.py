"""The small pieces every Teams notice card is worded with: dates from frozen facts, counts,
clipped text, lines that mix golive's own words with what people typed, and lists that stop
at a limit and say how many more there are.

A line that carries anything a person typed (a description, a name, a service) is a
``RichTextBlock`` of runs, which Teams never reads as markdown; golive's own headings and
counts are ``TextBlock``s.
"""

from datetime import date, datetime
from typing import Any

from store.records.reminders import ItemKind
from teams import cards

Json = dict[str, Any]
Run = str | tuple[str, str]
"""A piece of a line: plain text, or (style, text) where style is "bold" or "warn"."""
KIND_LABELS = {
    ItemKind.CONTROL: "Control",
    ItemKind.CORRECTION: "Correction action",
    ItemKind.REVIEW: "Risk review",
}
"""An overdue item's kind as reminders and escalations name it."""
ACTION_BUTTONS = 5
"""Most buttons a card shows under one list (Teams wraps more onto lines no one reads)."""


def date_of(value: date | str) -> date:
    """A date as the facts hold it (ISO text, or a time's) or as the store returns it."""
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


def moment_of(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def day(value: date | str | None) -> str:
    return "no date" if value is None else date_of(value).strftime("%a %d %b")


def when(value: datetime | str | None) -> str:
    """A time each reader sees in their own zone (Adaptive Cards' date functions): only
    inside a ``TextBlock``."""
    if value is None:
        return "-"
    stamp = moment_of(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} at {{{{TIME({stamp})}}}}"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def clip(value: object, limit: int = 120) -> str:
    text = " ".join(("" if value is None else str(value)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def line(*runs: Run, indent: bool = False) -> Json:
    """One line of runs, never read as markdown."""
    inlines: list[Json] = []
    if indent:
        inlines.append({"type": "TextRun", "text": "      ↳ "})
    for piece in runs:
        style, text = ("", piece) if isinstance(piece, str) else piece
        run: Json = {"type": "TextRun", "text": text}
        if style == "bold":
            run["weight"] = "Bolder"
        elif style == "warn":
            run["color"] = "Attention"
            run["weight"] = "Bolder"
        inlines.append(run)
    return {"type": "RichTextBlock", "inlines": inlines}


def title(text: str) -> Json:
    """A list's heading: golive's words and counts only."""
    return {
        "type": "TextBlock",
        "text": text,
        "weight": "Bolder",
        "wrap": True,
        "spacing": "Medium",
    }


def hidden(total: int, shown: int) -> list[Json]:
    """ "…and N more" when fewer were shown than there are."""
    return [cards.words(f"…and {total - shown} more", subtle=True)] if total > shown else []


def listed(heading: str, lines: list[Json], *, more: int = 0, empty: str = "None") -> list[Json]:
    """A heading, its lines (already cut to the limit), and how many ``more`` were left out."""
    return [
        title(heading),
        *(lines or [cards.words(empty, subtle=True)]),
        *hidden(more, 0),
    ]


def buttons(actions: list[Json]) -> list[Json]:
    """A row of buttons under a list, if there are any."""
    if not actions:
        return []
    return [{"type": "ActionSet", "actions": actions[:ACTION_BUTTONS]}]


class Verb:
    """The Universal Actions on the notice cards (the verbs of ``Action.Execute``)."""

    SHOW = "notice_show"
    BACK = "notice_back"
    REMINDER = "reminder_answer"
    RAISE_THEME = "theme_raise_risk"
    TRAINING_NEED = "theme_training_need"


def show_button(ref: str, row: str | None, *, label: str | None = None) -> Json:
    """Shows the issue or risk ``ref`` in place of the card, with a way back to the notice
    (the outbox row, by its key) it was clicked on."""
    return cards.execute(label or f"Show {ref}", Verb.SHOW, {"ref": ref, "row": row})


def action_data(activity: Json) -> Json:
    """The data of the ``Action.Execute`` an ``adaptiveCard/action`` invoke carries, with what
    was typed in the card's inputs."""
    action = (activity.get("value") or {}).get("action") or {}
    data = action.get("data")
    return data if isinstance(data, dict) else {}


THEME_BUTTONS = 3
"""The themes a digest offers buttons for, as on Slack."""


def theme_buttons(themes: list[dict[str, Any]], row: str | None) -> list[Json]:
    """Raise a repeated theme as a risk, or log a training need, for the first few themes."""
    shown: list[Json] = []
    for number, theme in enumerate(themes[:THEME_BUTTONS], start=1):
        data = {"refs": ",".join(theme["refs"]), "row": row}
        shown += [
            cards.execute(f"Raise as risk: {theme['category']} ({number})", Verb.RAISE_THEME, data),
            cards.execute(f"Log training need ({number})", Verb.TRAINING_NEED, data),
        ]
    return [{"type": "ActionSet", "actions": shown}] if shown else []
