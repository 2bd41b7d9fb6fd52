"""Implementation checkpoints: ``/golive checkpoint "Wave 2 training complete"`` asks every
owner of open risk controls, once, by direct message, where each control stands;
``/golive checkpoint report`` shows who has updated and what changed, and who has not."""

from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.escape import safe
from bot.views import checkpoints as views
from commands.context import Deps, person_in
from commands.slash import SlashContext
from store.records import checkpoints, risks
from store.records.models import ident

Json = dict[str, Any]

USAGE = '/golive checkpoint "Wave 2 training complete" | /golive checkpoint report [number]'


def open_checkpoint(deps: Deps, ctx: SlashContext, name: str) -> None:
    def work(session: Session) -> tuple[int, int]:
        checkpoint = checkpoints.open_checkpoint(
            session, actor=person_in(session, ctx.person), name=name, now=deps.now()
        )
        return ident(checkpoint), len(checkpoints.owners_with_open_controls(session))

    number, owners = deps.run(work)
    ctx.reply(
        f":round_pushpin: Checkpoint {number} *{safe(name, 200)}* is open. "
        f"I have asked {owners} control owner{'s' if owners != 1 else ''} for an update; "
        f"see who has answered with `/golive checkpoint report {number}`."
    )


def report(deps: Deps, ctx: SlashContext, number: str | None) -> None:
    def build(session: Session) -> tuple[str, list[Json]]:
        risks.require_reader(session, actor=person_in(session, ctx.person))
        report = checkpoints.report_of(session, number)
        return views.checkpoint_report(
            report.checkpoint, report.progress, controls_by_id=report.controls_by_id
        )

    text, blocks = deps.read(build)
    ctx.reply(text, blocks)


def register(app: App, deps: Deps) -> None:
    def checkpoint_command(ctx: SlashContext) -> None:
        args = ctx.args[1:]
        if not args:
            ctx.reply(f"Name the checkpoint: `{USAGE}`")
        elif args[0].lower() == "report" and len(args) <= 2:
            report(deps, ctx, args[1] if len(args) == 2 else None)
        else:
            open_checkpoint(deps, ctx, " ".join(args))

    deps.router.add(
        "checkpoint",
        checkpoint_command,
        usage=USAGE,
        summary="ask every control owner for an update, and see who has answered",
    )
