"""The action ids of the buttons that scheduled posts carry, each defined once.

The jobs' templates draw these buttons and schedules/ may not import bot/, so the ids live
here and the Slack face's listeners take them from here (bot/ids.py): a button and the
listener that answers it cannot drift apart.
"""

from store.records.reminders import Response

THEME_RAISE_RISK = "theme_raise_risk"
THEME_TRAINING_NEED = "theme_training_need"
DECISION_OPEN = "decision_open"


def reminder_answer(response: Response) -> str:
    """The button on a reminder that answers it with ``response`` (reminder_completed, ...)."""
    return f"reminder_{response.value}"
