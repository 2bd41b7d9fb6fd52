"""Quiet hours, set with ``/golive quiet 22:00-07:00`` (or ``off``) or from App Home: a
person's own hours, so reminders wait until their shift's sleep is over; alerts about safe
care still come at once."""

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.forms import Form, field_errors
from bot.ids import QuietIds
from bot.views.care import quiet_modal
from commands import home
from commands.context import Deps, acting_at_ack, acting_person, guarded, learn_names, person_in
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import quiet
from store.records.models import Person

USAGE = "/golive quiet 22:00-07:00 | off"
Json = dict[str, Any]


def change(deps: Deps, person: Person, text: str) -> str:
    """Set or clear the person's quiet hours; what to tell them."""

    def work(session: Session) -> str:
        me = person_in(session, person)
        if quiet.turns_off(text):
            cleared = quiet.clear_quiet_hours(session, actor=me, person=me, now=deps.now())
            return (
                "Quiet hours are off: reminders come when they are due."
                if cleared
                else "You had no quiet hours set."
            )
        row = quiet.set_quiet_hours(session, actor=me, person=me, text=text, now=deps.now())
        return (
            f":crescent_moon: Quiet hours set to *{quiet.describe(row)}* "
            f"({deps.settings.timezone} time). Reminders wait until they end; alerts about "
            "safe care still reach you at once."
        )

    return deps.run(work)


def current(deps: Deps, person: Person) -> str | None:
    def read(session: Session) -> str | None:
        row = quiet.quiet_hours_of(session, person_in(session, person))
        return quiet.describe(row) if row is not None else None

    return deps.read(read)


def quiet_text(deps: Deps, ctx: SlashContext) -> str:
    words = ctx.args[1:]
    if not words:
        shown = current(deps, ctx.person)
        if shown is None:
            return f"You have no quiet hours. Set them with `{USAGE}`."
        return f":crescent_moon: Your quiet hours are *{shown}*."
    return change(deps, ctx.person, "".join(words))


def register(app: App, deps: Deps) -> None:
    def quiet_command(ctx: SlashContext) -> None:
        ctx.reply(quiet_text(deps, ctx))

    deps.router.add(
        "quiet",
        quiet_command,
        usage=USAGE,
        summary="hold reminders during your sleep or off-shift hours",
    )

    def ack_click(ack: Ack) -> None:
        ack()

    @guarded
    def open_modal(body: Json, client: WebClient) -> None:
        person = acting_person(deps, client, body["user"]["id"])
        client.views_open(trigger_id=body["trigger_id"], view=quiet_modal(current(deps, person)))

    app.action(QuietIds.OPEN)(ack=ack_click, lazy=[open_modal])

    def submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        form = Form(view)
        text = form.text(QuietIds.HOURS, label="Your quiet hours") or "off"
        person = acting_at_ack(deps, body)
        try:
            change(deps, person, text)
        except ValidationError as error:
            errors = field_errors(error, view, fields={"quiet_hours": QuietIds.HOURS})
            if errors is None:
                raise
            ack(response_action="errors", errors=errors)
            return
        ack()

    @guarded
    def refresh_home(body: Json, client: WebClient) -> None:
        learn_names(deps, client, body)
        home.refresh(deps, client, body["user"]["id"])

    app.view(QuietIds.VIEW)(ack=submit, lazy=[refresh_home])
