"""One click from a repeated theme in the digest: raise it as a risk on that service, linked
to its issues, or log a training need for that service's staff. The store checks who may, and
refuses a theme already raised."""

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.escape import safe
from bot.ids import ThemeIds
from commands.context import Deps, acting_person, guarded, person_in, tell
from store.records import training

Json = dict[str, Any]


def _refs(body: Json) -> str:
    return str((body.get("actions") or [{}])[0].get("value") or "")


def register(app: App, deps: Deps) -> None:
    def ack_click(ack: Ack) -> None:
        ack()

    @guarded
    def raise_risk(body: Json, client: WebClient) -> None:
        person = acting_person(deps, client, body["user"]["id"])
        refs = _refs(body)

        def work(session: Session) -> str:
            risk = training.raise_theme_as_risk(
                session, actor=person_in(session, person), refs=refs, now=deps.now()
            )
            return (
                f":clipboard: Raised *{risk.ref}* {safe(risk.title, 200)}, linked to "
                f"{safe(refs.replace(',', ', '), 400)}. The quality lead scores it next."
            )

        tell(client, body, deps.run(work))

    @guarded
    def training_need(body: Json, client: WebClient) -> None:
        person = acting_person(deps, client, body["user"]["id"])
        refs = _refs(body)

        def work(session: Session) -> str:
            need = training.log_training_need(
                session, actor=person_in(session, person), refs=refs, now=deps.now()
            )
            return (
                f":mortar_board: Logged training need *{need.ref}*: "
                f"{need.topic.label.lower()} for {need.role.label.lower()}; it shows in the "
                "weekly board review until it is met."
            )

        tell(client, body, deps.run(work))

    app.action(ThemeIds.RAISE_RISK)(ack=ack_click, lazy=[raise_risk])
    app.action(ThemeIds.TRAINING_NEED)(ack=ack_click, lazy=[training_need])
