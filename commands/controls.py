"""Controls on risks: add, assign an owner and due date, and update status.

Owners update from the checkpoint DM, from App Home, or with ``/golive control C-12 complete``
(``delayed 2026-12-10 "why"``, ``ineffective "what is not working"``). Complete is one click;
delayed and ineffective open a small modal for the date and the note. An ineffective control
ends on a choice: rescore the risk, or add another control.
"""

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.forms import Form, FormResult
from bot.ids import ControlIds
from bot.views import controls as views
from bot.views.checkpoints import checkpoint_message
from bot.views.common import RenderedMessage, section
from commands import home
from commands.context import (
    Deps,
    accepted,
    ack_only,
    acting,
    acting_at_ack,
    action_value,
    actor_in,
    chosen_in,
    done,
    guarded,
    learn_names,
    name_learner,
    open_for_actor,
    person_in,
    reply,
)
from commands.risks import open_risk_modal
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import checkpoints, controls, people, risks, verification
from store.records.enums import ControlStatus
from store.records.models import Checkpoint, Person, ident
from store.records.permissions import Action, require
from store.records.register_forms import (
    Assignment,
    NewControl,
    StatusUpdate,
    read_assignment,
    read_control_update,
    read_control_words,
    read_new_control,
)

Json = dict[str, Any]
log = logging.getLogger("golive.controls")

COMMAND_USAGE = (
    '/golive control C-12 complete | delayed 2026-12-10 "why" | ineffective "what is wrong"'
)


@dataclass(frozen=True)
class Origin:
    """Where an update was asked for: the control, the checkpoint and the message to redraw."""

    control_id: int
    checkpoint_id: int | None = None
    channel: str | None = None
    ts: str | None = None

    @classmethod
    def parse(cls, text: str) -> "Origin":
        parts = ([*text.split(":"), "", "", "", ""])[:4]
        if not parts[0].isdigit():
            raise ValidationError("That button names no control; open it again from the list")
        return cls(
            control_id=int(parts[0]),
            checkpoint_id=int(parts[1]) if parts[1].isdigit() else None,
            channel=parts[2] or None,
            ts=parts[3] or None,
        )

    def dump(self) -> str:
        return f"{self.control_id}:{self.checkpoint_id or ''}:{self.channel or ''}:{self.ts or ''}"


def _message_of(body: Json) -> tuple[str | None, str | None]:
    """The message to redraw after an update. An ephemeral one (the private reply to
    ``/golive risk``) has no ``ts`` chat.update can find, so it is answered in words instead."""
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None, None
    return container.get("channel_id"), container.get("message_ts")


def _checkpoint(session: Session, origin: Origin) -> Checkpoint | None:
    """The checkpoint the update answers: the one in the button, else the latest, so command
    and Home updates after a checkpoint still count towards its report."""
    if origin.checkpoint_id is not None:
        return checkpoints.get_checkpoint(session, origin.checkpoint_id)
    return checkpoints.latest_checkpoint(session)


def record_update(
    deps: Deps,
    person: Person,
    origin: Origin,
    *,
    status: ControlStatus,
    note: str | None,
    new_due_date: date | None,
) -> tuple[str, str]:
    """The one store call behind every way of updating a control; returns its and its risk's
    refs."""

    def work(session: Session) -> tuple[str, str]:
        control = controls.get_control(session, origin.control_id)
        controls.update_status(
            session,
            actor=person_in(session, person),
            control=control,
            status=status,
            note=note,
            now=deps.now(),
            new_due_date=new_due_date,
            checkpoint=_checkpoint(session, origin),
            rescore_within_days=deps.settings.rescore_within_days,
        )
        risk = controls.risk_of(session, control)
        return control.ref, risk.ref if risk else ""

    return deps.run(work)


def redraw(deps: Deps, client: WebClient, origin: Origin, person: Person) -> None:
    """Show the new status where the owner clicked: the checkpoint DM or the control message."""
    if origin.channel and origin.ts:

        def build(session: Session) -> RenderedMessage:
            owner = person_in(session, person)
            if origin.checkpoint_id is not None:
                checkpoint = checkpoints.get_checkpoint(session, origin.checkpoint_id)
                return checkpoint_message(session, checkpoint=checkpoint, owner=owner)
            control = controls.get_control(session, origin.control_id)
            text, blocks = views.control_assigned_message(
                control,
                controls.risk_of(session, control),
                people.person_by_id(session, person_id=control.owner_id),
                today=deps.now().date(),
            )
            return RenderedMessage(text, blocks)

        shown = deps.read(build)
        try:
            client.chat_update(
                channel=origin.channel, ts=origin.ts, text=shown.text, blocks=shown.blocks
            )
        except SlackApiError as error:
            log.warning("could not redraw the control message: %s", error.response.get("error"))
    home.refresh(deps, client, person.slack_user_id)


def open_update(
    deps: Deps, client: WebClient, body: Json, origin: Origin, status: ControlStatus | None
) -> None:
    def build(session: Session, actor: Person) -> Json:
        control = controls.get_control(session, origin.control_id)
        require(
            session,
            actor,
            Action.UPDATE_CONTROL,
            service_id=controls.parent_service_id(session, control),
            owner_id=control.owner_id,
        )
        view = views.control_update_modal(
            control, status=status, checkpoint_id=origin.checkpoint_id
        )
        view["private_metadata"] = origin.dump()
        return view

    open_for_actor(deps, client, body, build)


def parse_update(view: Json) -> FormResult[StatusUpdate]:
    return read_control_update(Form(view))


def submit_update(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    update = accepted(ack, parse_update(view))
    if update is None:
        return
    status = update.status
    origin = Origin.parse(view.get("private_metadata") or "")
    person = acting_at_ack(deps, body)
    control_ref, risk_ref = record_update(
        deps, person, origin, status=status, note=update.note, new_due_date=update.new_due_date
    )
    if status == ControlStatus.INEFFECTIVE and risk_ref:
        next_step = deps.read(
            lambda session: views.control_next_step_view(
                controls.get_control(session, origin.control_id),
                risks.get_risk(session, risk_ref),
            )
        )
        ack(response_action="update", view=next_step)
    else:
        done(ack, f"{control_ref} updated", status_text(deps, origin, control_ref, status)[0])


def after_update(deps: Deps, client: WebClient, body: Json) -> None:
    """Once the modal has closed: redraw the message the owner clicked in, and their Home."""
    origin = Origin.parse(body["view"].get("private_metadata") or "")
    learn_names(deps, client, body)
    redraw(deps, client, origin, acting(deps, client, body))


def complete(deps: Deps, client: WebClient, body: Json) -> None:
    channel, ts = _message_of(body)
    given = Origin.parse(action_value(body))
    origin = Origin(given.control_id, given.checkpoint_id, channel, ts)
    person = acting(deps, client, body)
    ref, _ = record_update(
        deps, person, origin, status=ControlStatus.COMPLETE, note=None, new_due_date=None
    )
    redraw(deps, client, origin, person)
    text, waiting = status_text(deps, origin, ref, ControlStatus.COMPLETE)
    # The redrawn message shows a plain update; a click from Home, or one that only asked for
    # verification, needs the words.
    if waiting or channel is None:
        reply(client, body, text)


def awaiting_verification(deps: Deps, origin: Origin) -> bool:
    """Completing a control on a high or extreme risk waits for a second person."""
    found = deps.read(
        lambda session: verification.pending(
            session, kind=verification.CONTROL, item_id=origin.control_id
        )
    )
    return found is not None


WAITING_TEXT = (
    ":mag: *{ref}* is on a high or extreme risk, so a registered manager or a quality lead "
    "(not its owner) must verify it before it counts as complete; they have been asked."
)


def status_text(deps: Deps, origin: Origin, ref: str, status: ControlStatus) -> tuple[str, bool]:
    """What an update did, in the same words from a button, the update form or the command,
    and whether it awaits verification (then "complete" would be untrue)."""
    if status == ControlStatus.COMPLETE and awaiting_verification(deps, origin):
        return WAITING_TEXT.format(ref=ref), True
    return f"*{ref}* is now {status.label.lower()}.", False


def open_add(deps: Deps, client: WebClient, body: Json, ref: str) -> None:
    open_risk_modal(
        deps,
        client,
        body,
        ref,
        action=Action.ADD_CONTROL,
        modal=lambda session, risk: views.control_add_modal(risk),
    )


def parse_add(view: Json) -> FormResult[NewControl[str]]:
    form = Form(view)
    return read_new_control(form, owner=lambda: form.user(ControlIds.OWNER, label="An owner"))


def submit_add(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    new = accepted(ack, parse_add(view))
    if new is None:
        return
    ref = view.get("private_metadata") or ""

    def work(session: Session) -> str:
        actor = actor_in(session, deps, body)
        control = controls.add_control(
            session,
            actor=actor,
            risk=risks.get_risk(session, ref),
            description=new.description,
            owner=chosen_in(session, deps, new.owner) if new.owner else None,
            due_date=new.due_date,
            priority=new.priority,
            now=deps.now(),
        )
        controls.owe_assignment_notice(session, actor=actor, control=control, now=deps.now())
        return control.ref

    control_ref = deps.run(work)
    done(ack, f"{control_ref} added", f":white_check_mark: *{control_ref}* is on *{ref}*.")


def open_assign(deps: Deps, client: WebClient, body: Json, control_id: str) -> None:
    def build(session: Session, actor: Person) -> Json:
        control = controls.get_control(session, control_id)
        require(
            session,
            actor,
            Action.ADD_CONTROL,
            service_id=controls.parent_service_id(session, control),
        )
        owner = people.person_by_id(session, person_id=control.owner_id)
        return views.control_assign_modal(control, owner=owner)

    open_for_actor(deps, client, body, build)


def parse_assign(view: Json) -> FormResult[Assignment[str]]:
    form = Form(view)
    return read_assignment(
        form, owner=lambda: form.user(ControlIds.OWNER, label="An owner", required=True)
    )


def submit_assign(deps: Deps, ack: Ack, body: Json, view: Json, client: WebClient) -> None:
    assignment = accepted(ack, parse_assign(view))
    if assignment is None:
        return
    owner_id = assignment.owner

    def work(session: Session) -> str:
        actor = actor_in(session, deps, body)
        control = controls.get_control(session, view.get("private_metadata") or "")
        controls.assign_control(
            session,
            actor=actor,
            control=control,
            owner=chosen_in(session, deps, owner_id),
            due_date=assignment.due_date,
            now=deps.now(),
        )
        controls.owe_assignment_notice(session, actor=actor, control=control, now=deps.now())
        return control.ref

    ref = deps.run(work)
    done(ack, f"{ref} assigned", f"*{ref}* is now owned by <@{owner_id}>.")


def my_controls(deps: Deps, ctx: SlashContext) -> None:
    def build(session: Session) -> tuple[str, list[Json]]:
        owner = person_in(session, ctx.person)
        mine = controls.controls_owned_by(session, owner)
        blocks: list[Json] = []
        for control in mine[: views.DM_CONTROL_LIMIT]:
            blocks.extend(
                views.control_blocks(
                    control, controls.risk_of(session, control), owner, today=deps.now().date()
                )
            )
        if not mine:
            return "You own no open controls.", []
        return f"Your open controls: {len(mine)}", blocks

    text, blocks = deps.read(build)
    ctx.reply(text, [section(f"*{text}*"), *blocks] if blocks else None)


def control_command(deps: Deps, ctx: SlashContext) -> None:
    """``/golive control C-12 STATUS ...``, ``/golive control C-12`` (the modal), or
    ``/golive control add R-003``."""
    args = ctx.args[1:]
    if not args:
        ctx.reply(f"Say which control and what happened: `{COMMAND_USAGE}`")
        return
    if args[0].lower() == "add" and len(args) > 1:
        open_add(deps, ctx.client, ctx.body, args[1])
        return
    control_id = deps.read(lambda session: ident(controls.get_control(session, args[0])))
    origin = Origin(control_id)
    if len(args) == 1:
        open_update(deps, ctx.client, ctx.body, origin, None)
        return
    change = read_control_words(args[1:], usage=COMMAND_USAGE)
    status = change.status
    ref, risk_ref = record_update(
        deps, ctx.person, origin, status=status, note=change.note, new_due_date=change.new_due_date
    )
    text, _ = status_text(deps, origin, ref, status)
    if status == ControlStatus.INEFFECTIVE and risk_ref:
        text += (
            f" Next: rescore with `/golive score {risk_ref}` or add another control with "
            f"`/golive control add {risk_ref}`."
        )
    ctx.reply(text)
    home.refresh(deps, ctx.client, ctx.user_id)


def register(app: App, deps: Deps) -> None:
    deps.router.add(
        "control",
        lambda ctx: control_command(deps, ctx),
        usage=COMMAND_USAGE,
        summary="update a control you own (or `/golive control add R-003`)",
    )
    deps.router.add(
        "controls",
        lambda ctx: my_controls(deps, ctx),
        usage="/golive controls",
        summary="your open controls, with buttons to update them",
    )

    @guarded
    def on_complete(body: Json, client: WebClient) -> None:
        complete(deps, client, body)

    def status_opener(status: ControlStatus) -> Any:
        @guarded
        def opener(body: Json, client: WebClient) -> None:
            channel, ts = _message_of(body)
            given = Origin.parse(action_value(body))
            origin = Origin(given.control_id, given.checkpoint_id, channel, ts)
            open_update(deps, client, body, origin, status)

        return opener

    @guarded
    def on_add(body: Json, client: WebClient) -> None:
        open_add(deps, client, body, action_value(body))

    @guarded
    def on_menu(body: Json, client: WebClient) -> None:
        what, _, control_id = action_value(body).partition(":")
        if what == "assign":
            open_assign(deps, client, body, control_id)
        else:
            channel, ts = _message_of(body)
            given = Origin.parse(control_id)
            open_update(deps, client, body, Origin(given.control_id, None, channel, ts), None)

    app.action(ControlIds.COMPLETE)(ack=ack_only, lazy=[on_complete])
    app.action(ControlIds.DELAYED)(ack=ack_only, lazy=[status_opener(ControlStatus.DELAYED)])
    app.action(ControlIds.INEFFECTIVE)(
        ack=ack_only, lazy=[status_opener(ControlStatus.INEFFECTIVE)]
    )
    app.action(ControlIds.ADD)(ack=ack_only, lazy=[on_add])
    app.action(ControlIds.MENU)(ack=ack_only, lazy=[on_menu])

    def on_update(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit_update(deps, ack, body, view, client)

    def on_add_submit(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit_add(deps, ack, body, view, client)

    def on_assign(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        submit_assign(deps, ack, body, view, client)

    @guarded
    def on_updated(body: Json, client: WebClient) -> None:
        after_update(deps, client, body)

    app.view(ControlIds.UPDATE_VIEW)(ack=on_update, lazy=[on_updated])
    app.view(ControlIds.ADD_VIEW)(ack=on_add_submit, lazy=[name_learner(deps)])
    app.view(ControlIds.ASSIGN_VIEW)(ack=on_assign, lazy=[name_learner(deps)])
