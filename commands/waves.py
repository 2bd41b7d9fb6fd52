"""Rollout waves in Slack: ``/golive wave SERVICE status=live wave=3 date=2026-12-01`` (the
project lead) and ``/golive waves``, every service side by side (also in ``/golive status``)."""

from datetime import date

from slack_bolt import App
from sqlmodel import Session

from bot.escape import safe
from bot.views.care import comparison_lines
from commands.context import Deps, person_in
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import people, waves

USAGE = "/golive wave SERVICE status=live wave=3 date=2026-12-01"
STATUSES = ", ".join(s.value.replace("_", "-") for s in waves.WaveStatus)


def side_by_side(deps: Deps, session: Session) -> list[str]:
    now = deps.now()
    rows = waves.compare_services(
        session,
        now=now,
        today=now.astimezone(deps.settings.zone).date(),
        theme_days=deps.settings.theme_window_days,
    )
    return comparison_lines(rows)


def parse_changes(words: list[str]) -> dict[str, object]:
    changes: dict[str, object] = {}
    for word in words:
        name, sep, value = word.partition("=")
        name = name.strip().lower()
        if not sep or not value.strip():
            raise ValidationError(f"Write each change as name=value, like `{USAGE}`")
        if name == "status":
            try:
                changes["status"] = waves.WaveStatus.parse(value)
            except ValueError:
                raise ValidationError(
                    f"'{safe(value, 40)}' is not a wave status; use one of: {STATUSES}"
                ) from None
        elif name == "wave":
            if not value.strip().isdigit():
                raise ValidationError("A wave is a number, like wave=3", field="wave")
            changes["wave"] = int(value)
        elif name == "date":
            try:
                changes["golive_date"] = date.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(
                    f"'{safe(value, 40)}' is not a date like 2026-12-01", field="date"
                ) from None
        else:
            raise ValidationError(
                f"'{safe(name, 40)}' is not something a wave has: status, wave or date"
            )
    return changes


def set_wave(deps: Deps, ctx: SlashContext, service_text: str, words: list[str]) -> None:
    changes = parse_changes(words)

    def work(session: Session) -> str:
        service = people.get_service(session, service_text)
        row = waves.set_wave(
            session,
            actor=person_in(session, ctx.person),
            service=service,
            now=deps.now(),
            **changes,  # type: ignore[arg-type]
        )
        wave = f"wave {row.wave}, " if row.wave else ""
        when = service.golive_date.isoformat() if service.golive_date else "no go-live date"
        status = waves.WaveStatus(row.status).label.lower()
        return f":world_map: *{safe(service.name, 120)}*: {wave}{status}, {when}."

    ctx.reply(deps.run(work))


def register(app: App, deps: Deps) -> None:
    def wave_command(ctx: SlashContext) -> None:
        if len(ctx.args) < 3:
            ctx.reply(
                f"Set a service's rollout with `{USAGE}` (statuses: {STATUSES}). "
                "See every service with `/golive waves`."
            )
            return
        set_wave(deps, ctx, ctx.args[1], ctx.args[2:])

    def waves_command(ctx: SlashContext) -> None:
        lines = deps.read(lambda session: side_by_side(deps, session))
        ctx.reply("*Services side by side*\n" + ("\n".join(lines) or "No services yet."))

    deps.router.add(
        "wave", wave_command, usage=USAGE, summary="set a service's rollout wave (the project lead)"
    )
    deps.router.add(
        "waves",
        waves_command,
        usage="/golive waves",
        summary="compare services side by side: issues per day since go-live, urgent, themes",
    )
