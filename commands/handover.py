"""``/golive handover SERVICE 07:00,19:00``: a service's own shift-change times for its
handover summary (its registered manager, the project lead or an admin); ``/golive handover``
alone lists each service's times and channel."""

from slack_bolt import App
from sqlmodel import Session

from bot.escape import safe
from commands.context import Deps, person_in
from commands.slash import SlashContext
from store.records import care, people

USAGE = "/golive handover [SERVICE 07:30,19:30]"


def show(deps: Deps, ctx: SlashContext) -> None:
    def build(session: Session) -> str:
        lines = ["*Handover summaries at shift change*"]
        for service in people.list_services(session)[:40]:
            times = care.handover_times(
                session, service=service, default=deps.settings.handover_times
            )
            shown = ", ".join(t.strftime("%H:%M") for t in times)
            where = f"<#{service.channel_id}>" if service.channel_id else "no channel set"
            lines.append(f"• {safe(service.name, 120)}: {shown} · {where}")
        lines.append(f"Change a service's times with `{USAGE}`.")
        return "\n".join(lines)

    ctx.reply(deps.read(build))


def set_times(deps: Deps, ctx: SlashContext, service_text: str, times: str) -> None:
    def work(session: Session) -> str:
        service = people.get_service(session, service_text)
        row = care.set_handover_times(
            session,
            actor=person_in(session, ctx.person),
            service=service,
            text=times,
            now=deps.now(),
        )
        return (
            f":clipboard: {safe(service.name, 120)} gets its handover summary at "
            f"*{row.times.replace(',', ', ')}* ({deps.settings.timezone} time)."
        )

    ctx.reply(deps.run(work))


def register(app: App, deps: Deps) -> None:
    def handover_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 3:
            show(deps, ctx)
        else:
            set_times(deps, ctx, ctx.args[1], " ".join(ctx.args[2:]))

    deps.router.add(
        "handover",
        handover_command,
        usage=USAGE,
        summary="see or set when each service gets its shift handover summary",
    )
