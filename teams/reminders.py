"""The overdue reminder in Teams: the owner's items, each with the answers Slack's reminder
offers (acknowledge, complete, delayed with a new date, ineffective, snooze), as Universal
Actions on the card in their personal chat.

An answer is recorded by ``store.records.reminders.respond``, as on Slack, once however often
Teams resends the click; the answer to the click is the card again, with each answered item's
buttons replaced by what was answered (read from the store, so the card says the same after a
retry or a redraw). The day an answer is given on (a snooze lasts until the day after
tomorrow) is the provider's, in ``GOLIVE_TIMEZONE``.
"""

from collections.abc import Callable

from sqlmodel import Session

from schedules.posts import JSON, ScheduledNotice
from store.infra.errors import DomainError, NotFound
from store.records import inbound, outbox, people, reminders, verification
from store.records.fields import FieldReader, FormErrors
from store.records.models import OutboxMessage, ReminderResponse
from store.records.outbox import payload_of
from store.records.reminders import RESPONSES_FOR, ItemKind, Response
from teams import cards
from teams.face import Action, Face, sender_of
from teams.wording import KIND_LABELS, Json, Verb, action_data, clip, day, line, plural

LABELS: dict[Response, str] = {
    Response.ACKNOWLEDGED: "Acknowledge",
    Response.COMPLETED: "Complete",
    Response.DELAYED: "Delayed (new date)",
    Response.INEFFECTIVE: "Ineffective",
    Response.SNOOZED: "Snooze 1 day",
}
WAITING = "Done; waiting for a registered manager or quality lead to verify it"


def needs_date(kind: ItemKind, response: Response) -> bool:
    return response == Response.DELAYED or (
        kind == ItemKind.REVIEW and response == Response.COMPLETED
    )


def asks(kind: ItemKind, response: Response) -> bool:
    """Whether the answer needs a date or a reason, as Slack's small form asks."""
    return response == Response.INEFFECTIVE or needs_date(kind, response)


def answered_words(answer: ReminderResponse, *, waiting: bool) -> str:
    response = Response(answer.response)
    if response == Response.COMPLETED and waiting:
        return WAITING
    if response == Response.SNOOZED and answer.snoozed_until is not None:
        return f"Snoozed until {day(answer.snoozed_until)}"
    if response == Response.DELAYED and answer.new_date is not None:
        return f"Delayed to {day(answer.new_date)}"
    if response == Response.COMPLETED and answer.new_date is not None:
        return f"Reviewed; next review {day(answer.new_date)}"
    return {
        Response.ACKNOWLEDGED: "Acknowledged",
        Response.COMPLETED: "Done",
        Response.DELAYED: "Delayed",
        Response.INEFFECTIVE: "Marked ineffective",
        Response.SNOOZED: "Snoozed",
    }[response]


def _answer(session: Session, message: OutboxMessage, item: JSON) -> ReminderResponse | None:
    """The owner's answer to this item since this reminder was owed, if any."""
    owner = people.find_person(session, message.user or "")
    if owner is None:
        return None
    kind, item_id, _due = reminders.parse_value(item["value"])
    given = [
        answer
        for answer in reminders.responses_of(session, kind=kind, item_id=item_id)
        if answer.person_id == owner.id and answer.at >= message.created_at
    ]
    return given[-1] if given else None


def _buttons(message: OutboxMessage, item: JSON, slot: int) -> list[Json]:
    kind = ItemKind(item["kind"])
    data = {"row": message.key, "value": item["value"], "slot": slot}
    shown: list[Json] = []
    for response in RESPONSES_FOR[kind]:
        label = LABELS[response]
        if kind == ItemKind.REVIEW and response == Response.COMPLETED:
            label = "Reviewed (next date)"
        answer = {**data, "response": response.value}
        if not asks(kind, response):
            style = "positive" if response == Response.COMPLETED else None
            shown.append(cards.execute(label, Verb.REMINDER, answer, style=style))
            continue
        inputs: list[Json] = []
        if response == Response.INEFFECTIVE:
            inputs.append(cards.words("Say what is not working, so the risk can be rescored."))
        if needs_date(kind, response):
            what = "Next review date" if kind == ItemKind.REVIEW else "New due date"
            inputs.append(cards.date_input(f"new_date_{slot}", what))
        inputs.append(
            cards.text_input(
                f"note_{slot}",
                "Note" if response == Response.COMPLETED else "Why",
                required=response != Response.COMPLETED,
                limit=1000,
            )
        )
        style = "destructive" if response == Response.INEFFECTIVE else None
        shown.append(
            cards.show_card(
                label, inputs, [cards.execute("Save", Verb.REMINDER, answer, style=style)]
            )
        )
    return shown


def reminder_card(session: Session, message: OutboxMessage, *, problem: str | None = None) -> Json:
    facts = payload_of(message)
    items: list[JSON] = facts["items"]
    limit = facts["max_items"]
    body: list[Json] = []
    if problem:
        body.append(cards.words(problem, attention=True))
    body += [
        cards.heading(f"Overdue today: {len(items)}"),
        cards.words(
            "These are yours and past their date. Answer each one so your manager knows it is "
            "in hand; an item left unanswered after "
            f"{plural(facts['before_escalation'], 'reminder')} goes to your registered "
            "manager or the project lead.",
            subtle=True,
        ),
    ]
    for slot, item in enumerate(items[:limit]):
        kind = ItemKind(item["kind"])
        parent = f" on {item['parent']}" if item["parent"] else ""
        body += [
            {
                **line(
                    ("bold", item["ref"]),
                    f" {KIND_LABELS[kind]}{parent}: {clip(item['text'], 200)}",
                ),
                "separator": True,
                "spacing": "Medium",
            },
            cards.words(
                f"Due {day(item['due'])} · {plural(item['days_overdue'], 'day')} overdue",
                subtle=True,
            ),
        ]
        answer = _answer(session, message, item)
        if answer is None:
            body.append({"type": "ActionSet", "actions": _buttons(message, item, slot)})
            continue
        _kind, item_id, _due = reminders.parse_value(item["value"])
        waiting = kind == ItemKind.CONTROL and (
            verification.pending(session, kind=verification.CONTROL, item_id=item_id) is not None
        )
        body.append(line(("bold", f"{item['ref']}: "), answered_words(answer, waiting=waiting)))
    if len(items) > limit:
        body.append(
            cards.words(
                f"…and {len(items) - limit} more overdue; answer these first and the rest follow "
                "tomorrow."
            )
        )
    text = f"{plural(len(items), 'overdue item')} of yours to look at today"
    return cards.message(text, cards.card(body))


def render_reminder(session: Session, message: OutboxMessage) -> Json:
    return reminder_card(session, message)


def answer(face: Face, activity: Json) -> Json:
    """Record the clicked answer, once, and show the reminder as it now stands; a refusal (not
    theirs any more, a date missing) goes on top and nothing is recorded."""
    data = action_data(activity)
    key = str(data.get("row") or "")
    value = str(data.get("value") or "")
    now = face.clock.now()
    today = now.astimezone(face.settings.zone).date()
    problem: str | None = None

    def reminder_of(session: Session) -> tuple[OutboxMessage, JSON]:
        message = outbox.by_key(session, key) if key else None
        if message is None or message.notice != ScheduledNotice.REMINDER:
            raise NotFound("That reminder button is not one golive made")
        listed = [item for item in payload_of(message)["items"] if item["value"] == value]
        if not listed:
            raise NotFound("That reminder button is not one golive made")
        return message, listed[0]

    def record(session: Session) -> None:
        _message, _item = reminder_of(session)
        try:
            response = Response(str(data.get("response") or ""))
        except ValueError:
            raise NotFound("That reminder button is not one golive made") from None
        kind, item_id, _due = reminders.parse_value(value)
        slot = data.get("slot")
        form = FieldReader(data)
        new_date = form.day(
            f"new_date_{slot}", label="The date", required=needs_date(kind, response)
        )
        note = form.text(
            f"note_{slot}",
            label="The note",
            required=asks(kind, response) and response != Response.COMPLETED,
        )
        form.check()
        person = sender_of(session, activity, face=face)
        if activity.get("id") and not inbound.claim(
            session, key=f"teams:action:{str(activity['id'])[:150]}", now=now
        ):
            return
        reminders.respond(
            session,
            person=person,
            kind=kind,
            item_id=item_id,
            response=response,
            now=now,
            today=today,
            note=note,
            new_date=new_date,
        )

    try:
        face.run(record)
    except DomainError as error:
        problem = str(error)
    except FormErrors as errors:
        problem = " ".join(errors.errors.values())
    try:
        card = face.read(
            lambda session: reminder_card(session, reminder_of(session)[0], problem=problem)
        )
    except DomainError as error:
        return cards.refreshed(cards.card([cards.words(str(error), attention=True)]))
    content = (card.get("attachments") or [{}])[0].get("content") or {}
    return cards.refreshed(content)


RENDERERS: dict[str, Callable[[Session, OutboxMessage], Json]] = {
    ScheduledNotice.REMINDER: render_reminder,
}
ACTIONS: dict[str, Action] = {Verb.REMINDER: answer}
