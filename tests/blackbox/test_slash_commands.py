"""Every subcommand ``/golive help`` lists, typed as a slash command by someone allowed and by
someone who isn't: an answer, never an error in the log.

The list comes from the bot's own help, as staff read it, so a subcommand added tomorrow is
swept without touching this file; each usage line is typed in each of its forms (bare, each
optional part, each alternative, everything at once), with the placeholders the help shows
(GL-0042, R-003, C-12, FA-3, @person, SERVICE...) swapped for records made in Slack first.
One ``golive serve`` per backend answers the whole sweep.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.blackbox.harness import ADMIN
from tests.blackbox.staffed import (
    BOARD_MEMBER,
    LONDON,
    MANAGER,
    NEWCOMER,
    PROJECT_LEAD,
    QUALITY_LEAD,
    SERVICE_KEY,
    STAFF,
    TEAM_LEADER,
    Answer,
    World,
    served_world,
)
from tests.conftest import BACKENDS

MIN_SUBCOMMANDS = 25
"""golive has 29 subcommands besides ``/golive`` alone; far fewer parsed means the help (or
its parsing) broke, and a sweep over them would prove little."""

ALLOWED: dict[str, str] = {
    "": STAFF,
    "report": STAFF,
    "help": STAFF,
    "mine": STAFF,
    "quiet": STAFF,
    "status": TEAM_LEADER,
    "list": TEAM_LEADER,
    "issue": TEAM_LEADER,
    "risk": MANAGER,
    "risks": MANAGER,
    "verdict": MANAGER,
    "verify": MANAGER,
    "export": MANAGER,
    "handover": MANAGER,
    "score": QUALITY_LEAD,
    "control": QUALITY_LEAD,
    "controls": QUALITY_LEAD,
    "review": QUALITY_LEAD,
    "audits": QUALITY_LEAD,
    "audit": QUALITY_LEAD,
    "checkpoint": PROJECT_LEAD,
    "phase": PROJECT_LEAD,
    "wave": PROJECT_LEAD,
    "waves": PROJECT_LEAD,
    "transfer": PROJECT_LEAD,
    "close-project": PROJECT_LEAD,
    "decision": BOARD_MEMBER,
    "leadership-action": BOARD_MEMBER,
    "role": ADMIN,
    "roles": ADMIN,
}
"""Who may use each subcommand (store/records/permissions.py's table, read as a provider would); a
subcommand not named here is typed by the admin, whom every rule allows."""

REFUSED = "You can't"


# ---------------------------------------------------------------------- the help, read


@dataclass(frozen=True)
class Refs:
    """Real records to type where the help shows an example reference."""

    issue: str
    risk: str
    control: str
    audit: str
    checkpoint: str
    day: str


def usages(help_text: str) -> list[str]:
    """Every ```/golive ...``` the help shows, in its order: the usage lines and the ones
    mentioned in a summary (``or `/golive control add R-003```)."""
    return list(dict.fromkeys(re.findall(r"`(/golive(?: [^`]*)?)`", help_text)))


def split_alternatives(usage: str) -> list[str]:
    """``A | B`` at the top level (outside ``[...]``); a part not starting with /golive
    replaces the first part's last word (``control C-12 complete | delayed ...``)."""
    parts, depth, current = [], 0, ""
    index = 0
    while index < len(usage):
        char = usage[index]
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0 and usage.startswith(" | ", index):
            parts.append(current)
            current, index = "", index + 3
            continue
        current += char
        index += 1
    parts.append(current)
    first = parts[0]
    stem = " ".join(words(first)[:-1])
    return [part if part.startswith("/golive") else f"{stem} {part}" for part in parts]


def words(text: str) -> list[str]:
    """Words, keeping a quoted phrase or a bracketed group whole."""
    return re.findall(r'\[[^\]]*\]|"[^"]*"|\S+', text)


def forms_of(usage: str) -> list[list[str]]:
    """The ways to type one usage (without ``/golive``): everything optional left out; each
    alternative and each optional part on its own; every optional part at once."""
    items: list[tuple[bool, list[str]]] = []
    for word in words(usage.removeprefix("/golive").strip()):
        if word.startswith("["):
            items.append((True, [alt.strip() for alt in word[1:-1].split(" | ")]))
        elif "|" in word and not word.startswith('"'):
            items.append((False, word.split("|")))
        else:
            items.append((False, [word]))

    def typed(chosen: dict[int, str | None]) -> list[str]:
        out: list[str] = []
        for index, (optional, alternatives) in enumerate(items):
            pick = chosen.get(index, None if optional else alternatives[0])
            if pick is not None:
                out.extend(words(pick))
        return out

    found = [typed({})]
    for index, (_, alternatives) in enumerate(items):
        found += [typed({index: alt}) for alt in alternatives]
    found.append(typed({i: alts[0] for i, (optional, alts) in enumerate(items) if optional}))
    return found


def substitute(word: str, refs: Refs) -> str:
    """An example in the help swapped for a real record, as staff would type it."""
    whole = {
        "SERVICE": SERVICE_KEY,
        "service": SERVICE_KEY,
        "ROLE": "team-leader",
        "number": refs.checkpoint,
    }
    if word in whole:
        return whole[word]
    word = re.sub(r"GL-\d+", refs.issue, word)
    word = re.sub(r"\bR-\d+", refs.risk, word)
    word = re.sub(r"\bC-\d+", refs.control, word)
    word = re.sub(r"\bFA-\d+", refs.audit, word)
    word = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", refs.day, word)
    word = re.sub(r"\boakwood(-house)?\b", SERVICE_KEY, word)
    return word.replace("@person", f"<@{NEWCOMER}|newbie>")


def typed_lines(help_text: str, refs: Refs) -> list[str]:
    """Every line to type, in the help's order, each once."""
    lines: list[str] = []
    for usage in usages(help_text):
        for alternative in split_alternatives(usage):
            for form in forms_of(alternative):
                lines.append(" ".join(substitute(word, refs) for word in form))
    return list(dict.fromkeys(lines))


def subcommand(line: str) -> str:
    """The subcommand a typed line runs ("" for /golive alone)."""
    return line.split(" ", 1)[0].lower() if line else ""


# ---------------------------------------------------------------------- the sweep


@dataclass
class Typed:
    """One line typed by one person, and what came of it."""

    line: str
    user: str
    answer: Answer
    errors: list[str]

    @property
    def allowed(self) -> bool:
        """Whether the person who typed this may do it (staff may use some subcommands)."""
        return self.user != STAFF or ALLOWED.get(subcommand(self.line), ADMIN) == STAFF

    def problem(self) -> str | None:
        """Why this is not the answer staff should get; None when it is."""
        if not self.answer.answered:
            return "no answer"
        if self.answer.failed:
            return "golive said it failed"
        if any("not_opened" in modal for modal in self.answer.modals):
            return "Slack refused the modal"
        if self.errors:
            return "an error in the log"
        if self.allowed and REFUSED in self.answer.text:
            return "the person allowed was refused"
        return None

    def describe(self) -> str:
        """The line, who typed it, what went wrong and what they saw, in one line."""
        shown = self.answer.text.replace("\n", " ")[:300]
        errors = " | ".join(self.errors)[:600]
        return f"/golive {self.line} by {self.user}: {self.problem()}: {shown} {errors}"


@dataclass
class Sweep:
    """The whole sweep on one backend: what help listed, what was typed and what came back,
    and where the log stops being about lines that are expected to work."""

    world: World
    help_text: str
    lines: list[str]
    typed: list[Typed] = field(default_factory=list)
    seconds: float = 0.0

    def problems(self, *, allowed: bool | None = None) -> list[str]:
        """Each typed line (by the allowed or by staff) that did not get the answer it
        should, described for the failure message."""
        return [
            each.describe()
            for each in self.typed
            if (allowed is None or each.allowed == allowed) and each.problem() is not None
        ]


def seed(world: World) -> Refs:
    """Records for the commands to act on, made through Slack the way staff make them."""
    issue = world.report_issue()
    risk = world.add_risk(
        "Night staff locked out of eMAR after the password change",
        ["Paper MAR on every floor until logins work", "A super-user on every night shift"],
    )
    controls = world.control_refs(risk)
    assert controls, f"{risk} shows no controls"
    world.start_review()
    audits = world.schedule_audits()
    assert audits, "no follow-up audit was scheduled"
    opened = world.command('checkpoint "Wave 1 training complete"', PROJECT_LEAD)
    number = re.search(r"Checkpoint (\d+)", opened.text)
    assert number is not None, opened.text
    day = (dt.datetime.now(LONDON).date() + dt.timedelta(days=14)).isoformat()
    return Refs(issue, risk, controls[0], audits[0], number.group(1), day)


def type_line(world: World, line: str, user: str) -> Typed:
    """``user`` types ``/golive LINE``; what they saw and what golive logged meanwhile."""
    start = world.log_size()
    answer = world.command(line, user)
    return Typed(line, user, answer, world.errors_since(start))


@pytest.fixture(scope="module", params=BACKENDS)
def sweep(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sweep]:
    """One provider per backend, every line in ``/golive help`` typed by the person allowed
    and by plain staff."""
    folder: Path = tmp_path_factory.mktemp(f"slash-{request.param}")
    with served_world(str(request.param), folder) as world:
        refs = seed(world)
        world.settle()
        started = time.monotonic()
        shown = world.command("help", STAFF)
        help_text = _reply_text(shown)
        result = Sweep(world, help_text, typed_lines(help_text, refs))
        for line in result.lines:
            allowed = ALLOWED.get(subcommand(line), ADMIN)
            for user in dict.fromkeys([allowed, STAFF]):
                result.typed.append(type_line(world, line, user))
        world.settle()
        result.seconds = time.monotonic() - started
        yield result


def _reply_text(answer: Answer) -> str:
    """The words of the private replies, as staff read them (the help's text, say)."""
    return "\n".join(str(reply.get("text") or "") for reply in answer.replies)


# ---------------------------------------------------------------------- the stories


def test_help_lists_every_subcommand_staff_can_type(sweep: Sweep) -> None:
    listed = {
        subcommand(usage.removeprefix("/golive").strip()) for usage in usages(sweep.help_text)
    }
    assert len(listed - {""}) >= MIN_SUBCOMMANDS, f"help lists only {sorted(listed)}"
    assert "" in listed, "help does not say /golive alone reports a problem"
    typed = {subcommand(each.line) for each in sweep.typed}
    assert listed <= typed, f"listed but never typed: {sorted(listed - typed)}"
    assert len(sweep.typed) >= 2 * MIN_SUBCOMMANDS


def test_everyone_allowed_gets_an_answer_to_every_command_help_lists(sweep: Sweep) -> None:
    problems = sweep.problems(allowed=True)
    assert not problems, "\n".join(problems)


def test_plain_staff_get_an_answer_to_every_command_help_lists(sweep: Sweep) -> None:
    problems = sweep.problems(allowed=False)
    assert not problems, "\n".join(problems)


def test_staff_are_refused_what_their_role_does_not_allow(sweep: Sweep) -> None:
    """Refusals are answers too, but a sweep where nobody was ever refused would mean the
    "someone who isn't allowed" half typed nothing that needed a role."""
    refused = [
        each.line for each in sweep.typed if each.user == STAFF and REFUSED in each.answer.text
    ]
    assert len(refused) >= 10, refused


def test_the_log_shows_no_error_after_the_whole_sweep(sweep: Sweep) -> None:
    errors = sweep.world.errors_since(0)
    assert not errors, "\n".join(errors[:20])


def test_the_sweep_takes_well_under_a_minute(sweep: Sweep) -> None:
    """One server answers every line; if the sweep grows slow, someone will stop running it."""
    assert sweep.seconds < 50, f"the sweep took {sweep.seconds:.0f} s"


def test_a_quality_lead_adds_a_control_by_command(sweep: Sweep) -> None:
    cases = [each for each in sweep.typed if re.search(r"^control add\b", each.line)]
    assert cases, "help no longer mentions /golive control add"
    problems = [each.describe() for each in cases if each.problem() is not None]
    assert not problems, "\n".join(problems)
    assert any(each.answer.modals for each in cases if each.allowed)
