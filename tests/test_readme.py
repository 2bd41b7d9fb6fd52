"""The README is a promise: every setting golive reads is documented there."""

from pathlib import Path

from bot.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table():
    aliases = [field.validation_alias for field in Settings.model_fields.values()]
    missing = [alias for alias in aliases if f"| `{alias}`" not in README]
    assert missing == []


def test_readme_gives_the_two_commands_ci_runs():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/golive demo"
        in README
    )
    assert ".venv/bin/pip install" in ci and "-e '.[dev]'" in ci
    assert "\n.venv/bin/pytest\n" in README and "\n.venv/bin/pytest" in ci
