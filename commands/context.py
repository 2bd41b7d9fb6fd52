"""What every listener module is handed, and the few helpers they all use.

Listeners get their collaborators through ``Deps`` rather than importing the app: the
engine, the clock, the settings object handed down, the ``/golive`` router and ``nudge``
(wake the outbox sender after a commit). The helpers below are written once for every
feature: who acted, opening a modal where the click came from, taking a submission's typed
result (``accepted``) and answering it (``done``, ``save_or_show``, ``reply``), and a
command-and-button pair that open the same modal (``modal_by_ref``).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.error_replies import log_failure, new_ref, private_reply, title_for, user_message
from bot.escape import BLOCKS_PER_VIEW, fit_blocks
from bot.forms import FormResult, Invalid, Parsed, field_errors
from bot.views.common import notice_modal
from store.infra.clock import Clock
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.records import people
from store.records.models import Person

if TYPE_CHECKING:
    from commands.slash import SlashContext, SlashRouter

log = logging.getLogger("golive.commands")

T = TypeVar("T")
Json = dict[str, Any]


def _no_sender() -> None:
    """Without a sender thread (tests, one-off jobs) there is nothing to wake."""


@dataclass
class Deps:
    engine: Engine
    clock: Clock
    settings: Any
    router: SlashRouter
    nudge: Callable[[], None] = field(default=_no_sender)

    def now(self) -> datetime:
        return self.clock.now()

    def run(self, work: Callable[[Session], T]) -> T:
        """One unit of work; the outbox sender is woken once it is committed."""
        with session_scope(self.engine) as session:
            result = work(session)
        self.nudge()
        return result

    def read(self, work: Callable[[Session], T]) -> T:
        """A read-only look at the records (nothing to deliver afterwards)."""
        with session_scope(self.engine, write=False) as session:
            return work(session)


def display_name(client: WebClient, user_id: str) -> str:
    """The person's name as Slack shows it; their user id if Slack can't say."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except Exception as error:
        log.warning("users.info failed for %s: %s", user_id, type(error).__name__)
        return user_id
    profile = user.get("profile") or {}
    for name in (
        profile.get("real_name"),
        profile.get("display_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if name and name.strip():
            return name.strip()
    return user_id


def acting_person(deps: Deps, client: WebClient, user_id: str) -> Person:
    """The Person behind a Slack user, created on first contact with the name Slack gives.

    This asks Slack, so it is for work after the ack (lazy listeners); an ack handler uses
    ``actor_in`` or ``acting_at_ack`` instead."""
    known = deps.read(lambda session: people.find_person(session, user_id))
    if known is not None:
        return known
    name = display_name(client, user_id)
    return deps.run(
        lambda session: people.ensure_person(
            session, slack_user_id=user_id, name=name, now=deps.now()
        )
    )


def payload_name(body: Json) -> str | None:
    """The acting user's Slack handle as the payload carries it: the best name to hand before
    the ack, when asking Slack for the real one would keep the user waiting."""
    user = body.get("user")
    given = (
        user.get("name") or user.get("username")
        if isinstance(user, dict)
        else body.get("user_name")
    )
    return str(given or "").strip() or None


def actor_id_of(body: Json) -> str:
    """The acting user's id, from an interaction payload or a slash command's form."""
    user = body.get("user")
    return str(user["id"] if isinstance(user, dict) else body["user_id"])


def actor_in(session: Session, deps: Deps, body: Json) -> Person:
    """Whoever acted, found or created inside the change's own transaction under the name the
    payload carries (no Slack call before the ack, no row left behind when the change is
    refused); ``learn_names`` gives them their real name after the ack."""
    user_id = actor_id_of(body)
    return people.ensure_person(
        session, slack_user_id=user_id, name=payload_name(body) or user_id, now=deps.now()
    )


def acting_at_ack(deps: Deps, body: Json) -> Person:
    """Whoever acted, for an ack handler whose store call takes a Person loaded beforehand."""
    known = deps.read(lambda session: people.find_person(session, actor_id_of(body)))
    return known if known is not None else deps.run(lambda s: actor_in(s, deps, body))


def chosen_in(session: Session, deps: Deps, user_id: str) -> Person:
    """Someone picked in a people field, created inside the change's transaction with their
    user id for a name, so a refused form leaves no row; ``learn_names`` names them later."""
    return people.ensure_person(session, slack_user_id=user_id, name=user_id, now=deps.now())


def chosen_users(body: Json) -> list[str]:
    """Every user picked in the submitted view's people fields."""
    state = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    found: list[str] = []
    for block in state.values():
        for element in (block or {}).values():
            if not isinstance(element, dict):
                continue
            picked = element.get("selected_users") or [element.get("selected_user")]
            found += [u for u in picked if isinstance(u, str) and u]
    return found


def learn_names(deps: Deps, client: WebClient, body: Json) -> None:
    """After the ack: ask Slack for the real names of the actor and the people the form
    picked, only for those golive still knows by a placeholder (a known person costs no call)."""
    handles: dict[str, str | None] = dict.fromkeys(chosen_users(body))
    handles[actor_id_of(body)] = payload_name(body)
    unnamed = deps.read(lambda session: people.placeholder_named(session, handles))
    for user_id in unnamed:
        learn = functools.partial(
            people.learn_name,
            slack_user_id=user_id,
            name=display_name(client, user_id),
            handle=handles[user_id],
            now=deps.now(),
        )
        deps.run(learn)


def name_learner(deps: Deps) -> Callable[..., None]:
    """A lazy listener for a submission that has nothing else to do after the ack."""

    @guarded
    def learn(body: Json, client: WebClient) -> None:
        learn_names(deps, client, body)

    return learn


def person_in(session: Session, person: Person) -> Person:
    """The acting person attached to this session (they were loaded in another)."""
    return people.same_person(session, person)


def tell(client: WebClient, body: Json, text: str, *, title: str = "golive") -> None:
    """A private reply to whoever acted (see bot.error_replies.private_reply)."""
    private_reply(client, body, text, title=title)


def guarded(func: Callable[..., None]) -> Callable[..., None]:
    """For lazy listeners (run after the ack, where Bolt's error handler never sees a failure):
    a store error goes back to the user as written, anything else as "nothing was saved"."""
    names = inspect.getfullargspec(func).args
    if "body" not in names or "client" not in names:
        raise TypeError(f"{func.__name__} must take body and client to report failures")

    @functools.wraps(func)
    def run(**kwargs: Any) -> None:
        try:
            func(**kwargs)
        except Exception as error:
            ref = new_ref()
            log_failure(error, kwargs["body"], ref=ref)
            tell(
                kwargs["client"],
                kwargs["body"],
                user_message(error, ref=ref),
                title=title_for(error),
            )

    return run


# ---------------------------------------------------------------------- modals and replies


def ack_only(ack: Ack) -> None:
    """The ack of a click whose work runs after it (a lazy listener)."""
    ack()


def action_value(body: Json) -> str:
    """The clicked button's value, or the chosen option's (an overflow menu, a select)."""
    action = (body.get("actions") or [{}])[0]
    chosen = action.get("selected_option") or {}
    return str(action.get("value") or chosen.get("value") or "")


def acting(deps: Deps, client: WebClient, body: Json) -> Person:
    """Whoever clicked or typed: the shared openers serve buttons and ``/golive`` alike, and a
    slash command's body names its user ``user_id``, not ``user.id``."""
    return acting_person(deps, client, actor_id_of(body))


def open_view(client: WebClient, body: Json, view: Json) -> None:
    """Open a modal, or stack it on the modal the click came from."""
    if (body.get("view") or {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def open_for_actor(
    deps: Deps, client: WebClient, body: Json, build: Callable[[Session, Person], Json]
) -> None:
    """Open the modal ``build`` makes for whoever acted (attached to the read's session, so
    ``build`` can ask the store whether they may), stacked where the click came from."""
    person = acting(deps, client, body)
    open_view(client, body, deps.read(lambda session: build(session, person_in(session, person))))


def done(ack: Ack, title: str, text: str) -> None:
    """Close the submission by showing what was recorded, in the same modal."""
    ack(response_action="update", view=notice_modal(title, text))


def submit_error(ack: Ack, errors: dict[str, str]) -> None:
    """Keep the modal open with each message beside its input."""
    ack(response_action="errors", errors=errors)


def accepted(ack: Ack, result: FormResult[T]) -> T | None:
    """A submission's typed values; None once its errors are sent back beside the inputs
    (the submission is answered, and the listener has nothing more to do)."""
    match result:
        case Invalid(errors):
            submit_error(ack, errors)
            return None
        case Parsed(value=value):
            return value


def save_or_show(deps: Deps, ack: Ack, view: Json, work: Callable[[Session], object]) -> None:
    """Save a submission and close its modal; a store refusal that names an input on this view
    goes beside that input instead (any other error is left to the app's error handler)."""
    try:
        deps.run(work)
    except ValidationError as error:
        beside = field_errors(error, view)
        if beside is None:
            raise
        submit_error(ack, beside)
        return
    ack()


def reply(client: WebClient, body: Json, text: str, blocks: list[Json] | None = None) -> None:
    """An answer only the clicker sees: ephemeral under a message, else a modal."""
    response_url = body.get("response_url")
    if response_url:
        WebhookClient(response_url).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )
        return
    view = notice_modal("Risk register", text)
    if blocks:
        view["blocks"] = fit_blocks(blocks, BLOCKS_PER_VIEW)
    open_view(client, body, view)


def modal_by_ref(
    app: App,
    deps: Deps,
    *,
    command: str,
    usage: str,
    summary: str,
    ask: str,
    button: str,
    build: Callable[[Person, str], Json],
) -> None:
    """``/golive COMMAND REF`` and the button whose value is REF open the same modal,
    ``build(person, ref)``; the command alone is answered with ``ask`` (what to type)."""

    def from_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            ctx.reply(ask)
            return
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=build(ctx.person, ctx.args[1]))

    deps.router.add(command, from_command, usage=usage, summary=summary)

    @guarded
    def from_button(body: Json, client: WebClient) -> None:
        open_view(client, body, build(acting(deps, client, body), action_value(body)))

    app.action(button)(ack=ack_only, lazy=[from_button])
