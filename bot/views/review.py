"""Block Kit for the post-implementation review: the start modal, verdict requests by DM, the
transfer, leadership action, audit and closing modals, and the review's status.

Pure builders (plus the two notice renderers, which read current records at send time):
everything a person typed goes through bot.escape, and every list is capped to Slack's limits.
"""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from bot.escape import BLOCKS_PER_MESSAGE, BLOCKS_PER_VIEW, and_more, cap_items, safe
from bot.ids import ReviewIds
from bot.views.common import (
    Block,
    RenderedMessage,
    actions,
    button,
    context,
    datepicker,
    day,
    divider,
    header,
    input_block,
    modal,
    option,
    radio_buttons,
    section,
    static_select,
    text_input,
    user_mention,
    users_select,
    when,
)
from store.infra.errors import NotFound
from store.records import people, review
from store.records.models import (
    Control,
    Effectiveness,
    FollowUpAudit,
    OutboxMessage,
    PostImplementationReview,
    Risk,
)
from store.records.review import Blocker, ReviewNotice
from store.records.review_forms import FINDING_HINTS
from store.records.risks import transferred_risks
from store.records.scoring import band_for

VERDICT_BUTTONS = {
    Effectiveness.YES: ReviewIds.VERDICT_YES,
    Effectiveness.PARTLY: ReviewIds.VERDICT_PARTLY,
    Effectiveness.NO: ReviewIds.VERDICT_NO,
}
VERDICT_OF = {action: kind for kind, action in VERDICT_BUTTONS.items()}
RISKS_PER_REQUEST = 15
LISTED = 10
FINDING_BLOCKS = {
    "data_quality": ReviewIds.DATA_QUALITY,
    "staff_confidence": ReviewIds.STAFF_CONFIDENCE,
    "record_completion": ReviewIds.RECORD_COMPLETION,
    "workflow_stability": ReviewIds.WORKFLOW_STABILITY,
}


def _risk_line(risk: Risk) -> str:
    score = f" · {band_for(risk.score).label} ({risk.score})" if risk.score else ""
    return f"*{risk.ref}* {safe(risk.title, 200)}{score}"


# Modals


def start_modal() -> Block:
    blocks = [
        section(
            "Record what the review found in each area. Registered managers are then asked, "
            "by direct message, whether each pre-implementation risk's controls worked."
        )
    ]
    for name, label in review.FINDING_LABELS.items():
        blocks.append(
            input_block(
                FINDING_BLOCKS[name],
                label,
                text_input(multiline=True, max_length=review.FINDING_LIMIT),
                hint=FINDING_HINTS[name],
            )
        )
    return modal(ReviewIds.START_VIEW, "Start the review", blocks, submit="Start review")


def verdict_modal(
    risk: Risk, *, controls: list[Control], chosen: Effectiveness | None, evidence: str | None
) -> Block:
    shown, hidden = cap_items(controls, LISTED)
    lines = [f"• {safe(c.description, 200)} ({c.status.label.lower()})" for c in shown]
    if hidden:
        lines.append(f"• and {hidden} more")
    blocks: list[Block] = [
        section(_risk_line(risk)),
        context("*Original controls*\n" + ("\n".join(lines) or "None were recorded")),
        input_block(
            ReviewIds.VERDICT,
            "Were the original controls effective?",
            radio_buttons(
                [option(k.value, k.label) for k in Effectiveness],
                initial=chosen.value if chosen else None,
            ),
        ),
        input_block(
            ReviewIds.EVIDENCE,
            "Evidence",
            text_input(multiline=True, initial=evidence, max_length=review.FINDING_LIMIT),
            hint="What current records, audits or incidents show this",
        ),
    ]
    return modal(
        ReviewIds.VERDICT_VIEW, "Controls verdict", blocks, submit="Save", private_metadata=risk.ref
    )


def transfer_modal(risk: Risk, *, owner_slack_id: str | None, today: date) -> Block:
    blocks = [
        section(
            f"{_risk_line(risk)}\nMoves to the business-as-usual register with its score; this "
            "risk is marked transferred."
        ),
        input_block(ReviewIds.OWNER, "Owner from now on", users_select(initial=owner_slack_id)),
        input_block(
            ReviewIds.REVIEW_DATE,
            "Next review date",
            datepicker(initial=None),
            hint=f"After today ({day(today)})",
        ),
        input_block(
            ReviewIds.NOTE,
            "Why it stays open",
            text_input(multiline=True, max_length=1000),
            optional=True,
        ),
    ]
    return modal(
        ReviewIds.TRANSFER_VIEW,
        "Transfer to BAU",
        blocks,
        submit="Transfer",
        private_metadata=risk.ref,
    )


def leadership_action_modal() -> Block:
    blocks = [
        input_block(
            ReviewIds.DESCRIPTION,
            "Action the leadership team agreed",
            text_input(multiline=True, max_length=1000),
        ),
        input_block(ReviewIds.OWNER, "Owner", users_select()),
        input_block(ReviewIds.DUE_DATE, "Due date", datepicker(), optional=True),
    ]
    return modal(ReviewIds.ACTION_VIEW, "Leadership action", blocks, submit="Record")


def audits_modal(*, first_due: date) -> Block:
    months = [option(str(n), f"{n} month{'s' if n > 1 else ''}") for n in range(1, 13)]
    blocks = [
        input_block(
            ReviewIds.TOPIC,
            "What the audit checks",
            text_input(max_length=200, placeholder="Record completion on night shifts"),
        ),
        input_block(ReviewIds.FIRST_DUE, "First audit due", datepicker(initial=first_due)),
        input_block(
            ReviewIds.MONTHS,
            "Repeat monthly for",
            static_select(months, initial="3"),
        ),
    ]
    return modal(ReviewIds.AUDITS_VIEW, "Follow-up audits", blocks, submit="Schedule")


def result_modal(item: FollowUpAudit) -> Block:
    blocks = [
        section(f"*{item.ref}* {safe(item.topic, 200)} · due {day(item.due_date)}"),
        input_block(
            ReviewIds.RESULT,
            "What the audit found",
            text_input(multiline=True, max_length=review.FINDING_LIMIT),
            hint="The open risks' residual score is recorded with it, to show whether it falls",
        ),
    ]
    return modal(
        ReviewIds.RESULT_VIEW, "Audit result", blocks, submit="Record", private_metadata=item.ref
    )


def close_modal() -> Block:
    blocks = [
        section(
            ":white_check_mark: Nothing stops the implementation closing: every high or extreme "
            "residual risk has an owner, no issue affecting safe care is open and every "
            "follow-up audit has its result."
        ),
        input_block(
            ReviewIds.NOTE,
            "Closing note",
            text_input(multiline=True, max_length=1000),
            optional=True,
        ),
    ]
    return modal(ReviewIds.CLOSE_VIEW, "Close the project", blocks, submit="Close project")


# Messages


def blockers_text(blockers: list[Blocker]) -> str:
    """The guard's refusal in Slack: every reason, escaped, capped per kind."""
    return safe(review.describe_blockers(blockers), 2900)


def status_blocks(session: Session, current: PostImplementationReview) -> tuple[str, list[Block]]:
    """The review at a glance, with the next steps as buttons."""
    given = review.verdicts(session, current)
    pre = review.pre_implementation_risks(session)
    audits = review.audits(session, current)
    outstanding = [a for a in audits if a.result is None]
    actions_done = review.leadership_actions(session, current)
    blockers = review.closing_blockers(session)
    text = f"Post-implementation review {current.ref}"
    blocks: list[Block] = [
        header(text),
        context(f"Started {when(current.started_at)}"),
    ]
    for name, label in review.FINDING_LABELS.items():
        blocks.append(section(f"*{label}*\n{safe(getattr(current, name), 600)}"))
    awaiting = [r for r in pre if r.id not in given]
    counts = " · ".join(
        f"{k.label}: {sum(1 for v in given.values() if v.verdict == k)}" for k in Effectiveness
    )
    lines = [f"*Verdicts on original controls* ({len(given)} of {len(pre)}): {counts}"]
    shown, hidden = cap_items(awaiting, LISTED)
    lines.extend(f"• awaiting: {_risk_line(r)}" for r in shown)
    if hidden:
        lines.append(f"• and {hidden} more awaiting a verdict")
    blocks.append(section("\n".join(lines)))
    blocks.append(
        section(
            f"*Leadership actions:* {len(actions_done)} · *Follow-up audits:* {len(audits)} "
            f"scheduled, {len(outstanding)} without a result"
        )
    )
    for item in outstanding[:5]:
        blocks.append(
            section(
                f"*{item.ref}* {safe(item.topic, 200)} · due {day(item.due_date)}",
                accessory=button("Record result", ReviewIds.RECORD_RESULT, item.ref),
            )
        )
    if current.closed_at is not None:
        blocks.append(section(f":lock: The implementation was closed {when(current.closed_at)}."))
    elif blockers:
        blocks.append(section(blockers_text(blockers)))
    else:
        blocks.append(section(":white_check_mark: Nothing stops the implementation closing."))
    if current.closed_at is None:
        blocks.append(
            actions(
                [
                    button("Leadership action", ReviewIds.OPEN_ACTION, str(current.id)),
                    button("Schedule audits", ReviewIds.OPEN_AUDITS, str(current.id)),
                    button("Close the project", ReviewIds.OPEN_CLOSE, str(current.id)),
                ]
            )
        )
    return text, blocks[:BLOCKS_PER_VIEW]


def verdict_request(
    *,
    review_ref: str,
    scope: str,
    risks: list[Risk],
    given: dict[int, Effectiveness],
) -> tuple[str, list[Block]]:
    """The DM that asks a manager, risk by risk, whether the original controls worked."""
    text = f"Post-implementation review {review_ref}: did the original controls work?"
    blocks: list[Block] = [
        header("Did the original controls work?"),
        section(
            f"The post-implementation review *{review_ref}* has started. For each risk "
            f"recorded before go-live for *{safe(scope, 120)}*, say whether its original "
            "controls were effective, with the evidence from current records."
        ),
    ]
    shown, hidden = cap_items(risks, RISKS_PER_REQUEST)
    for risk in shown:
        verdict = given.get(risk.id or 0)
        status = f"\n_Your verdict: {verdict.label}_" if verdict else ""
        blocks.append(section(_risk_line(risk) + status, block_id=f"verdict:{risk.ref}"))
        blocks.append(
            actions(
                [button(kind.label, VERDICT_BUTTONS[kind], risk.ref) for kind in Effectiveness],
                block_id=f"verdict_actions:{risk.ref}",
            )
        )
    note = and_more(hidden, "more risks: answer with /golive verdict R-003")
    if note:
        blocks.append(note)
    if not risks:
        blocks.append(section("There are no pre-implementation risks to review."))
    blocks.append(divider())
    return text, blocks[:BLOCKS_PER_MESSAGE]


def render_verdict_request(session: Session, message: OutboxMessage) -> RenderedMessage:
    asked = review.verdict_request(session, subject=message.subject or "")
    current, scope, risks, given = asked.review, asked.scope, asked.risks, asked.given
    text, blocks = verdict_request(review_ref=current.ref, scope=scope, risks=risks, given=given)
    return RenderedMessage(text, blocks)


def render_project_closed(session: Session, message: OutboxMessage) -> RenderedMessage:
    current = review.review_by_id(session, review_id=int(message.subject or 0))
    if current is None or current.closed_at is None:
        raise NotFound(f"There is no closed review {message.subject}")
    closer = people.person_by_id(session, person_id=current.closed_by_id)
    transferred = transferred_risks(session)
    text = "The implementation is closed"
    lines = [
        f":lock: *The implementation is closed* ({when(current.closed_at)}) by "
        f"{user_mention(closer.slack_user_id if closer else None)}."
    ]
    if current.closure_note:
        lines.append(f">{safe(current.closure_note, 1000)}")
    shown, hidden = cap_items(transferred, LISTED)
    if shown:
        lines.append("*Carried into business as usual:*")
        lines.extend(f"• {_risk_line(r)}" for r in shown)
        if hidden:
            lines.append(f"• and {hidden} more")
    return RenderedMessage(text, [section("\n".join(lines))])


RENDERERS: dict[str, Callable[[Session, OutboxMessage], RenderedMessage]] = {
    ReviewNotice.VERDICT_REQUEST: render_verdict_request,
    ReviewNotice.PROJECT_CLOSED: render_project_closed,
}
