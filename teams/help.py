"""What golive answers in Teams to ``help`` and to words it does not know: every command it
understands, listed from the commands themselves so the list is never out of date."""

from typing import Any

from teams import cards
from teams.face import Command
from teams.issue_cards import REPORT, REPORT_TITLE

Json = dict[str, Any]


def help_message(words: str, commands: dict[str, Command]) -> Json:
    opening = (
        "Here is what you can ask golive in Teams."
        if words.lower() in ("help", "?", "")
        else f"golive does not know “{words[:80]}”. Here is what it does know."
    )
    lines = "\n\n".join(f"**{command.usage}**: {command.summary}" for command in commands.values())
    body = [
        cards.words(opening),
        cards.words(
            f"{lines}\n\n**help**: show this list\n\nYou can also report from any message: "
            "its *...* menu, *Report go-live issue*. Triage happens on the cards golive posts "
            "in the triage channel."
        ),
    ]
    return cards.message(
        opening, cards.card(body, [cards.dialog_button(REPORT_TITLE, {"golive": REPORT})])
    )
