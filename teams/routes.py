"""What golive understands in Teams, gathered from each feature's module: words typed to the
bot (``COMMANDS``), dialogs opened by a button and submitted (``DIALOGS``), and a card's
Universal Actions by verb (``ACTIONS``). A feature adds its own by exporting those tables and
one ``**`` line below, as teams/notices.py gathers the renderers."""

from teams import exports, ops_commands, queries, reporting, triage
from teams.face import Action, Command, Dialog

COMMANDS: dict[str, Command] = {**reporting.COMMANDS, **queries.COMMANDS}
DIALOGS: dict[str, Dialog] = {**reporting.DIALOGS}
ACTIONS: dict[str, Action] = {**triage.ACTIONS}
COMMANDS |= {**ops_commands.COMMANDS, **exports.COMMANDS}
