"""A provider with a person in every role, served by one real ``golive serve``, and what staff
do in Slack on top of it: type a command and wait for its answer, press a button, fill the
modal the bot opened by its labels and send it.

The sweeps share one server per backend (starting one costs seconds), so everything here finds
its own answer among everything else the fake has seen: each command and click carries a
``response_url`` and a trigger id of its own, and the answer is whatever arrives on either.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.blackbox.conftest import drop_schema, empty_postgresql_schema
from tests.blackbox.forms import fill
from tests.blackbox.harness import ADMIN, TRIAGE, Provider, Served, wait_until
from tests.fakeslack import RESPONSE_URL_METHOD, Call, FakeSlack
from tests.slack_requests import CHANNEL_ID, Response, app_home_opened, new_trigger_id

Json = dict[str, Any]

LONDON = ZoneInfo("Europe/London")
STAFF = "U0STAFF"
TEAM_LEADER = "U0TEAMLEAD"
MANAGER = "U0MANAGER"
QUALITY_LEAD = "U0QUALITY"
PROJECT_LEAD = "U0PROJLEAD"
BOARD_MEMBER = "U0BOARDMEM"
NEWCOMER = "U0NEWBIE"
"""Someone nobody added: golive first meets them when they are picked (given a role, or a
control) in Slack."""

SERVICE_KEY = "oakwood"
SERVICE_NAME = "Oakwood House"

ROLES: dict[str, tuple[str, str, bool]] = {
    "team-leader": (TEAM_LEADER, "Tom Leader", True),
    "registered-manager": (MANAGER, "Rita Okafor", True),
    "quality-lead": (QUALITY_LEAD, "Qadira Lee", False),
    "project-lead": (PROJECT_LEAD, "Priya Lead", False),
    "board-member": (BOARD_MEMBER, "Bola Member", False),
}
"""Every role but admin, its holder, and whether it is granted for the one service (a
registered manager always is): the manager from the shell, the rest by the admin in Slack. The
admin comes from GOLIVE_ADMINS, as the README says."""

ANSWER_WITHIN_S = 15.0
GENERIC_FAILURES = ("Something went wrong", "Slack did not accept")
"""What golive says when it failed rather than answered (bot/error_replies.py)."""


def errors_in(log: str) -> list[str]:
    """The lines of a golive log that report an error or carry a traceback."""
    return [
        line
        for line in log.splitlines()
        if '"level": "error"' in line
        or '"level": "critical"' in line
        or "Traceback" in line
        or "[ERROR]" in line
    ]


def set_up(provider: Provider) -> None:
    """What the README's set-up section has a provider type in a shell: the schema, a service
    that went live today and its registered manager. Staff are never added: golive meets them
    on their first command."""
    provider.run("init").ok()
    today = dt.datetime.now(LONDON).date().isoformat()
    provider.run("service", "add", SERVICE_NAME, "--key", SERVICE_KEY, "--go-live", today).ok()
    provider.run(
        "person", "add", MANAGER, ROLES["registered-manager"][1], "--service", SERVICE_KEY
    ).ok()
    provider.run("role", "grant", MANAGER, "registered-manager", "--service", SERVICE_KEY).ok()
    for user, name, _ in ROLES.values():
        provider.fake.users[user] = {"real_name": name}


@dataclass
class Answer:
    """What came back to one command or click: the ack, and the first thing the person saw
    after it (a private reply, a modal, or nothing within the wait)."""

    ack: Response
    replies: list[Json] = field(default_factory=list)
    modals: list[Json] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Everything the person could read: the ack's text, each reply's text and blocks, and
        each modal opened."""
        parts = []
        if self.ack.body and self.ack.body.strip().startswith("{"):
            parts.append(str(self.ack.json().get("text") or ""))
        parts += [
            str(reply.get("text") or "") + json.dumps(reply.get("blocks") or [])
            for reply in self.replies
        ]
        parts += [json.dumps(view) for view in self.modals]
        return "\n".join(parts)

    @property
    def answered(self) -> bool:
        ack_text = self.ack.body.strip().startswith("{") and bool(self.ack.json().get("text"))
        return bool(self.replies or self.modals or ack_text)

    @property
    def failed(self) -> bool:
        """golive said it failed, instead of answering."""
        return any(words in self.text for words in GENERIC_FAILURES)

    @property
    def view(self) -> Json:
        """The modal this opened, as Slack holds it now (its id and hash with it)."""
        assert self.modals, f"no modal opened; the answer was {self.text[:500]}"
        return self.modals[-1]


_sequence = itertools.count(1)


class World:
    """One provider served by ``golive serve``, driven as its staff drive it."""

    def __init__(self, provider: Provider, served: Served) -> None:
        self.provider = provider
        self.served = served
        self.fake: FakeSlack = provider.fake
        self.slack = provider.driver(served)
        self.submitted: list[str] = []
        """The callback id of every modal sent through ``submit``, in order."""

    # ------------------------------------------------------------------ the log

    def log_size(self) -> int:
        """Where the log ends now: a mark to read the errors of what happens next from."""
        return self.served.log.stat().st_size

    def errors_since(self, offset: int = 0) -> list[str]:
        """The error lines golive logged since a mark."""
        with self.served.log.open("rb") as log:
            log.seek(offset)
            read = log.read()
        return errors_in(read.decode(errors="replace"))

    def settle(self, quiet_for: float = 1.0, within: float = 15.0) -> None:
        """Wait until golive has written nothing for ``quiet_for`` seconds: the work each
        answer set going after it (files, posts, Home tabs) is over."""
        deadline = time.monotonic() + within
        size, since = self.log_size(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now_size = self.log_size()
            if now_size != size:
                size, since = now_size, time.monotonic()
            elif time.monotonic() - since >= quiet_for:
                return

    # ------------------------------------------------------------------ answers

    def _tokens(self) -> tuple[str, str, str]:
        """A token, a trigger id and a response_url of one's own, to know one's answer by."""
        token = f"{next(_sequence)}x{uuid.uuid4().hex[:16]}"
        trigger = new_trigger_id()
        return token, trigger, f"{self.fake.hooks_url}commands/T0001/{token}"

    def _answer(self, ack: Response, token: str, trigger: str, within: float, wait: bool) -> Answer:
        def mine() -> tuple[list[Call], list[Call]]:
            replies = [
                c
                for c in self.fake.calls(RESPONSE_URL_METHOD)
                if token in str(c.args.get("url_path"))
            ]
            opened = [
                c
                for c in self.fake.calls()
                if c.method in ("views.open", "views.push") and c.args.get("trigger_id") == trigger
            ]
            return replies, opened

        answer = Answer(ack)
        if wait:
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                if any(mine()) or answer.answered:
                    break
                time.sleep(0.05)
        replies, opened = mine()
        answer.replies = [c.args for c in replies]
        answer.modals = [
            self.fake.view(c.answered["view"]["id"]) if c.accepted else {"not_opened": c.response}
            for c in opened
        ]
        return answer

    def command(self, text: str, user: str, *, within: float = ANSWER_WITHIN_S) -> Answer:
        """``/golive TEXT`` typed by ``user``, and what came back to them."""
        token, trigger, hook = self._tokens()
        ack = self.slack.command(text, user_id=user, trigger_id=trigger, response_url=hook)
        assert ack.status == 200, f"/golive {text} by {user}: HTTP {ack.status} {ack.body}"
        return self._answer(ack, token, trigger, within, wait=True)

    def click(
        self,
        action_id: str,
        value: str | None,
        user: str,
        *,
        message: Json | None = None,
        channel: str = CHANNEL_ID,
        view: Json | None = None,
        action: Json | None = None,
        state: Json | None = None,
        wait: bool = True,
        within: float = ANSWER_WITHIN_S,
    ) -> Answer:
        """``user`` presses a button (or changes an element) on ``message`` in ``channel``, or
        in ``view`` (a modal, with what is typed in it so far, or the Home tab)."""
        token, trigger, hook = self._tokens()
        kwargs: Json = {"user_id": user, "trigger_id": trigger, "action": action}
        if view is not None:
            kwargs.update(view=view, state_values=state)
        else:
            kwargs.update(message=message, channel_id=channel, response_url=hook)
        ack = self.slack.action(action_id, value, **kwargs)
        assert ack.status == 200, f"{action_id} by {user}: HTTP {ack.status} {ack.body}"
        return self._answer(ack, token, trigger, within, wait=wait)

    def shortcut(self, callback_id: str, message: Json, user: str, channel: str) -> Answer:
        """``user`` uses a message shortcut on ``message`` in ``channel``."""
        token, trigger, hook = self._tokens()
        ack = self.slack.shortcut(
            callback_id,
            user_id=user,
            message=message,
            channel_id=channel,
            trigger_id=trigger,
            response_url=hook,
        )
        assert ack.status == 200, f"{callback_id} by {user}: HTTP {ack.status} {ack.body}"
        return self._answer(ack, token, trigger, ANSWER_WITHIN_S, wait=True)

    def home(self, user: str) -> Json:
        """``user`` opens golive's Home tab: the view published for them."""
        published = len(self.fake.calls("views.publish"))
        assert self.slack.event(app_home_opened(user)).status == 200
        wait_until(
            f"{user}'s Home tab",
            lambda: [
                c
                for c in self.fake.calls("views.publish")[published:]
                if c.args.get("user_id") == user
            ],
            within=ANSWER_WITHIN_S,
        )
        shown = self.fake.home(user)
        assert shown is not None
        return shown

    def open_modal(self, text: str, user: str) -> Json:
        """The modal ``/golive TEXT`` opened for ``user``."""
        answer = self.command(text, user)
        assert answer.modals and not answer.failed, f"/golive {text}: {answer.text[:800]}"
        return answer.view

    def submit(
        self, view: Json, answers: dict[str, Any] | None, user: str, **options: Any
    ) -> Response:
        """``user`` answers the modal's questions by their labels and sends it; the ack."""
        values = fill(view, answers, user=user, **options)
        self.submitted.append(str(view.get("callback_id")))
        return self.slack.submit(view=view, values=values, user_id=user)

    # ------------------------------------------------------------------ Slack as it is now

    def dm(self, user: str) -> list[Json]:
        """golive's direct messages to ``user``, oldest first."""
        return self.fake.messages("D" + user)

    def wait_message(
        self,
        channel: str,
        check: Callable[[Json], bool],
        *,
        thread_ts: str | None = None,
        within: float = 10.0,
    ) -> Json:
        """The first message in ``channel`` (or the thread) that ``check`` accepts."""

        def found() -> list[Json]:
            return [m for m in self.fake.messages(channel, thread_ts) if check(m)]

        return wait_until(f"a message in {channel}", found, within=within)[0]

    # ------------------------------------------------------------------ records, made in Slack

    def grant_roles(self) -> None:
        """The admin gives everyone else their role from Slack (each golive command in a shell
        costs seconds to start; a grant in Slack, milliseconds)."""
        for role, (user, _, per_service) in ROLES.items():
            if user == MANAGER:
                continue
            where = f" {SERVICE_KEY}" if per_service else ""
            answer = self.command(f"role <@{user}> {role}{where}", ADMIN)
            assert "is now" in answer.text and not answer.failed, answer.text

    def report_issue(self, user: str = STAFF, answers: dict[str, Any] | None = None) -> str:
        """Staff type ``/golive``, fill the report by its labels and send it: the issue's ref,
        read from the triage post it made."""
        before = {m["ts"] for m in self.fake.messages(TRIAGE)}
        view = self.open_modal("", user)
        chosen = {
            "Service": SERVICE_NAME,
            "What happened?": "eMAR tablet on the first floor logged everyone out at 08:05",
            "Impact on care": "Some impact on care",
            **(answers or {}),
        }
        ack = self.submit(view, chosen, user)
        assert ack.status == 200 and "errors" not in ack.body, ack.body
        post = self.wait_message(
            TRIAGE, lambda m: m["ts"] not in before and bool(re.search(r"GL-\d+", m["text"]))
        )
        found = re.search(r"GL-\d+", post["text"])
        assert found is not None
        return found.group(0)

    def triage_post(self, ref: str) -> Json:
        return self.wait_message(TRIAGE, lambda m: ref in m["text"] and not m.get("thread_ts"))

    def add_risk(
        self,
        title: str,
        controls: list[str],
        user: str = MANAGER,
        service: str = SERVICE_NAME,
        owner: str | None = None,
    ) -> str:
        """A registered manager records a risk with its first controls: the risk's ref."""
        view = self.open_modal("risk add", user)
        answers = {"Risk": title, "Scope": service}
        if owner is not None:
            answers["Risk owner"] = owner
        if controls:
            answers["First controls (one per line)"] = "\n".join(controls)
        ack = self.submit(view, answers, user)
        assert ack.status == 200, ack.body
        shown = ack.json()
        assert shown.get("response_action") == "update", shown
        found = re.search(r"R-\d+", json.dumps(shown["view"]))
        assert found is not None, shown
        return found.group(0)

    def control_refs(self, risk: str, user: str = MANAGER) -> list[str]:
        """The controls ``/golive risk R-…`` lists on a risk."""
        answer = self.command(f"risk {risk}", user)
        return list(dict.fromkeys(re.findall(r"\*(C-\d+)\*", answer.text)))

    def start_review(self, user: str = QUALITY_LEAD) -> str:
        """The quality lead starts the post-implementation review: the modal's answer."""
        view = self.open_modal("review", user)
        ack = self.submit(view, {}, user)
        assert ack.status == 200 and "errors" not in ack.body, ack.body
        return ack.body

    def schedule_audits(self, months: str = "1 month", user: str = QUALITY_LEAD) -> list[str]:
        """Follow-up audits scheduled from ``/golive audits``: their refs."""
        view = self.open_modal("audits", user)
        ack = self.submit(view, {"Repeat monthly for": months}, user)
        assert ack.status == 200 and "errors" not in ack.body, ack.body
        return list(dict.fromkeys(re.findall(r"FA-\d+", ack.body)))


def elements(blocks: list[Json]) -> Iterator[Json]:
    """Every interactive element in ``blocks``: buttons in actions blocks and accessories."""
    for block in blocks:
        yield from block.get("elements") or []
        if block.get("accessory"):
            yield block["accessory"]


def element(blocks: list[Json], action_id: str, value: str | None = None) -> Json:
    """The element ``action_id`` in ``blocks`` (the one with ``value``, if given); fails the
    test naming what is there instead."""
    found = [
        each
        for each in elements(blocks)
        if each.get("action_id") == action_id and value in (None, each.get("value"))
    ]
    shown = sorted({str(each.get("action_id")) for each in elements(blocks)})
    assert found, f"no {action_id} {value or ''} here; there are {shown}"
    return found[0]


def as_message(reply: Json) -> Json:
    """A private reply (posted to a response_url) as the message a click comes from."""
    return {
        "type": "message",
        "user": "UBOT",
        "bot_id": "BBOT",
        "ts": f"{time.time():.6f}",
        "text": reply.get("text") or "",
        "blocks": reply.get("blocks") or [],
    }


@contextmanager
def served_world(backend: str, folder: Path) -> Iterator[World]:
    """A provider set up from the CLI on ``backend`` and served by ``golive serve``; torn down
    (every process of it, and its PostgreSQL schema) afterwards."""
    with FakeSlack() as fake:
        url, schema = (None, None)
        if backend == "postgresql":
            url, schema = empty_postgresql_schema()
        provider = Provider(folder, fake, url)
        try:
            set_up(provider)
            world = World(provider, provider.serve())
            world.grant_roles()
            yield world
        finally:
            provider.close()
            if schema is not None:
                drop_schema(schema)
