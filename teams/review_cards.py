"""The post-implementation review as Adaptive Cards: the dialogs that start it, record a
verdict, transfer a risk, record a leadership action, schedule audits, record an audit's
result and close the project, and the review's status card.

Pure builders of what the store returned. The fields are the store's (``ReviewField``, the
findings by name), so the answers are read by the same readers as Slack's modals; what people
typed is shown in ``typed`` runs, never as markdown.
"""

from datetime import date
from typing import Any

from store.records.models import (
    Control,
    Effectiveness,
    FollowUpAudit,
    PostImplementationReview,
    Risk,
)
from store.records.review import FINDING_LABELS, FINDING_LIMIT, Blocker, describe_blockers
from store.records.review_forms import FINDING_HINTS, ReviewField
from store.records.scoring import band_for
from teams import cards
from teams.issue_cards import when

Json = dict[str, Any]
Answers = dict[str, Any]
Errors = dict[str, str]
LISTED = 10
AUDIT_BUTTONS = 5
MONTHS = [(str(n), f"{n} month{'s' if n > 1 else ''}") for n in range(1, 13)]


class Dialogs:
    """The review's dialogs, by the ``golive`` name their buttons and submits carry."""

    START = "review_start"
    VERDICT = "review_verdict"
    TRANSFER = "review_transfer"
    ACTION = "review_leadership_action"
    AUDITS = "review_audits"
    RESULT = "review_audit_result"
    CLOSE = "review_close"


class Verbs:
    """The review's Universal Actions: cards that answer with themselves as they are now."""

    STATUS = "review_status"
    CLOSE_CHECK = "review_close_check"


TITLES = {
    Dialogs.START: "Start the review",
    Dialogs.VERDICT: "Controls verdict",
    Dialogs.TRANSFER: "Transfer to BAU",
    Dialogs.ACTION: "Leadership action",
    Dialogs.AUDITS: "Follow-up audits",
    Dialogs.RESULT: "Audit result",
    Dialogs.CLOSE: "Close the project",
}


def day(value: date | None) -> str:
    return value.strftime("%a %d %b %Y") if value else "-"


def risk_line(risk: Risk) -> str:
    score = f" · {band_for(risk.score).label} ({risk.score})" if risk.score else ""
    return f"{risk.ref} {risk.title[:200]}{score}"


def button(name: str, title: str | None = None, **data: str) -> Json:
    """A button that opens one of the review's dialogs."""
    return cards.dialog_button(title or TITLES[name], {"golive": name, **data})


def prompt(text: str, body: list[Json], actions: list[Json]) -> Json:
    """A typed command's answer: what it is about, and the button that opens its dialog
    (Teams opens a dialog only from a button)."""
    return cards.message(text, cards.card(body, actions))


def _form(
    name: str,
    intro: list[Json],
    inputs: list[Json],
    errors: Errors,
    *,
    submit: str,
    **data: str,
) -> Json:
    return cards.card(
        [*intro, *cards.with_errors(inputs, errors)],
        [cards.submit(submit, {"golive": name, **data})],
    )


def _text(answers: Answers, field: str) -> str:
    value = answers.get(field)
    return value if isinstance(value, str) else ""


def _dated(block: Json, value: str) -> Json:
    if value:
        block["value"] = value
    return block


def start_form(answers: Answers, errors: Errors) -> Json:
    inputs = [
        cards.text_input(
            name,
            label,
            value=_text(answers, name),
            placeholder=FINDING_HINTS[name],
            required=True,
            limit=FINDING_LIMIT,
        )
        for name, label in FINDING_LABELS.items()
    ]
    intro = [
        cards.words(
            "Record what the review found in each area. Registered managers are then asked, "
            "by direct message, whether each pre-implementation risk's controls worked."
        )
    ]
    return _form(Dialogs.START, intro, inputs, errors, submit="Start review")


def verdict_form(
    risk: Risk,
    *,
    controls: list[Control],
    chosen: str,
    evidence: str,
    errors: Errors,
) -> Json:
    lines = [
        cards.typed(f"• {c.description[:200]} ({c.status.label.lower()})")
        for c in controls[:LISTED]
    ]
    if len(controls) > LISTED:
        lines.append(cards.words(f"• and {len(controls) - LISTED} more", subtle=True))
    intro = [
        cards.typed(risk_line(risk)),
        cards.words("**Original controls**"),
        *(lines or [cards.words("None were recorded", subtle=True)]),
    ]
    inputs = [
        cards.choice_input(
            ReviewField.VERDICT,
            "Were the original controls effective?",
            [(k.value, k.label) for k in Effectiveness],
            value=chosen or None,
            expanded=True,
        ),
        cards.text_input(
            ReviewField.EVIDENCE,
            "Evidence",
            value=evidence,
            placeholder="What current records, audits or incidents show this",
            required=True,
            limit=FINDING_LIMIT,
        ),
    ]
    return _form(Dialogs.VERDICT, intro, inputs, errors, submit="Save", ref=risk.ref)


def transfer_form(
    risk: Risk,
    *,
    owners: list[tuple[str, str]],
    answers: Answers,
    today: date,
    errors: Errors,
) -> Json:
    intro = [
        cards.typed(risk_line(risk)),
        cards.words(
            "Moves to the business-as-usual register with its score; this risk is marked "
            "transferred."
        ),
    ]
    inputs = [
        cards.choice_input(
            ReviewField.OWNER,
            "Owner from now on",
            owners,
            value=_text(answers, ReviewField.OWNER) or None,
        ),
        _dated(
            cards.date_input(ReviewField.REVIEW_DATE, f"Next review date (after {day(today)})"),
            _text(answers, ReviewField.REVIEW_DATE),
        ),
        cards.text_input(
            ReviewField.NOTE,
            "Why it stays open",
            value=_text(answers, ReviewField.NOTE),
            limit=1000,
        ),
    ]
    return _form(Dialogs.TRANSFER, intro, inputs, errors, submit="Transfer", ref=risk.ref)


def action_form(owners: list[tuple[str, str]], answers: Answers, errors: Errors) -> Json:
    inputs = [
        cards.text_input(
            ReviewField.DESCRIPTION,
            "Action the leadership team agreed",
            value=_text(answers, ReviewField.DESCRIPTION),
            required=True,
            limit=1000,
        ),
        cards.choice_input(
            ReviewField.OWNER, "Owner", owners, value=_text(answers, ReviewField.OWNER) or None
        ),
        _dated(
            cards.date_input(ReviewField.DUE_DATE, "Due date (optional)"),
            _text(answers, ReviewField.DUE_DATE),
        ),
    ]
    return _form(Dialogs.ACTION, [], inputs, errors, submit="Record")


def audits_form(*, first_due: date, answers: Answers, errors: Errors) -> Json:
    inputs = [
        cards.text_input(
            ReviewField.TOPIC,
            "What the audit checks",
            value=_text(answers, ReviewField.TOPIC),
            placeholder="Record completion on night shifts",
            multiline=False,
            required=True,
            limit=200,
        ),
        _dated(
            cards.date_input(ReviewField.FIRST_DUE, "First audit due"),
            _text(answers, ReviewField.FIRST_DUE) or first_due.isoformat(),
        ),
        cards.choice_input(
            ReviewField.MONTHS,
            "Repeat monthly for",
            MONTHS,
            value=_text(answers, ReviewField.MONTHS) or "3",
        ),
    ]
    return _form(Dialogs.AUDITS, [], inputs, errors, submit="Schedule")


def result_form(item: FollowUpAudit, answers: Answers, errors: Errors) -> Json:
    intro = [cards.typed(f"{item.ref} {item.topic[:200]} · due {day(item.due_date)}")]
    inputs = [
        cards.text_input(
            ReviewField.RESULT,
            "What the audit found",
            value=_text(answers, ReviewField.RESULT),
            placeholder="The open risks' residual score is recorded with it, to show whether "
            "it falls",
            required=True,
            limit=FINDING_LIMIT,
        )
    ]
    return _form(Dialogs.RESULT, intro, inputs, errors, submit="Record", ref=item.ref)


NOTHING_STOPS_CLOSING = (
    "Nothing stops the implementation closing: every high or extreme residual risk has an "
    "owner, no issue affecting safe care is open and every follow-up audit has its result."
)


def close_form(answers: Answers, errors: Errors) -> Json:
    intro = [cards.words(NOTHING_STOPS_CLOSING)]
    inputs = [
        cards.text_input(
            ReviewField.NOTE, "Closing note", value=_text(answers, ReviewField.NOTE), limit=1000
        )
    ]
    return _form(Dialogs.CLOSE, intro, inputs, errors, submit="Close project")


def blocker_lines(blockers: list[Blocker]) -> list[Json]:
    """The closing guard's every reason, each line as the store said it (titles and topics
    people typed are in it, so never as markdown)."""
    return [cards.typed(line) for line in describe_blockers(blockers).splitlines()]


def close_check_card(blockers: list[Blocker]) -> Json:
    """What ``close-project`` answers: the reasons it cannot close yet with a button to look
    again, or the button that opens the closing dialog."""
    if blockers:
        return cards.card(
            blocker_lines(blockers),
            [cards.execute("Check again", Verbs.CLOSE_CHECK, {})],
        )
    return cards.card([cards.words(NOTHING_STOPS_CLOSING)], [button(Dialogs.CLOSE)])


def status_card(
    current: PostImplementationReview,
    *,
    pre: list[Risk],
    given: dict[int, Effectiveness],
    audits: list[FollowUpAudit],
    actions_done: int,
    blockers: list[Blocker],
) -> Json:
    """The review at a glance, with its next steps as buttons, as Slack's status message."""
    outstanding = [a for a in audits if a.result is None]
    body: list[Json] = [
        cards.heading(f"Post-implementation review {current.ref}"),
        cards.words(f"Started {when(current.started_at)}", subtle=True),
    ]
    for name, label in FINDING_LABELS.items():
        body.append(cards.typed(getattr(current, name), label=label, limit=600))
    counts = " · ".join(
        f"{k.label}: {sum(1 for v in given.values() if v == k)}" for k in Effectiveness
    )
    body.append(
        cards.words(f"**Verdicts on original controls** ({len(given)} of {len(pre)}): {counts}")
    )
    awaiting = [r for r in pre if r.id not in given]
    body.extend(cards.typed(f"• awaiting: {risk_line(r)}") for r in awaiting[:LISTED])
    if len(awaiting) > LISTED:
        body.append(cards.words(f"• and {len(awaiting) - LISTED} more awaiting a verdict"))
    body.append(
        cards.words(
            f"**Leadership actions:** {actions_done} · **Follow-up audits:** {len(audits)} "
            f"scheduled, {len(outstanding)} without a result"
        )
    )
    for item in outstanding[:AUDIT_BUTTONS]:
        body.append(cards.typed(f"{item.ref} {item.topic[:200]} · due {day(item.due_date)}"))
        body.append(
            {
                "type": "ActionSet",
                "actions": [button(Dialogs.RESULT, "Record result", ref=item.ref)],
            }
        )
    if current.closed_at is not None:
        body.append(cards.words(f"The implementation was closed {when(current.closed_at)}."))
        return cards.card(body)
    if blockers:
        body.extend(blocker_lines(blockers))
    else:
        body.append(cards.words("Nothing stops the implementation closing."))
    return cards.card(
        body,
        [
            button(Dialogs.ACTION),
            button(Dialogs.AUDITS, "Schedule audits"),
            button(Dialogs.CLOSE),
            cards.execute("Refresh", Verbs.STATUS, {}),
        ],
    )
