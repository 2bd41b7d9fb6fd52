"""The project phase: ``/golive phase go-live`` (the project lead) records who set it and when
and announces it in the board channel (the store owes that post); ``/golive phase`` alone
shows the current phase and its history."""

from slack_bolt import App
from sqlmodel import Session

from bot.views.common import when
from commands.context import Deps, person_in
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import people, phases
from store.records.enums import Phase

PHASE_WORDS = ", ".join(p.value.replace("_", "-") for p in Phase)


def set_phase(deps: Deps, ctx: SlashContext, words: list[str]) -> None:
    try:
        phase = Phase.parse(words[0])
    except ValueError as error:
        raise ValidationError(str(error)) from None
    note = " ".join(words[1:]) or None
    deps.run(
        lambda session: phases.set_phase(
            session, actor=person_in(session, ctx.person), phase=phase, note=note, now=deps.now()
        )
    )
    ctx.reply(f":rocket: The project is now in *{phase.label.lower()}*; the board channel is told.")


def show_phase(deps: Deps, ctx: SlashContext) -> None:
    def build(session: Session) -> str:
        history = phases.history(session)
        if not history:
            return (
                f"The project is in *{phases.DEFAULT_PHASE.label.lower()}* (not set yet). "
                f"Set it with `/golive phase PHASE`: {PHASE_WORDS}."
            )
        names = people.by_ids(session, ids={c.set_by_id for c in history})
        lines = [
            f"• {c.phase.label}, set by "
            + (f"<@{names[c.set_by_id].slack_user_id}>" if c.set_by_id in names else "golive")
            + f" {when(c.set_at)}"
            for c in history[-10:]
        ]
        return f"The project is in *{history[-1].phase.label.lower()}*.\n" + "\n".join(lines)

    ctx.reply(deps.read(build))


def register(app: App, deps: Deps) -> None:
    def phase_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 2:
            show_phase(deps, ctx)
        else:
            set_phase(deps, ctx, ctx.args[1:])

    deps.router.add(
        "phase",
        phase_command,
        usage="/golive phase [pre-go-live | go-live | stabilisation | post-implementation]",
        summary="see or set the project phase (the project lead)",
    )
