"""The walls of docs/architecture.md, checked: an import that crosses one, a query outside the
store, or chat markup (or a message template) in the store or the schedules fails here,
naming the file and line."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("bot", "commands", "store", "schedules", "teams", "documents")
SLACK = ("slack_bolt", "slack_sdk")
FACE_BUILDERS = (
    "bot.views",
    "bot.forms",
    "bot.ids",
    "bot.escape",
    "bot.error_replies",
    "documents",
)

# layer -> (module prefixes it may import among ours, third-party packages it must not import)
WALLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "store": ((), SLACK),
    "store.infra": (("store.infra",), SLACK),
    # Alembic's environment reads the tables from the models' metadata
    "store.infra.migrations": (("store.infra", "store.records.models"), SLACK),
    "store.records": (("store.infra", "store.records"), SLACK),
    "store.reports": (("store.infra", "store.records", "store.reports"), SLACK),
    "schedules": (("store", "schedules"), SLACK),
    "commands": (("store", "commands", *FACE_BUILDERS), ()),
    # The Teams face shares the store and the schedules with Slack's, never Slack's face
    "teams": (("store", "schedules", "teams", "documents"), SLACK),
    # An inspector's files, for any face: the store's facts as XLSX, CSV, HTML and PDF
    "documents": (("store", "documents"), SLACK),
    "bot": (OURS, ()),
}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def layer_of(name: str) -> str:
    return max((layer for layer in WALLS if f"{name}.".startswith(f"{layer}.")), key=len)


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            # ``from store import records`` names a module too
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def crossings(path: Path) -> list[str]:
    name = module_name(path)
    allowed, banned = WALLS[layer_of(name)]
    wrong: dict[int, str] = {}
    for line, imported in imports(path):
        top = imported.split(".")[0]
        crosses = top in banned or (
            top in OURS
            and not any(
                f"{imported}.".startswith(f"{prefix}.") or f"{prefix}.".startswith(f"{imported}.")
                for prefix in allowed
            )
        )
        if crosses:
            wrong.setdefault(line, f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return list(wrong.values())


@pytest.mark.parametrize("package", OURS)
def test_no_import_crosses_a_wall_the_map_forbids(package: str) -> None:
    wrong = [line for path in modules(package) for line in crossings(path)]
    assert wrong == [], "imports that cross a wall of docs/architecture.md:\n" + "\n".join(wrong)


def test_the_wall_check_catches_a_store_module_importing_slack(tmp_path: Path) -> None:
    planted = ROOT / "store" / "records" / "_planted_for_the_wall_test.py"
    planted.write_text("from slack_sdk import WebClient\nfrom bot.views import common\n")
    try:
        assert len(crossings(planted)) == 2
    finally:
        planted.unlink()


def test_the_wall_check_catches_the_teams_face_importing_the_slack_face() -> None:
    planted = ROOT / "teams" / "_planted_for_the_wall_test.py"
    planted.write_text("from bot.views import common\nimport slack_sdk\nfrom store import db\n")
    try:
        assert len(crossings(planted)) == 2
    finally:
        planted.unlink()


def test_only_the_cli_wires_the_teams_face_into_the_slack_face() -> None:
    wiring = {
        str(path.relative_to(ROOT))
        for path in modules("bot")
        if any(name.split(".")[0] == "teams" for _, name in imports(path))
    }
    assert wiring <= {"bot/cli.py"}


SQL = re.compile(
    r"\b(session|connection)\.(exec|execute|scalar|scalars|get)\("
    r"|(?<![.\w])(select|update|delete|insert)\("
    r"|\btext\(\s*[\"'](SELECT|UPDATE|INSERT|DELETE)"
    r"|\bfunc\.[a-z]+\(",
)
CHAT_MARKUP = re.compile(
    r"(?<![\w/{}]):[a-z][a-z0-9_+-]*:(?=[\s*_`'\"]|$)"  # :emoji:
    r"|^(section|header|context|actions|divider|mrkdwn|plain_text)$"  # Block Kit types
    r"|(?<![\w/])/golive\b"  # instructions to type a Slack command
    r"|<@\{?|<!channel>|<!here>|<https?:"  # mentions and links
)
NOT_CHAT = {":memory:"}  # SQLite's name for a database in memory


def offending_lines(paths: list[Path], pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_sql_lives_in_the_store_only() -> None:
    outside = [p for package in ("bot", "commands", "schedules", "teams") for p in modules(package)]
    assert offending_lines(outside, SQL) == []


def strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal in the module but its docstrings (which may name a command)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found: list[tuple[int, str]] = []
    parts: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            # an f-string reads as its text with {} where each value goes
            parts |= {id(value) for value in node.values}
            text = "".join(
                str(value.value) if isinstance(value, ast.Constant) else "{}"
                for value in node.values
            )
            found.append((node.lineno, text))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings | parts
        ):
            found.append((node.lineno, node.value))
    return [(line, text) for line, text in found if text not in NOT_CHAT]


def chat_markup(paths: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: {value.strip()[:80]}"
        for path in paths
        for line, value in strings(path)
        if CHAT_MARKUP.search(value)
    ]


CORE = ("store", "schedules")
"""Below the chat face: the store's records and rules, and the jobs that decide what is owed
to whom. They speak in notices and facts; a face words them."""


@pytest.mark.parametrize("package", CORE)
def test_the_core_words_nothing_for_a_chat_platform(package: str) -> None:
    assert chat_markup(modules(package)) == []


@pytest.mark.parametrize("package", CORE)
def test_the_core_keeps_no_message_templates(package: str) -> None:
    """A post's words live in a face's templates (bot/templates/), never below it."""
    templates = sorted((ROOT / package).rglob("*.j2"))
    assert [str(path.relative_to(ROOT)) for path in templates] == []


@pytest.mark.parametrize("folder", ["store/records", "schedules"])
def test_the_markup_check_catches_an_emoji_a_block_and_a_command(folder: str) -> None:
    """Idempotency keys pass: their colons are not an emoji's."""
    planted = ROOT / folder / "_planted_for_the_markup_test.py"
    planted.write_text(
        '"""Docstrings may say /golive help."""\n'
        'A = f":memo: {1}"\nB = {"type": "section"}\nC = "type `/golive verify`"\nD = ":memory:"\n'
        'E = f"verification:{1}:ask:{2}"\nF = "escalation:board:R-003"\n'
    )
    try:
        assert sorted(line.split(":")[1] for line in chat_markup([planted])) == ["2", "3", "4"]
    finally:
        planted.unlink()


def test_the_sql_check_catches_a_query_in_a_listener() -> None:
    lines = ["rows = session.exec(select(Issue))", "filters.update(x)", "n = func.count()"]
    assert [bool(SQL.search(line)) for line in lines] == [True, False, True]
