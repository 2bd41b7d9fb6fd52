"""The manifest creates the app golive serves: every slash command and shortcut in it has a
listener, every listener is in it, and it asks for the features the bot uses."""

import inspect
from pathlib import Path
from typing import Any

import yaml
from slack_bolt import App

from bot.ids import Report, Slash
from tests.slackapp import SlackApp

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text())


def manifest_commands() -> set[str]:
    return {c["command"] for c in manifest()["features"]["slash_commands"]}


def manifest_shortcuts() -> set[str]:
    return {s["callback_id"] for s in manifest()["features"]["shortcuts"]}


def listened(app: App) -> tuple[set[str], set[str]]:
    """The commands and shortcut callback ids the app's listeners match (read from Bolt's
    matchers, which close over the id they were registered with)."""
    commands: set[str] = set()
    shortcuts: set[str] = set()
    for listener in app._listeners:
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            if func is None:
                continue
            kind = func.__qualname__.split(".")[0]
            names = inspect.getclosurevars(func).nonlocals
            if kind == "command":
                commands.add(str(names["command"]))
            elif kind in ("shortcut", "message_shortcut", "global_shortcut"):
                shortcuts.add(str(names["callback_id"]))
    return commands, shortcuts


def served_app(slack: SlackApp) -> App:
    from bot.app import create_app

    return create_app(slack.settings, engine=slack.engine, clock=slack.clock)


def test_every_manifest_command_and_shortcut_has_a_listener_and_the_reverse(
    slack: SlackApp,
) -> None:
    commands, shortcuts = listened(served_app(slack))
    assert commands == manifest_commands()
    assert shortcuts == manifest_shortcuts()
    assert Slash.COMMAND in commands
    assert Report.SHORTCUT in shortcuts


def test_manifest_commands_and_shortcuts_are_answered_over_http(slack: SlackApp) -> None:
    user = slack.world.staff.slack_user_id
    for command in manifest_commands():
        assert slack.command("help", user=user, command=command).status == 200
    for callback_id in manifest_shortcuts():
        assert slack.shortcut(callback_id, "Login fails", user=user).status == 200
    assert slack.command("help", user=user, command="/not-golive").status == 404


def test_manifest_turns_on_what_the_bot_uses() -> None:
    data = manifest()
    settings = data["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    [shortcut] = [s for s in data["features"]["shortcuts"] if s["callback_id"] == Report.SHORTCUT]
    assert shortcut["type"] == "message"
    assert shortcut["name"] == "Report go-live issue"
    scopes = set(data["oauth_config"]["scopes"]["bot"])
    assert scopes >= {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "channels:history",
        "groups:history",
        "im:history",
    }
