"""The ``/golive`` command: one listener that acks at once, then routes the subcommand.

Feature modules add subcommands with ``deps.router.add(name, handler, usage=..., summary=...)``;
``/golive`` alone runs the default handler (the report modal) and anything unknown gets the
help, listing every registered subcommand.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.error_replies import private_reply
from bot.escape import safe
from bot.ids import Slash
from commands.context import Deps, acting_person, guarded, tell
from store.records.models import Person

Json = dict[str, Any]


@dataclass
class SlashContext:
    """One ``/golive`` invocation, parsed, with the acting person and a private reply."""

    args: list[str]
    text: str
    user_id: str
    channel_id: str
    trigger_id: str
    person: Person
    client: WebClient
    body: Json
    deps: Deps

    def reply(self, text: str, blocks: list[Json] | None = None) -> None:
        """An ephemeral answer only the caller sees (a direct message if that fails)."""
        private_reply(self.client, self.body, text, blocks=blocks)


Handler = Callable[[SlashContext], None]


@dataclass
class Subcommand:
    name: str
    handler: Handler
    usage: str
    summary: str


@dataclass
class SlashRouter:
    """The table of ``/golive`` subcommands, filled in by each feature's ``register``."""

    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    default: Handler | None = None

    def add(self, name: str, handler: Handler, *, usage: str, summary: str) -> None:
        key = name.strip().lower()
        if key in self.subcommands:
            raise ValueError(f"/golive {key} is registered twice")
        self.subcommands[key] = Subcommand(key, handler, usage, summary)

    def set_default(self, handler: Handler) -> None:
        """What ``/golive`` with no text does."""
        self.default = handler

    def help_text(self, *, preface: str = "") -> str:
        lines = [preface] if preface else []
        lines.append("*What you can do with /golive*")
        if self.default is not None:
            lines.append("• `/golive` report a go-live problem (opens a short form)")
        for sub in sorted(self.subcommands.values(), key=lambda s: s.name):
            lines.append(f"• `{sub.usage}` {sub.summary}")
        return "\n".join(lines)

    def dispatch(self, ctx: SlashContext) -> None:
        if not ctx.args:
            if self.default is not None:
                self.default(ctx)
                return
            ctx.reply(self.help_text())
            return
        sub = self.subcommands.get(ctx.args[0].lower())
        if sub is None:
            shown = safe(ctx.args[0], 60)
            ctx.reply(self.help_text(preface=f"I don't know `/golive {shown}`."))
            return
        sub.handler(ctx)


def register(app: App, deps: Deps) -> None:
    def ack_command(ack: Ack) -> None:
        ack()

    @guarded
    def run_command(body: Json, client: WebClient) -> None:
        text = body.get("text") or ""
        try:
            args = shlex.split(text)
        except ValueError:
            tell(client, body, "Check the quotes in your command: one is not closed.")
            return
        person = acting_person(deps, client, body["user_id"])
        ctx = SlashContext(
            args=args,
            text=text,
            user_id=body["user_id"],
            channel_id=body.get("channel_id", ""),
            trigger_id=body.get("trigger_id", ""),
            person=person,
            client=client,
            body=body,
            deps=deps,
        )
        deps.router.dispatch(ctx)

    app.command(Slash.COMMAND)(ack=ack_command, lazy=[run_command])
