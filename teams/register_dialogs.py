"""The risk register's Teams dialogs: a risk, its details, its status, its score, a control,
a control's owner and due date, its update, and a board decision. Each asks what Slack's modal
asks, with the input ids of store/records/register_forms.py so both faces read the answers the
same way, keeps what was typed when it comes back, and shows each error beside its input."""

from datetime import date
from typing import Any

from store.records.enums import ControlStatus, DecisionKind, RiskCategory, RiskStatus
from store.records.models import Control, Risk, Service
from store.records.register_forms import ORGANISATION, SERVICE_PREFIX, RegisterField
from store.records.scoring import IMPACT, LIKELIHOOD
from teams import cards
from teams.cards import Json
from teams.register_cards import Name, day, score_words

F = RegisterField
UPDATE_STATUSES = (
    ControlStatus.IN_PROGRESS,
    ControlStatus.COMPLETE,
    ControlStatus.DELAYED,
    ControlStatus.INEFFECTIVE,
)


def _people(choices: list[tuple[int, str]]) -> list[tuple[str, str]]:
    return [(str(pid), name) for pid, name in choices]


def _ratings(scale: dict[int, tuple[str, str]]) -> list[tuple[str, str]]:
    return [(str(n), f"{n} · {name}: {meaning}") for n, (name, meaning) in scale.items()]


def _answer(answers: dict[str, Any], field: str, default: str | None = None) -> str | None:
    value = answers.get(field)
    return str(value) if isinstance(value, str | int) and str(value) != "" else default


def form_card(
    head: list[Json], inputs: list[Json], *, errors: dict[str, str], title: str, data: Json
) -> Json:
    """A dialog's card: what it is about, the inputs with any errors beside them (the first
    also on top), and the one submit carrying the dialog's name and subject."""
    top = [cards.words(next(iter(errors.values())), attention=True)] if errors else []
    return cards.card(
        [*top, *head, *cards.with_errors(inputs, errors)], [cards.submit(title, data)]
    )


def risk_add_dialog(
    *,
    services: list[Service],
    default_service_id: int | None,
    organisation: bool,
    people: list[tuple[int, str]],
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Json:
    """Title, description, category, scope, owner, escalation route and first controls; the
    scopes offered are those the person may record in (the store checks again on save)."""
    given = answers or {}
    whole = [(ORGANISATION, "Whole organisation")] if organisation else []
    scopes = [*whole, *((f"{SERVICE_PREFIX}{s.id}", s.name) for s in services)][:100]
    initial = f"{SERVICE_PREFIX}{default_service_id}" if default_service_id else ORGANISATION
    inputs = [
        cards.text_input(
            F.TITLE, "Risk", value=_answer(given, F.TITLE, "") or "", multiline=False, limit=200
        ),
        cards.text_input(
            F.DESCRIPTION,
            "What could happen, and to whom",
            value=_answer(given, F.DESCRIPTION, "") or "",
        ),
        cards.choice_input(
            F.CATEGORY,
            "Category",
            [(c.value, c.label) for c in RiskCategory],
            value=_answer(given, F.CATEGORY),
        ),
        cards.choice_input(F.SCOPE, "Scope", scopes, value=_answer(given, F.SCOPE, initial)),
        cards.words("Registered managers record risks for their own service.", subtle=True),
        cards.choice_input(
            F.OWNER, "Risk owner", _people(people), value=_answer(given, F.OWNER), required=False
        ),
        cards.text_input(
            F.ESCALATION_ROUTE,
            "Escalation route",
            value=_answer(given, F.ESCALATION_ROUTE, "") or "",
            placeholder="Who this goes to when controls are not enough, e.g. project board",
            multiline=False,
            limit=300,
        ),
        cards.text_input(
            F.CONTROLS,
            "First controls (one per line)",
            value=_answer(given, F.CONTROLS, "") or "",
        ),
        _date(F.REVIEW_DATE, "Review by", _answer(given, F.REVIEW_DATE)),
    ]
    return form_card(
        [], inputs, errors=errors or {}, title="Record", data={"golive": Name.RISK_ADD}
    )


def risk_edit_dialog(
    risk: Risk,
    *,
    people: list[tuple[int, str]],
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Json:
    """The risk's words, owner and escalation route, as they are now."""
    given = answers or {}
    inputs = [
        cards.text_input(
            F.TITLE, "Risk", value=_answer(given, F.TITLE, risk.title) or "", multiline=False
        ),
        cards.text_input(
            F.DESCRIPTION,
            "What could happen, and to whom",
            value=_answer(given, F.DESCRIPTION, risk.description) or "",
        ),
        cards.choice_input(
            F.OWNER,
            "Risk owner",
            _people(people),
            value=_answer(given, F.OWNER, _str(risk.owner_id)),
            required=False,
        ),
        cards.text_input(
            F.ESCALATION_ROUTE,
            "Escalation route",
            value=_answer(given, F.ESCALATION_ROUTE, risk.escalation_route) or "",
            multiline=False,
            limit=300,
        ),
    ]
    data = {"golive": Name.RISK_EDIT, "ref": risk.ref}
    head = [cards.typed(risk.ref)]
    return form_card(head, inputs, errors=errors or {}, title="Save", data=data)


def risk_status_dialog(
    risk: Risk, *, errors: dict[str, str] | None = None, answers: dict[str, Any] | None = None
) -> Json:
    given = answers or {}
    choices = [(s.value, s.label) for s in RiskStatus if s != risk.status]
    head = [cards.typed(f"{risk.ref} {risk.title} is {risk.status.label.lower()}.")]
    inputs = [
        cards.choice_input(F.STATUS, "New status", choices, value=_answer(given, F.STATUS)),
        cards.text_input(
            F.NOTE, "Why", value=_answer(given, F.NOTE, "") or "", required=True, limit=1000
        ),
    ]
    data = {"golive": Name.RISK_STATUS, "ref": risk.ref}
    return form_card(head, inputs, errors=errors or {}, title="Save", data=data)


def score_dialog(
    risk: Risk,
    *,
    open_controls: list[Control],
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Json:
    """Likelihood and impact with the NHS words for each, why, the review date, the target
    once controls work, and which open controls are priority."""
    given = answers or {}
    current = f"{risk.ref} {risk.title} · now {score_words(risk.likelihood, risk.impact)}"
    inputs = [
        cards.choice_input(
            F.LIKELIHOOD,
            "Likelihood",
            _ratings(LIKELIHOOD),
            value=_answer(given, F.LIKELIHOOD, _str(risk.likelihood)),
        ),
        cards.choice_input(
            F.IMPACT, "Impact", _ratings(IMPACT), value=_answer(given, F.IMPACT, _str(risk.impact))
        ),
        cards.words(
            "Score = likelihood × impact: 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme.",
            subtle=True,
        ),
        cards.text_input(
            F.REASON, "Why this score", value=_answer(given, F.REASON, "") or "", limit=1000
        ),
        cards.words("Kept in the score history with your name and the time.", subtle=True),
        _date(F.REVIEW_DATE, "Review by", _answer(given, F.REVIEW_DATE, _iso(risk.review_date))),
        cards.choice_input(
            F.TARGET_LIKELIHOOD,
            "Target likelihood once controls work",
            _ratings(LIKELIHOOD),
            value=_answer(given, F.TARGET_LIKELIHOOD, _str(risk.target_likelihood)),
            required=False,
        ),
        cards.choice_input(
            F.TARGET_IMPACT,
            "Target impact once controls work",
            _ratings(IMPACT),
            value=_answer(given, F.TARGET_IMPACT, _str(risk.target_impact)),
            required=False,
        ),
    ]
    offered = open_controls[:10]
    if offered:
        chosen = ",".join(str(c.id) for c in offered if c.priority)
        priority = cards.choice_input(
            F.PRIORITY,
            "Priority controls",
            [(str(c.id), f"{c.ref} {c.description}") for c in offered],
            value=_answer(given, F.PRIORITY, chosen),
            expanded=True,
            required=False,
        )
        priority["isMultiSelect"] = True
        inputs.append(priority)
    data = {
        "golive": Name.SCORE,
        "ref": risk.ref,
        "offered": ",".join(str(c.id) for c in offered),
    }
    return form_card(
        [cards.typed(current)], inputs, errors=errors or {}, title="Save score", data=data
    )


def control_add_dialog(
    risk: Risk,
    *,
    people: list[tuple[int, str]],
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Json:
    given = answers or {}
    inputs = [
        cards.text_input(
            F.DESCRIPTION, "Control", value=_answer(given, F.DESCRIPTION, "") or "", limit=1000
        ),
        cards.choice_input(
            F.OWNER, "Owner", _people(people), value=_answer(given, F.OWNER), required=False
        ),
        _date(F.DUE_DATE, "Due by", _answer(given, F.DUE_DATE)),
        {
            "type": "Input.Toggle",
            "id": F.PRIORITY,
            "title": "Priority control",
            "valueOn": "yes",
            "valueOff": "",
            "value": "yes" if given.get(F.PRIORITY) else "",
        },
        cards.words("The quality lead sets priority controls.", subtle=True),
    ]
    data = {"golive": Name.CONTROL_ADD, "ref": risk.ref}
    head = [cards.typed(f"{risk.ref} {risk.title}")]
    return form_card(head, inputs, errors=errors or {}, title="Add control", data=data)


def control_assign_dialog(
    control: Control,
    *,
    people: list[tuple[int, str]],
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Json:
    given = answers or {}
    inputs = [
        cards.choice_input(
            F.OWNER, "Owner", _people(people), value=_answer(given, F.OWNER, _str(control.owner_id))
        ),
        _date(F.DUE_DATE, "Due by", _answer(given, F.DUE_DATE, _iso(control.due_date))),
    ]
    data = {"golive": Name.CONTROL_ASSIGN, "control": str(control.id)}
    head = [cards.typed(f"{control.ref} {control.description}")]
    return form_card(head, inputs, errors=errors or {}, title="Assign", data=data)


def control_update_dialog(
    control: Control,
    *,
    preset: ControlStatus | None,
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Json:
    """Complete, delayed (a new date and why) or ineffective (what is not working)."""
    given = answers or {}
    head = [
        cards.typed(
            f"{control.ref} {control.description}\n"
            f"Now {control.status.label.lower()}, due {day(control.due_date)}"
        )
    ]
    inputs = [
        cards.choice_input(
            F.STATUS,
            "Status",
            [(s.value, s.label) for s in UPDATE_STATUSES],
            value=_answer(given, F.STATUS, preset.value if preset else None),
            expanded=True,
        ),
        _date(F.DUE_DATE, "New due date", _answer(given, F.DUE_DATE)),
        cards.words("Needed when the control is delayed.", subtle=True),
        cards.text_input(F.NOTE, "Note", value=_answer(given, F.NOTE, "") or "", limit=1000),
        cards.words("Needed when delayed (why) or ineffective (what is not working).", subtle=True),
    ]
    data = {"golive": Name.CONTROL_UPDATE, "control": str(control.id)}
    return form_card(head, inputs, errors=errors or {}, title="Save", data=data)


def decision_dialog(
    subject_ref: str,
    subject_title: str,
    *,
    people: list[tuple[int, str]],
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Json:
    """Accept, add control, delay rollout, escalate to supplier or close, with who and when."""
    given = answers or {}
    inputs = [
        cards.choice_input(
            F.KIND,
            "Decision",
            [(k.value, k.label) for k in DecisionKind],
            value=_answer(given, F.KIND),
            expanded=True,
        ),
        cards.text_input(
            F.SUMMARY,
            "What the board decided, and why",
            value=_answer(given, F.SUMMARY, "") or "",
            required=True,
            limit=2000,
        ),
        cards.choice_input(
            F.OWNER,
            "Owner of the follow-up",
            _people(people),
            value=_answer(given, F.OWNER),
            required=False,
        ),
        cards.text_input(
            F.ESCALATION_ROUTE,
            "Escalation route",
            value=_answer(given, F.ESCALATION_ROUTE, "") or "",
            multiline=False,
            limit=300,
        ),
        _date(F.FOLLOW_UP, "Follow up by", _answer(given, F.FOLLOW_UP)),
    ]
    data = {"golive": Name.DECISION, "ref": subject_ref}
    head = [cards.typed(f"{subject_ref} {subject_title}")]
    return form_card(head, inputs, errors=errors or {}, title="Record", data=data)


def _date(field: str, label: str, value: str | None) -> Json:
    block = cards.date_input(field, label)
    if value:
        block["value"] = value
    return block


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
