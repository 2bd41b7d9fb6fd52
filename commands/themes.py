"""One click from a repeated theme in the digest: raise it as a risk on that service, linked
to its issues, or log a training need for that service's staff. The store checks who may, and
refuses a theme already raised."""

from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.escape import safe
from bot.ids import ThemeIds
from commands.context import Deps, ack_only, acting, action_value, guarded, person_in, tell
from store.records import training
from store.records.models import Risk, TrainingNeed

Json = dict[str, Any]
R = TypeVar("R", Risk, TrainingNeed)


def raised_words(risk: Risk, refs: str) -> str:
    return (
        f":clipboard: Raised *{risk.ref}* {safe(risk.title, 200)}, linked to "
        f"{safe(refs.replace(',', ', '), 400)}. The quality lead scores it next."
    )


def logged_words(need: TrainingNeed, refs: str) -> str:
    return (
        f":mortar_board: Logged training need *{need.ref}*: "
        f"{need.topic.label.lower()} for {need.role.label.lower()}; it shows in the "
        "weekly board review until it is met."
    )


def register(app: App, deps: Deps) -> None:
    def on_theme(record: Callable[..., R], words: Callable[[R, str], str]) -> Callable[..., None]:
        """A theme button: the store ``record``s what the theme's issue refs (the button's
        value) show, in the clicker's name, and the clicker is told ``words``."""

        @guarded
        def clicked(body: Json, client: WebClient) -> None:
            person = acting(deps, client, body)
            refs = action_value(body)

            def work(session: Session) -> str:
                made = record(session, actor=person_in(session, person), refs=refs, now=deps.now())
                return words(made, refs)

            tell(client, body, deps.run(work))

        return clicked

    app.action(ThemeIds.RAISE_RISK)(
        ack=ack_only, lazy=[on_theme(training.raise_theme_as_risk, raised_words)]
    )
    app.action(ThemeIds.TRAINING_NEED)(
        ack=ack_only, lazy=[on_theme(training.log_training_need, logged_words)]
    )
