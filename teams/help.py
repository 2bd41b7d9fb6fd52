"""What golive answers in Teams to words it does not act on yet: what it does understand."""

from typing import Any

from teams import cards
from teams.issue_cards import REPORT, REPORT_TITLE

Json = dict[str, Any]


def help_message(words: str) -> Json:
    opening = (
        "Here is what you can ask golive in Teams."
        if words.lower() in ("help", "?")
        else f"golive does not know “{words[:80]}” in Teams yet."
    )
    body = [
        cards.words(opening),
        cards.words(
            "**report**: report a go-live problem (or use *Report go-live issue* on any "
            "message)\n\n**mine**: your open issues and controls\n\n**issue GL-0042**: one "
            "issue, with its triage actions if you may triage it\n\n**help**: show this "
            "list\n\nTriage happens on the cards golive posts in the triage channel; the "
            "other commands of golive's Slack help are not in Teams yet."
        ),
    ]
    return cards.message(
        opening, cards.card(body, [cards.dialog_button(REPORT_TITLE, {"golive": REPORT})])
    )
