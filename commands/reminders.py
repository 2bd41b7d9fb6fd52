"""Answers to overdue reminders, from the buttons on the reminder DM.

Acknowledge, snooze and (for a control or a correction) complete are one click; delayed asks
for the new date and why, ineffective for what is not working, and a risk review for the date
of the next one, in a small modal. Every answer is recorded by ``store.records.reminders.respond``,
which makes the change through the store's own rules; the item's buttons in the DM are then
replaced by what was answered, so the message shows what is still waiting.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.error_replies import refusal
from bot.escape import escape
from bot.forms import Form, FormResult, field_errors
from bot.ids import ReminderIds
from bot.views.common import context, datepicker, input_block, modal, section, text_input
from commands.context import (
    Deps,
    accepted,
    ack_only,
    acting,
    action_value,
    done,
    guarded,
    open_view,
    person_in,
    submit_error,
)
from store.infra.errors import DomainError, ValidationError
from store.records import people, reminders, verification
from store.records.reminders import ItemKind, Response

Json = dict[str, Any]

ONE_CLICK = {
    ReminderIds.ACKNOWLEDGE: Response.ACKNOWLEDGED,
    ReminderIds.SNOOZE: Response.SNOOZED,
}
ASKING = {
    ReminderIds.DELAYED: Response.DELAYED,
    ReminderIds.INEFFECTIVE: Response.INEFFECTIVE,
}
DONE_WORDS = {
    Response.ACKNOWLEDGED: ":eyes: Acknowledged",
    Response.COMPLETED: ":white_check_mark: Done",
    Response.DELAYED: ":hourglass_flowing_sand: Delayed",
    Response.INEFFECTIVE: ":x: Marked ineffective",
    Response.SNOOZED: ":zzz: Snoozed until the day after tomorrow",
}
RECENT = timedelta(minutes=5)
STORE_FIELDS = {"due_date": ReminderIds.NEW_DATE, "new_date": ReminderIds.NEW_DATE}


WAITING_WORDS = ":mag: Done; waiting for a registered manager or quality lead to verify it"


def _today(deps: Deps) -> date:
    return deps.now().astimezone(deps.settings.zone).date()


def _message_of(body: Json) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    return container.get("channel_id"), container.get("message_ts")


def _needs_date(kind: ItemKind, response: Response) -> bool:
    return response == Response.DELAYED or (
        kind == ItemKind.REVIEW and response == Response.COMPLETED
    )


def record(
    deps: Deps,
    client: WebClient,
    body: Json,
    *,
    value: str,
    response: Response,
    note: str | None = None,
    new_date: date | None = None,
) -> str:
    """Record one answer; returns the item's reference."""
    kind, item_id, _due = reminders.parse_value(value)
    person = acting(deps, client, body)

    def work(session: Session) -> str:
        answer = reminders.respond(
            session,
            person=person_in(session, person),
            kind=kind,
            item_id=item_id,
            response=response,
            now=deps.now(),
            today=_today(deps),
            note=note,
            new_date=new_date,
        )
        return answer.item_ref

    return deps.run(work)


def mark_answered(
    client: WebClient,
    *,
    channel: str | None,
    ts: str | None,
    value: str,
    words: str,
    blocks: list[Json] | None = None,
) -> None:
    """Swap the item's buttons in the reminder for what was answered."""
    if not (channel and ts):
        return
    if blocks is None:
        found = client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        messages = found.get("messages") or []
        if not messages:
            return
        blocks = messages[0].get("blocks") or []
    block_id = f"reminder:{value}"
    answered = [
        context(words) | {"block_id": block_id} if block.get("block_id") == block_id else block
        for block in blocks
    ]
    text = "Your overdue items, with your answers so far"
    client.chat_update(channel=channel, ts=ts, text=text, blocks=answered)


def one_click(deps: Deps, client: WebClient, body: Json, response: Response) -> None:
    value = action_value(body)
    ref = record(deps, client, body, value=value, response=response)
    channel, ts = _message_of(body)
    kind, item_id, _due = reminders.parse_value(value)
    waiting = kind == ItemKind.CONTROL and deps.read(
        lambda session: (
            verification.pending(session, kind=verification.CONTROL, item_id=item_id) is not None
        )
    )
    words = WAITING_WORDS if waiting else DONE_WORDS[response]
    mark_answered(
        client,
        channel=channel,
        ts=ts,
        value=value,
        words=f"*{escape(ref)}*: {words}",
        blocks=(body.get("message") or {}).get("blocks"),
    )


def answer_modal(value: str, response: Response, channel: str | None, ts: str | None) -> Json:
    kind, _, _ = reminders.parse_value(value)
    blocks: list[Json] = []
    if response == Response.INEFFECTIVE:
        blocks.append(section("Say what is not working, so the risk can be rescored."))
    if _needs_date(kind, response):
        label = "Next review date" if kind == ItemKind.REVIEW else "New due date"
        blocks.append(input_block(ReminderIds.NEW_DATE, label, datepicker()))
    blocks.append(
        input_block(
            ReminderIds.NOTE,
            "Why" if response != Response.COMPLETED else "Note",
            text_input(multiline=True, max_length=1000),
            optional=response == Response.COMPLETED,
        )
    )
    title = {
        Response.DELAYED: "Delayed",
        Response.INEFFECTIVE: "Not working",
        Response.COMPLETED: "Reviewed",
    }[response]
    metadata = "|".join([str(response), value, channel or "", ts or ""])
    return modal(ReminderIds.ANSWER_VIEW, title, blocks, private_metadata=metadata)


def _metadata(text: str) -> tuple[Response, str, str | None, str | None]:
    """The answer modal's private metadata: response|value|channel|ts."""
    response, value, channel, ts = [*text.split("|"), "", "", "", ""][:4]
    try:
        return Response(response), value, channel or None, ts or None
    except ValueError:
        raise ValidationError("That form is not one golive made; open it again") from None


def open_answer(deps: Deps, client: WebClient, body: Json, response: Response) -> None:
    value = action_value(body)
    reminders.parse_value(value)
    channel, ts = _message_of(body)
    open_view(client, body, answer_modal(value, response, channel, ts))


@dataclass(frozen=True)
class Answer:
    """An answer from the modal: which reminder item (its button's value), how, and the date
    and note the answer asks for."""

    response: Response
    value: str
    note: str | None
    new_date: date | None


def parse_answer(view: Json) -> FormResult[Answer]:
    form = Form(view)
    response, value, _channel, _ts = _metadata(form.metadata)
    kind, _, _ = reminders.parse_value(value)
    new_date = form.day(
        ReminderIds.NEW_DATE, label="The date", required=_needs_date(kind, response)
    )
    note = form.text(ReminderIds.NOTE, label="The note", required=response != Response.COMPLETED)
    return form.result(Answer(response, value, note, new_date))


def submit_answer(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    answer = accepted(ack, parse_answer(view))
    if answer is None:
        return
    response = answer.response
    try:
        ref = record(
            deps,
            client,
            body,
            value=answer.value,
            response=response,
            note=answer.note,
            new_date=answer.new_date,
        )
    except ValidationError as error:
        beside = field_errors(error, view, fields=STORE_FIELDS)
        if beside:
            submit_error(ack, beside)
        else:
            done(ack, "Not saved", str(error))
        return
    except DomainError as error:
        done(ack, "Not saved", refusal(error))
        return
    done(ack, "Saved", f"*{escape(ref)}*: {DONE_WORDS[response]}.")


def after_answer(deps: Deps, client: WebClient, body: Json) -> None:
    """Once the modal has closed, and only if the answer was saved: update the reminder."""
    response, value, channel, ts = _metadata(body["view"].get("private_metadata") or "")
    kind, item_id, _due = reminders.parse_value(value)
    user = body["user"]["id"]

    def saved(session: Session) -> bool:
        answers = reminders.responses_of(session, kind=kind, item_id=item_id)
        if not answers:
            return False
        last = answers[-1]
        person = people.find_person(session, user)
        return (
            person is not None
            and last.person_id == person.id
            and last.response == response
            and last.at >= deps.now() - RECENT
        )

    if deps.read(saved):
        mark_answered(
            client,
            channel=channel,
            ts=ts,
            value=value,
            words=DONE_WORDS[response],
        )


def register(app: App, deps: Deps) -> None:
    def clicker(response: Response) -> Any:
        @guarded
        def on_click(body: Json, client: WebClient) -> None:
            kind, _, _ = reminders.parse_value(action_value(body))
            if response == Response.COMPLETED and kind == ItemKind.REVIEW:
                open_answer(deps, client, body, response)
            else:
                one_click(deps, client, body, response)

        return on_click

    def asker(response: Response) -> Any:
        @guarded
        def on_click(body: Json, client: WebClient) -> None:
            open_answer(deps, client, body, response)

        return on_click

    for action, response in ONE_CLICK.items():
        app.action(action)(ack=ack_only, lazy=[clicker(response)])
    app.action(ReminderIds.COMPLETE)(ack=ack_only, lazy=[clicker(Response.COMPLETED)])
    for action, response in ASKING.items():
        app.action(action)(ack=ack_only, lazy=[asker(response)])

    def on_submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit_answer(deps, ack, body, view, client)

    @guarded
    def on_saved(body: Json, client: WebClient) -> None:
        after_answer(deps, client, body)

    app.view(ReminderIds.ANSWER_VIEW)(ack=on_submit, lazy=[on_saved])
