"""What golive understands in Teams, gathered from each feature's module: words typed to the
bot (``COMMANDS``), dialogs opened by a button and submitted (``DIALOGS``), and a card's
Universal Actions by verb (``ACTIONS``). A feature adds its own by exporting those tables and
one ``**`` line below, as teams/notices.py gathers the renderers."""

from teams import (
    control_commands,
    exports,
    notice_actions,
    ops_commands,
    project_commands,
    queries,
    reminders,
    reporting,
    review_commands,
    risk_commands,
    triage,
)
from teams.face import Action, Command, Dialog

COMMANDS: dict[str, Command] = {
    **reporting.COMMANDS,
    **queries.COMMANDS,
    **project_commands.COMMANDS,
    **review_commands.COMMANDS,
    **risk_commands.COMMANDS,
    **control_commands.COMMANDS,
    **ops_commands.COMMANDS,
    **exports.COMMANDS,
}
DIALOGS: dict[str, Dialog] = {
    **reporting.DIALOGS,
    **review_commands.DIALOGS,
    **risk_commands.DIALOGS,
    **control_commands.DIALOGS,
}
ACTIONS: dict[str, Action] = {
    **triage.ACTIONS,
    **notice_actions.ACTIONS,
    **reminders.ACTIONS,
    **review_commands.ACTIONS,
    **risk_commands.ACTIONS,
    **control_commands.ACTIONS,
}
