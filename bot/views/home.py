"""The App Home tab: what I reported, what I own, and what of mine is overdue."""

from dataclasses import dataclass, field
from datetime import datetime

from bot.escape import BLOCKS_PER_VIEW, fit_blocks, safe
from bot.ids import Home, Queries
from bot.views.care import quiet_home_block
from bot.views.common import (
    Block,
    actions,
    button,
    context,
    day,
    divider,
    header,
    section,
    unique_block_ids,
    when,
)
from bot.views.controls import control_buttons
from bot.views.issues import issue_line, triage_buttons
from store.records.models import Control, Issue

PER_LIST = 8


@dataclass
class HomeData:
    """What one person's Home tab shows, read by commands/home.py in a few queries: the first
    PER_LIST of each list, and how many each holds, for "and N more"."""

    name: str | None
    owned: list[Issue] = field(default_factory=list)
    owned_count: int = 0
    reported: list[Issue] = field(default_factory=list)
    reported_count: int = 0
    overdue_corrections: list[Issue] = field(default_factory=list)
    overdue_controls: list[tuple[Control, str]] = field(default_factory=list)
    """Each with the reference of the risk or issue it belongs to."""
    overdue_control_count: int = 0
    service_names: dict[int, str] = field(default_factory=dict)
    can_triage: set[int] = field(default_factory=set)
    """Ids of the issues this person may triage (their buttons are shown)."""
    quiet_hours: str | None = None
    """Their quiet hours (22:00-07:00), if set."""


def _issue_blocks(issue: Issue, data: HomeData) -> list[Block]:
    line = issue_line(issue, data.service_names.get(issue.service_id))
    blocks = [section(line)]
    buttons = triage_buttons(issue) if issue.id in data.can_triage else None
    if buttons is not None:
        blocks.append(buttons)
    else:
        blocks.append(
            actions(
                [button("Details", Queries.ISSUE_DETAILS, issue.ref)],
                block_id=f"home_details:{issue.ref}",
            )
        )
    return blocks


def _issue_list(
    title: str, issues: list[Issue], count: int, data: HomeData, empty: str
) -> list[Block]:
    blocks: list[Block] = [header(title)]
    if not issues:
        return [*blocks, context(empty)]
    shown = issues[:PER_LIST]
    hidden = count - len(shown)
    for issue in shown:
        blocks += _issue_blocks(issue, data)
    if hidden:
        blocks.append(context(f"…and {hidden} more; see `/golive mine` or `/golive list`"))
    return blocks


def home_view(data: HomeData, *, now: datetime) -> Block:
    greeting = f"Hello {safe(data.name, 100)}." if data.name else "Hello."
    blocks: list[Block] = [
        section(
            f"{greeting} Met a problem with the new care system? Report it here; "
            "it takes a minute.",
            accessory=button("Report a go-live issue", Home.REPORT, "home", style="primary"),
        ),
        divider(),
    ]
    overdue: list[Block] = []
    for issue in data.overdue_corrections[:PER_LIST]:
        overdue.append(
            section(
                f":warning: Correction action for *{issue.ref}* was due "
                f"{day(issue.correction_due)}: {safe(issue.correction_action, 300)}"
            )
        )
        if (buttons := triage_buttons(issue)) is not None and issue.id in data.can_triage:
            overdue.append(buttons)
    controls = data.overdue_controls[:PER_LIST]
    hidden = data.overdue_control_count - len(controls)
    for control, parent in controls:
        overdue.append(
            section(
                f":warning: Control *{control.ref}* on {safe(parent, 100)} was due "
                f"{day(control.due_date)}: {safe(control.description, 300)}"
            )
        )
        overdue.append(control_buttons(control))
    if hidden:
        overdue.append(context(f"…and {hidden} more overdue controls"))
    if overdue:
        blocks += [header("Overdue"), *overdue, divider()]
    blocks += _issue_list(
        "Issues you own", data.owned, data.owned_count, data, "You own no open issues."
    )
    blocks.append(divider())
    blocks += _issue_list(
        "Issues you reported",
        data.reported,
        data.reported_count,
        data,
        "You haven't reported any issues yet.",
    )
    blocks.append(quiet_home_block(data.quiet_hours))
    blocks.append(
        context(f"Updated {when(now)}"),
    )
    blocks.append(actions([button("Refresh", Home.REFRESH, "refresh")], block_id="home_refresh"))
    return {"type": "home", "blocks": unique_block_ids(fit_blocks(blocks, BLOCKS_PER_VIEW))}
