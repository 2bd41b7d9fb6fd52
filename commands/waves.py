"""Rollout waves in Slack: ``/golive wave SERVICE status=live wave=3 date=2026-12-01`` (the
project lead) and ``/golive waves``, every service side by side (also in ``/golive status``)."""

from slack_bolt import App
from sqlmodel import Session

from bot.escape import safe
from bot.views.care import comparison_lines
from commands.context import Deps, person_in
from commands.slash import SlashContext
from store.infra.errors import ValidationError
from store.records import people, waves

USAGE = "/golive wave SERVICE status=live wave=3 date=2026-12-01"
STATUSES = waves.STATUS_WORDS


def side_by_side(deps: Deps, session: Session) -> list[str]:
    now = deps.now()
    rows = waves.compare_services(
        session,
        now=now,
        today=now.astimezone(deps.settings.zone).date(),
        theme_days=deps.settings.theme_window_days,
    )
    return comparison_lines(rows)


def parse_changes(words: list[str]) -> waves.WaveChanges:
    """The store reads the words; a word it refuses is worded here, with Slack's command."""
    try:
        return waves.parse_changes(words)
    except waves.BadWaveWord as bad:
        raise ValidationError(_slack_words(bad), field=bad.field) from None


def _slack_words(bad: waves.BadWaveWord) -> str:
    if bad.problem == "shape":
        return f"Write each change as name=value, like `{USAGE}`"
    if bad.problem == "status":
        return f"'{safe(bad.word, 40)}' is not a wave status; use one of: {STATUSES}"
    if bad.problem == "date":
        return f"'{safe(bad.word, 40)}' is not a date like 2026-12-01"
    if bad.problem == "name":
        return f"'{safe(bad.word, 40)}' is not something a wave has: status, wave or date"
    return str(bad)


def set_wave(deps: Deps, ctx: SlashContext, service_text: str, words: list[str]) -> None:
    changes = parse_changes(words)

    def work(session: Session) -> str:
        service = people.get_service(session, service_text)
        row = waves.set_wave(
            session,
            actor=person_in(session, ctx.person),
            service=service,
            now=deps.now(),
            status=changes.status,
            wave=changes.wave,
            golive_date=changes.golive_date,
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
