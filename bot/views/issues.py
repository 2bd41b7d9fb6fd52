"""Go-live issues in Slack: the report modal, the triage post and the messages around it.

Every builder takes records and returns Block Kit; the notice renderers (``RENDERERS``) read
the issue as it is *now*, so a delayed or retried post never shows stale facts.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from bot.escape import BLOCKS_PER_MESSAGE, cap_items, fit_blocks, safe
from bot.ids import Queries, Report, Slash, Triage
from bot.views.common import (
    Block,
    RenderedMessage,
    actions,
    button,
    confirm_dialog,
    context,
    datepicker,
    enum_options,
    fields,
    input_block,
    modal,
    notice_modal,
    option,
    quote,
    radio_buttons,
    section,
    static_select,
    text_input,
    user_mention,
    users_select,
    when,
)
from bot.views.common import day as show_day
from store.records import issues as store_issues
from store.records import rollups
from store.records.enums import (
    Impact,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Urgency,
    Workaround,
)
from store.records.issues import IssueView
from store.records.models import Issue, OutboxMessage
from store.records.outbox import Notice, payload_of

URGENCY_ICON = {
    Urgency.LOW: ":white_circle:",
    Urgency.MEDIUM: ":large_yellow_circle:",
    Urgency.HIGH: ":large_orange_circle:",
    Urgency.URGENT: ":red_circle:",
}
STATUS_ICON = {
    IssueStatus.NEW: ":new:",
    IssueStatus.TRIAGED: ":mag:",
    IssueStatus.IN_PROGRESS: ":hammer_and_wrench:",
    IssueStatus.AWAITING_SUPPLIER: ":hourglass_flowing_sand:",
    IssueStatus.RESOLVED: ":white_check_mark:",
    IssueStatus.CLOSED: ":lock:",
    IssueStatus.REOPENED: ":leftwards_arrow_with_hook:",
}


def load(session: Session, ref: str) -> IssueView:
    return store_issues.issue_view(session, ref)


# ---------------------------------------------------------------------- the report modal


@dataclass(frozen=True)
class ReportOrigin:
    """Where a report came from, kept in the modal's private_metadata until it is submitted."""

    source: IssueSource = IssueSource.SLASH_COMMAND
    permalink: str | None = None
    # Opened from the Home tab's button: the tab is on screen behind the modal, so it is
    # republished once the report is in (elsewhere, opening the tab publishes it afresh).
    from_home: bool = False

    def dump(self) -> str:
        return json.dumps(
            {"source": self.source.value, "permalink": self.permalink, "home": self.from_home}
        )

    @classmethod
    def load(cls, text: str | None) -> "ReportOrigin":
        try:
            data = json.loads(text or "{}")
            return cls(
                IssueSource(data.get("source", "slash_command")),
                data.get("permalink"),
                data.get("home") is True,
            )
        except (ValueError, TypeError, AttributeError):
            return cls()


def report_modal(
    services: list[tuple[int, str]],
    *,
    default_service_id: int | None,
    description: str = "",
    origin: ReportOrigin = ReportOrigin(),
) -> Block:
    """The "Report a go-live issue" form: six questions, the usual answers pre-chosen."""
    if not services:
        return notice_modal(
            "Report a go-live issue",
            "No services are set up in golive yet, so there is nowhere to file the report. "
            "Ask your golive admin to add your service, then try again.",
        )
    blocks: list[Block] = []
    if origin.permalink:
        blocks.append(context(f":link: From <{origin.permalink}|this message>"))
    elif origin.source == IssueSource.MESSAGE_SHORTCUT:
        blocks.append(context("From a message (Slack could not give its link)."))
    service_options = [option(str(service_id), name) for service_id, name in services]
    blocks += [
        input_block(
            Report.SERVICE,
            "Service",
            static_select(
                service_options,
                initial=str(default_service_id) if default_service_id is not None else None,
            ),
        ),
        input_block(
            Report.CATEGORY,
            "What kind of problem?",
            static_select(enum_options(list(IssueCategory))),
        ),
        input_block(
            Report.DESCRIPTION,
            "What happened?",
            text_input(
                multiline=True,
                initial=description,
                placeholder="What you were doing, what went wrong, who or what it affects",
            ),
            hint="Leave out names of the people you support; use initials or a room number.",
        ),
        input_block(
            Report.IMPACT,
            "Impact on care",
            radio_buttons(enum_options(list(Impact)), initial=Impact.NONE),
        ),
        input_block(
            Report.URGENCY,
            "How urgent?",
            radio_buttons(enum_options(list(Urgency)), initial=Urgency.MEDIUM),
        ),
        input_block(
            Report.WORKAROUND,
            "Is there a workaround?",
            radio_buttons(enum_options(list(Workaround)), initial=Workaround.NONE),
        ),
        input_block(
            Report.WORKAROUND_DETAIL,
            "The workaround",
            text_input(multiline=True, placeholder="What staff are doing instead"),
            optional=True,
            hint="Needed if the workaround is unsafe, so a manager can put a control in place.",
        ),
    ]
    return modal(
        Report.MODAL,
        "Report a go-live issue",
        blocks,
        submit="Send report",
        private_metadata=origin.dump(),
    )


# ---------------------------------------------------------------------- the issue, shown


def headline(view: IssueView) -> str:
    issue = view.issue
    service = safe(view.service.name if view.service else "unknown service", 200)
    return (
        f"{URGENCY_ICON[issue.urgency]} *{issue.ref}* · {safe(issue.category.label)} · "
        f"{service} · {STATUS_ICON[issue.status]} {issue.status.label}"
    )


def detail_blocks(view: IssueView) -> list[Block]:
    """The issue's facts, every typed value escaped."""
    issue = view.issue
    reported_by = user_mention(view.reporter.slack_user_id if view.reporter else None)
    owner = user_mention(view.owner.slack_user_id) if view.owner else "_nobody yet_"
    blocks: list[Block] = [
        section(headline(view)),
        section(quote(issue.description)),
        fields(
            [
                ("Urgency", issue.urgency.label),
                ("Impact", issue.impact.label),
                ("Workaround", issue.workaround.label),
                ("Owner", owner),
            ]
        ),
    ]
    if issue.workaround_detail:
        blocks.append(section(f"*Workaround:* {safe(issue.workaround_detail, 2800)}"))
    if view.controls:
        shown, hidden = cap_items(view.controls, 5)
        lines = [
            f"• {safe(c.description, 400)} ({c.status.label.lower()}"
            + (
                f", {user_mention(view.control_owners[c.owner_id].slack_user_id)}"
                if c.owner_id in view.control_owners
                else ""
            )
            + ")"
            for c in shown
        ]
        if hidden:
            lines.append(f"…and {hidden} more")
        blocks.append(section("*Immediate controls*\n" + "\n".join(lines)))
    if issue.correction_action:
        due = f" (target {show_day(issue.correction_due)})" if issue.correction_due else ""
        blocks.append(section(f"*Correction action{due}:* {safe(issue.correction_action, 2700)}"))
    if issue.closure_evidence:
        blocks.append(section(f"*Closure evidence:* {safe(issue.closure_evidence, 2700)}"))
    origin = f"Reported by {reported_by} {when(issue.reported_at)} via {source_words(issue.source)}"
    if issue.source_permalink:
        origin += f" · <{issue.source_permalink}|original message>"
    blocks.append(context(origin))
    return blocks


def source_words(source: IssueSource) -> str:
    """How the report came in, in Slack's words: a slash command by its name."""
    return Slash.COMMAND if source == IssueSource.SLASH_COMMAND else source.label


def triage_buttons(issue: Issue) -> Block | None:
    """The actions that make sense for the issue's status (the store checks every one)."""
    ref = issue.ref
    buttons: list[Block] = []
    if issue.is_open:
        buttons += [
            button("Assign owner", Triage.ASSIGN, ref),
            button("Set urgency", Triage.URGENCY, ref),
            button("Immediate control", Triage.CONTROL, ref),
            button("Correction action", Triage.CORRECTION, ref),
        ]
        if IssueStatus.AWAITING_SUPPLIER in store_issues.TRANSITIONS[issue.status]:
            buttons.append(button("Awaiting supplier", Triage.SUPPLIER, ref))
        buttons.append(
            button(
                "Resolve",
                Triage.RESOLVE,
                ref,
                style="primary",
                confirm=confirm_dialog(
                    f"Resolve {ref}?",
                    "The correction action has put it right. It can still be reopened.",
                    "Resolve",
                ),
            )
        )
    if issue.status == IssueStatus.RESOLVED:
        buttons.append(button("Close with evidence", Triage.CLOSE, ref, style="primary"))
    if not issue.is_open:
        buttons.append(button("Reopen", Triage.REOPEN, ref, style="danger"))
    if not buttons:
        return None
    return actions(buttons, block_id=f"{Triage.ACTIONS_BLOCK}:{ref}")


def issue_blocks(view: IssueView, *, with_actions: bool = True) -> list[Block]:
    blocks = detail_blocks(view)
    if with_actions and (buttons := triage_buttons(view.issue)) is not None:
        blocks.append(buttons)
    return fit_blocks(blocks, BLOCKS_PER_MESSAGE)


def fallback(view: IssueView) -> str:
    issue = view.issue
    service = view.service.name if view.service else "unknown service"
    return (
        f"{issue.ref} {issue.category.label} at {safe(service, 200)}: "
        f"{safe(issue.description, 300)} ({issue.status.label})"
    )


def issue_line(issue: Issue, service_name: str | None = None) -> str:
    """One line per issue, for lists and the Home tab."""
    where = f" · {safe(service_name, 100)}" if service_name else ""
    return (
        f"{URGENCY_ICON[issue.urgency]} *{issue.ref}* {safe(issue.category.label)}{where} · "
        f"{issue.status.label} — {safe(issue.description, 150)}"
    )


# ---------------------------------------------------------------------- triage modals


def _triage_modal(callback: str, title: str, ref: str, blocks: list[Block], submit: str) -> Block:
    return modal(
        callback,
        title,
        [section(f"*{ref}*"), *blocks],
        submit=submit,
        private_metadata=ref,
    )


def assign_modal(view: IssueView) -> Block:
    current = view.owner.slack_user_id if view.owner else None
    return _triage_modal(
        Triage.ASSIGN,
        "Assign owner",
        view.ref,
        [input_block(Triage.OWNER, "Who owns this issue?", users_select(initial=current))],
        "Assign",
    )


def urgency_modal(view: IssueView) -> Block:
    return _triage_modal(
        Triage.URGENCY,
        "Set urgency",
        view.ref,
        [
            input_block(
                Triage.NEW_URGENCY,
                "Urgency",
                radio_buttons(enum_options(list(Urgency)), initial=view.issue.urgency),
            )
        ],
        "Set urgency",
    )


def control_modal(view: IssueView) -> Block:
    return _triage_modal(
        Triage.CONTROL,
        "Immediate control",
        view.ref,
        [
            input_block(
                Triage.CONTROL_TEXT,
                "What is in place to keep care safe now?",
                text_input(
                    multiline=True,
                    max_length=1000,
                    placeholder="e.g. paper MAR checks by a senior each round",
                ),
            ),
            input_block(
                Triage.CONTROL_OWNER, "Who makes sure it happens?", users_select(), optional=True
            ),
            input_block(Triage.CONTROL_DUE, "Until (review date)", datepicker(), optional=True),
        ],
        "Record control",
    )


def correction_modal(view: IssueView) -> Block:
    issue = view.issue
    return _triage_modal(
        Triage.CORRECTION,
        "Correction action",
        view.ref,
        [
            input_block(
                Triage.CORRECTION_TEXT,
                "What will put it right?",
                text_input(multiline=True, initial=issue.correction_action or ""),
            ),
            input_block(
                Triage.CORRECTION_DUE,
                "Target date",
                datepicker(initial=issue.correction_due),
                optional=True,
            ),
        ],
        "Save",
    )


def supplier_modal(view: IssueView) -> Block:
    return _triage_modal(
        Triage.SUPPLIER,
        "Awaiting supplier",
        view.ref,
        [
            input_block(
                Triage.NOTE,
                "Note (supplier ticket, what was asked)",
                text_input(multiline=True),
                optional=True,
            )
        ],
        "Save",
    )


def close_modal(view: IssueView) -> Block:
    return _triage_modal(
        Triage.CLOSE,
        "Close issue",
        view.ref,
        [
            input_block(
                Triage.EVIDENCE,
                "Closure evidence",
                text_input(multiline=True, placeholder="What shows the fix worked in practice"),
                hint="Required: for example, a week of complete eMAR records since the fix.",
            )
        ],
        "Close issue",
    )


def reopen_modal(view: IssueView) -> Block:
    return _triage_modal(
        Triage.REOPEN,
        "Reopen issue",
        view.ref,
        [
            input_block(
                Triage.REASON,
                "Why is it being reopened?",
                text_input(multiline=True, max_length=1000),
            )
        ],
        "Reopen",
    )


TRIAGE_MODALS: dict[str, Callable[[IssueView], Block]] = {
    Triage.ASSIGN: assign_modal,
    Triage.URGENCY: urgency_modal,
    Triage.CONTROL: control_modal,
    Triage.CORRECTION: correction_modal,
    Triage.SUPPLIER: supplier_modal,
    Triage.CLOSE: close_modal,
    Triage.REOPEN: reopen_modal,
}


# ---------------------------------------------------------------------- notice renderers


def render_triage(session: Session, message: OutboxMessage) -> RenderedMessage:
    view = load(session, message.subject or "")
    return RenderedMessage(fallback(view), issue_blocks(view))


def render_confirmation(session: Session, message: OutboxMessage) -> RenderedMessage:
    view = load(session, message.subject or "")
    issue = view.issue
    alerted = store_issues.why_alert(issue)
    next_steps = (
        "A team leader or registered manager will look at it in the triage channel, give it an "
        "owner and agree what happens next. You'll get a message here if you're asked to do "
        "anything."
    )
    if alerted:
        next_steps = (
            f"Because {' and '.join(alerted)}, the registered manager and the project lead "
            "have been messaged straight away. " + next_steps
        )
    text = f"Thanks, your report is in: *{issue.ref}*."
    blocks = [
        section(f":white_check_mark: {text}\n{next_steps}"),
        section(quote(issue.description, 1000)),
        context(
            f"See where it's at any time with `/golive issue {issue.ref}` or in golive's Home tab."
        ),
    ]
    return RenderedMessage(f"Thanks, your report is in: {issue.ref}.", blocks)


def render_alert(session: Session, message: OutboxMessage) -> RenderedMessage:
    view = load(session, message.subject or "")
    reasons = store_issues.why_alert(view.issue) or ["its urgency was raised"]
    intro = (
        f":rotating_light: *{view.ref} needs your attention now*: {' and '.join(reasons)}. "
        "Check care is safe and record an immediate control."
    )
    blocks = fit_blocks([section(intro), *issue_blocks(view)], BLOCKS_PER_MESSAGE)
    return RenderedMessage(f"Go-live issue {view.ref} needs your attention now", blocks)


def render_change(session: Session, message: OutboxMessage) -> RenderedMessage:
    data = payload_of(message)
    line = (
        f"{safe(data.get('actor', 'Someone'), 120)} {safe(data.get('summary', 'changed it'), 2800)}"
    )
    return RenderedMessage(line, [section(line)])


def render_assigned(session: Session, message: OutboxMessage) -> RenderedMessage:
    view = load(session, message.subject or "")
    actor = safe(payload_of(message).get("actor", "Someone"), 120)
    intro = f":bust_in_silhouette: {actor} made you the owner of *{view.ref}*."
    blocks = fit_blocks([section(intro), *issue_blocks(view)], BLOCKS_PER_MESSAGE)
    return RenderedMessage(f"You are now the owner of {view.ref}", blocks)


def rollup_line(shown: rollups.Shown) -> Block:
    """One issue on a roll-up: what a triager sorts by, and a button that shows them the
    issue with its triage actions."""
    issue = shown.issue
    service = safe(shown.service or "unknown service", 200)
    line = (
        f"{URGENCY_ICON[issue.urgency]} *{issue.ref}* · {service} · {safe(issue.category.label)}"
        f" · {issue.urgency.label} urgency"
    )
    if issue.status != IssueStatus.NEW:
        line += f" · {STATUS_ICON[issue.status]} {issue.status.label}"
    return section(line, accessory=button("Triage", Queries.ISSUE_DETAILS, issue.ref))


def render_rollup(session: Session, message: OutboxMessage) -> RenderedMessage:
    """Reports that came in faster than the channel's pace lets each post on its own: a line
    each now, and each issue's own post (and its thread) later."""
    assert message.id is not None
    shown = rollups.shown_in(session, rollup_id=message.id)
    refs = ", ".join(item.issue.ref for item in shown)
    intro = (
        f":inbox_tray: *{len(shown)} new go-live issues* came in together. Each gets its own "
        "post here, with its thread, once it is triaged or the channel is quieter."
    )
    blocks = [section(intro), *(rollup_line(item) for item in shown)]
    return RenderedMessage(f"{len(shown)} new go-live issues: {refs}", blocks)


RENDERERS: dict[str, Callable[[Session, OutboxMessage], RenderedMessage]] = {
    Notice.ISSUE_TRIAGE: render_triage,
    Notice.ISSUE_CONFIRMATION: render_confirmation,
    Notice.ISSUE_ALERT: render_alert,
    Notice.ISSUE_CHANGE: render_change,
    Notice.ISSUE_ASSIGNED: render_assigned,
}

SLACK_ONLY: dict[str, Callable[[Session, OutboxMessage], RenderedMessage]] = {
    rollups.ROLLUP_NOTICE: render_rollup,
}
"""Kinds only the Slack face owes itself (a roll-up answers Slack's own pace), so no other
face has a renderer for them."""
