"""The risk register in Teams, as Adaptive Cards: the register and one risk with its scores,
controls and decisions; a person's controls with the buttons to update them; a checkpoint's
report. Its dialogs are in teams/register_dialogs.py. Builders only: the handlers fetch the
records."""

from dataclasses import dataclass
from datetime import date

from store.records.checkpoints import OwnerProgress
from store.records.enums import RiskStatus
from store.records.models import (
    Checkpoint,
    Control,
    ControlUpdate,
    Decision,
    Person,
    Risk,
    Service,
)
from store.records.risk_view import RiskView
from store.records.scoring import band_for
from teams import cards
from teams.cards import Json
from teams.issue_cards import when

LIST_LIMIT = 25
"""Most risks one register card lists (a card must stay under Teams' 28 KB)."""
DETAIL_CONTROL_LIMIT = 15
CONTROL_LIMIT = 15
HISTORY_LIMIT = 5
DECISION_LIMIT = 5


class Name:
    """The register's dialogs, by the ``golive`` value their buttons and submits carry."""

    RISK_ADD = "risk_add"
    RISK_STATUS = "risk_status"
    RISK_EDIT = "risk_edit"
    SCORE = "risk_score"
    CONTROL_ADD = "control_add"
    CONTROL_UPDATE = "control_update"
    CONTROL_ASSIGN = "control_assign"
    DECISION = "decision_record"


class Verb:
    """The register cards' Universal Actions."""

    RISK_SHOW = "risk_show"
    CONTROL_COMPLETE = "control_complete"


# ---------------------------------------------------------------------- words


def day(value: date | None) -> str:
    return value.strftime("%a %d %b %Y") if value else "-"


def score_words(likelihood: int | None, impact: int | None) -> str:
    """The score and its band, as the score dialog names them."""
    if likelihood is None or impact is None:
        return "Not scored yet"
    score = likelihood * impact
    return f"{score} ({likelihood} × {impact}) · {band_for(score).label}"


def review_words(risk: Risk, today: date) -> str:
    text = day(risk.review_date)
    return f"{text} (overdue)" if risk.is_review_overdue(today) else text


def scope_words(service: Service | None) -> str:
    return service.name if service is not None else "Whole organisation"


def name_of(person: Person | None) -> str:
    return person.name if person is not None else "nobody"


def control_words(control: Control, owner: Person | None, *, today: date) -> str:
    due = f" · due {day(control.due_date)}" if control.due_date else ""
    late = " (overdue)" if control.is_overdue(today) else ""
    star = " · priority" if control.priority else ""
    return (
        f"{control.ref} {control.description}\n"
        f"{control.status.label} · {name_of(owner)}{due}{late}{star}"
    )


# ---------------------------------------------------------------------- a risk, and the register


@dataclass(frozen=True)
class RiskFacts:
    """Everything one risk's card shows, fetched by the handler, and the day it is shown."""

    view: RiskView
    today: date


def decision_words(decision: Decision, people: dict[int, Person]) -> str:
    by = people.get(decision.decided_by_id) if decision.decided_by_id else None
    owner = people.get(decision.owner_id) if decision.owner_id else None
    extra = []
    if owner is not None:
        extra.append(f"owner {owner.name}")
    if decision.escalation_route:
        extra.append(f"escalation: {decision.escalation_route}")
    if decision.follow_up_date:
        extra.append(f"follow up {day(decision.follow_up_date)}")
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"{decision.kind.label} by {name_of(by)}: {decision.summary}{tail}"


def risk_card(facts: RiskFacts) -> Json:
    """One risk with its score history, controls, decisions and the buttons to act on it
    (the store checks each again)."""
    view = facts.view
    risk, people = view.risk, view.people
    target = (
        score_words(risk.target_likelihood, risk.target_impact)
        if risk.target_likelihood
        else "not set"
    )
    body: list[Json] = [
        cards.typed(f"{risk.ref} {risk.title}"),
        cards.facts(
            [
                ("Score", score_words(risk.likelihood, risk.impact)),
                ("Target", target),
                ("Status", risk.status.label),
                ("Category", risk.category.label),
                ("Scope", scope_words(view.service)),
                ("Owner", name_of(people.get(risk.owner_id) if risk.owner_id else None)),
                ("Review by", review_words(risk, facts.today)),
                ("Escalation route", risk.escalation_route or "not set"),
            ]
        ),
    ]
    if risk.description:
        body.append(cards.typed(risk.description))
    body.append(cards.words("**Score history**"))
    for a in list(reversed(view.assessments))[:HISTORY_LIMIT]:
        who = people.get(a.assessed_by_id) if a.assessed_by_id else None
        body.append(
            cards.typed(
                f"{score_words(a.likelihood, a.impact)} by {name_of(who)}: {a.reason}",
            )
        )
        body.append(cards.words(when(a.assessed_at), subtle=True))
    if not view.assessments:
        body.append(cards.words("Not scored yet; the quality lead scores each risk.", subtle=True))
    body.append(cards.words(f"**Controls** ({len(view.controls)})"))
    for control in view.controls[:DETAIL_CONTROL_LIMIT]:
        owner = people.get(control.owner_id) if control.owner_id else None
        body.append(cards.typed(control_words(control, owner, today=facts.today)))
        if control.is_open:
            body.append(
                {
                    "type": "ActionSet",
                    "actions": [
                        cards.dialog_button(
                            "Update status",
                            {"golive": Name.CONTROL_UPDATE, "control": str(control.id)},
                        ),
                        cards.dialog_button(
                            "Assign owner or due date",
                            {"golive": Name.CONTROL_ASSIGN, "control": str(control.id)},
                        ),
                    ],
                }
            )
    if len(view.controls) > DETAIL_CONTROL_LIMIT:
        hidden = len(view.controls) - DETAIL_CONTROL_LIMIT
        body.append(cards.words(f"…and {hidden} more controls", subtle=True))
    if not view.controls:
        body.append(cards.words("No controls yet.", subtle=True))
    body.append(cards.words(f"**Board decisions** ({len(view.decisions)})"))
    for decision in list(reversed(view.decisions))[:DECISION_LIMIT]:
        body.append(cards.typed(decision_words(decision, people)))
    ref = {"ref": risk.ref}
    actions = [
        cards.dialog_button("Score", {"golive": Name.SCORE, **ref}),
        cards.dialog_button("Add control", {"golive": Name.CONTROL_ADD, **ref}),
        cards.dialog_button("Record decision", {"golive": Name.DECISION, **ref}),
        cards.dialog_button("Edit", {"golive": Name.RISK_EDIT, **ref}),
        cards.dialog_button("Change status", {"golive": Name.RISK_STATUS, **ref}),
    ]
    return cards.card(body, actions)


def register_card(
    found: list[Risk],
    *,
    total: int,
    people: dict[int, Person],
    services: dict[int, Service],
    today: date,
    described: str,
) -> tuple[str, Json]:
    """The register, highest score first, one risk a line with an Open button."""
    if not found:
        text = f"No risks match {described}." if described else "The register has no open risks."
        return text, cards.card([cards.words(text)])
    title = f"Risk register{f' · {described}' if described else ''}: {total}"
    body: list[Json] = [cards.typed(title)]
    for risk in found[:LIST_LIMIT]:
        service = services.get(risk.service_id) if risk.service_id else None
        line = (
            f"{risk.ref} {risk.title}\n{score_words(risk.likelihood, risk.impact)} · "
            f"{risk.category.label} · {scope_words(service)} · "
            f"{name_of(people.get(risk.owner_id) if risk.owner_id else None)} · "
            f"review {review_words(risk, today)}"
        )
        if risk.status != RiskStatus.OPEN:
            line += f" · {risk.status.label}"
        body.append(cards.typed(line))
        body.append(
            {
                "type": "ActionSet",
                "actions": [cards.execute("Open", Verb.RISK_SHOW, {"ref": risk.ref})],
            }
        )
    if total > min(len(found), LIST_LIMIT):
        more = total - min(len(found), LIST_LIMIT)
        body.append(cards.words(f"…and {more} more; narrow the list with a filter", subtle=True))
    return title, cards.card(body)


# ---------------------------------------------------------------------- controls


def controls_card(
    owned: list[tuple[Control, Risk | None]],
    owner: Person,
    *,
    today: date,
    problem: str | None = None,
    done: str | None = None,
) -> tuple[str, Json]:
    """A person's open controls, each with Complete (done at once), Delayed… and
    Ineffective… (a dialog for the date and the note)."""
    text = f"Your open controls: {len(owned)}" if owned else "You own no open controls."
    body: list[Json] = []
    if problem:
        body.append(cards.words(problem, attention=True))
    if done:
        body.append(cards.words(done))
    body.append(cards.words(f"**{text}**"))
    for control, risk in owned[:CONTROL_LIMIT]:
        on_risk = f"\non {risk.ref} {risk.title}" if risk is not None else ""
        body.append(cards.typed(control_words(control, owner, today=today) + on_risk))
        data = {"control": str(control.id)}
        body.append(
            {
                "type": "ActionSet",
                "actions": [
                    cards.execute("Complete", Verb.CONTROL_COMPLETE, data),
                    cards.dialog_button(
                        "Delayed…", {"golive": Name.CONTROL_UPDATE, **data, "preset": "delayed"}
                    ),
                    cards.dialog_button(
                        "Ineffective…",
                        {"golive": Name.CONTROL_UPDATE, **data, "preset": "ineffective"},
                    ),
                ],
            }
        )
    if len(owned) > CONTROL_LIMIT:
        body.append(cards.words(f"…and {len(owned) - CONTROL_LIMIT} more", subtle=True))
    return text, cards.card(body)


def next_step_card(control: Control, risk: Risk, text: str) -> Json:
    """After an ineffective control: rescore the risk, or give it another control."""
    ref = {"ref": risk.ref}
    return cards.card(
        [cards.words(text), cards.typed(f"{control.ref} {control.description}")],
        [
            cards.dialog_button(f"Rescore {risk.ref}", {"golive": Name.SCORE, **ref}),
            cards.dialog_button("Add another control", {"golive": Name.CONTROL_ADD, **ref}),
        ],
    )


# ---------------------------------------------------------------------- checkpoints


def checkpoint_card(
    checkpoint: Checkpoint,
    progress: list[OwnerProgress],
    *,
    controls_by_id: dict[int, Control],
) -> tuple[str, Json]:
    """Who has updated and what changed, and who has not."""
    done = [p for p in progress if p.has_updated]
    waiting = [p for p in progress if not p.has_updated]
    text = f"Checkpoint {checkpoint.name}: {len(done)} updated, {len(waiting)} not yet"
    body: list[Json] = [
        cards.typed(f"Checkpoint: {checkpoint.name}"),
        cards.words(
            f"Opened {when(checkpoint.opened_at)} · {len(done)} of {len(progress)} updated",
            subtle=True,
        ),
        cards.words("**What changed**"),
    ]
    changes = [
        _change_words(p.owner, update, controls_by_id.get(update.control_id))
        for p in progress
        for update in p.updates
    ]
    body.extend(cards.typed(line) for line in changes[:40])
    if not changes:
        body.append(cards.words("No updates yet.", subtle=True))
    body.append(cards.words("**Not yet updated**"))
    for p in waiting[:40]:
        answered = {u.control_id for u in p.updates}
        left = [c for c in p.controls if c.id not in answered]
        refs = ", ".join(c.ref for c in left[:10]) + (" …" if len(left) > 10 else "")
        body.append(
            cards.typed(f"{p.owner.name}: {len(left)} of {len(p.controls)} waiting ({refs})")
        )
    if not waiting:
        body.append(cards.words("Everyone has updated.", subtle=True))
    return text, cards.card(body)


def _change_words(owner: Person, update: ControlUpdate, control: Control | None) -> str:
    ref = control.ref if control is not None else f"C-{update.control_id}"
    line = f"{owner.name} {ref}: {update.old_status.label} → {update.new_status.label}"
    if update.new_due_date and update.new_due_date != update.old_due_date:
        line += f", due {day(update.new_due_date)}"
    if update.note:
        line += f": {update.note}"
    return line
