"""Scale: time and count the SQL statements of each digest, sweep, App Home, ``/golive list``
and the XLSX export on a large provider (benchmarks/provider.py), at 1x and 10x.

Each operation calls the real function its feature runs (the job function with the window
the scheduler would give it, commands.home.home_data + the Home view, commands.queries.
show_list, documents.evidence.export_files for the workbook and the audit trail CSV beside it) in a
transaction that is rolled back, so every repetition sees the same records. Statements are
counted with SQLAlchemy's ``before_cursor_execute`` event; reads (SELECT) and writes are
counted apart, because a sweep writes one row per message it owes, which is its output, not a
query per row.
"""

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from benchmarks.databases import BACKENDS, fresh_database, pg_available
from benchmarks.provider import CHANNELS, NOW, Provider, generate
from bot.settings import Settings
from bot.views.home import home_view
from commands.context import Deps
from commands.home import home_data
from commands.queries import show_list
from commands.slash import SlashContext, SlashRouter
from documents.evidence import export_files
from schedules.cadence import Job
from schedules.digests import run_digest
from schedules.escalation_sweep import run_escalation
from schedules.jobs import window_for
from schedules.reminders import run_reminders
from store.infra.clock import FixedClock
from store.records import people
from store.records.enums import ChannelPurpose

REPEAT = 3
OPERATION_NAMES = (
    "daily_digest",
    "board_review",
    "reminder_sweep",
    "escalation_sweep",
    "app_home_busy_owner",
    "list_open_service_urgency",
    "list_mine_open",
    "xlsx_export",
)


@dataclass
class StatementCounter:
    """Counts what the engine sends to the database while ``active``."""

    reads: int = 0
    writes: int = 0
    active: bool = False
    samples: list[str] = field(default_factory=list)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not self.active:
            return
        head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if head in ("SELECT", "WITH"):
            self.reads += 1
        elif head not in ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT"):
            self.writes += 1
        if len(self.samples) < 400:
            self.samples.append(statement.strip().splitlines()[0][:120])


class _Captured(SlashContext):
    """A /golive invocation whose private reply is kept for the benchmark instead of sent."""

    answer: tuple[str, list[Any]] | None = None

    def reply(self, text: str, blocks: list[Any] | None = None) -> None:
        self.answer = (text, blocks or [])


def settings_for() -> Settings:
    return Settings(
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET="bench",
        GOLIVE_PROJECT_CHANNEL=CHANNELS[ChannelPurpose.PROJECT],
        GOLIVE_BOARD_CHANNEL=CHANNELS[ChannelPurpose.BOARD],
    )


def operations(
    engine: Engine, provider: Provider, settings: Settings
) -> dict[str, Callable[[Session], Any]]:
    """Each feature's real work, as a function of one session."""
    zone = settings.zone
    today = NOW.astimezone(zone).date()
    deps = Deps(engine=engine, clock=FixedClock(NOW), settings=settings, router=SlashRouter())

    def job(name: Job, function: Callable[..., str]) -> Callable[[Session], str]:
        def run(session: Session) -> str:
            window = window_for(name, settings, at=NOW, phase_of=session)
            return function(session, window, settings)

        return run

    def home(session: Session) -> Any:
        return home_view(home_data(session, provider.busy_owner, today=today), now=NOW)

    def listing_with(args: list[str]) -> Callable[[Session], Any]:
        """show_list opens its own unit of work (deps.read), as it does in Slack."""

        def run(_session: Session) -> Any:
            person = deps.read(lambda s: people.get_person(s, provider.busy_owner))
            ctx = _Captured(
                args=args,
                text=" ".join(args),
                user_id=provider.busy_owner,
                channel_id="C0GOLIVE",
                trigger_id="",
                person=person,
                client=None,  # type: ignore[arg-type]
                body={},
                deps=deps,
            )
            show_list(ctx)
            return ctx.answer

        return run

    return {
        "daily_digest": job(Job.DAILY_DIGEST, run_digest),
        "board_review": job(Job.BOARD_REVIEW, run_digest),
        "reminder_sweep": job(Job.REMINDERS, run_reminders),
        "escalation_sweep": job(Job.ESCALATION, run_escalation),
        "app_home_busy_owner": home,
        "list_open_service_urgency": listing_with(
            ["list", "open", f"service={provider.service_keys[0]}", "urgency=high"]
        ),
        "list_mine_open": listing_with(["list", "mine", "open"]),
        # What `/golive export xlsx` sends: the workbook and the audit trail's CSV beside it.
        "xlsx_export": lambda session: sum(
            len(data) for _name, data, _title in export_files(session, "xlsx", now=NOW, zone=zone)
        ),
    }


def measure(
    engine: Engine, counter: StatementCounter, work: Callable[[Session], Any], repeat: int
) -> dict[str, Any]:
    """Median wall time over ``repeat`` runs, each rolled back; statements of the last run."""
    times = []
    for _ in range(repeat):
        counter.reads = counter.writes = 0
        counter.samples = []
        with Session(engine, expire_on_commit=False) as session:
            counter.active = True
            started = time.perf_counter()
            try:
                work(session)
                session.flush()
            finally:
                elapsed = time.perf_counter() - started
                counter.active = False
                session.rollback()
        times.append(elapsed * 1000)
    return {
        "ms": round(statistics.median(times), 1),
        "ms_all": [round(t, 1) for t in times],
        "reads": counter.reads,
        "writes": counter.writes,
        "statements": counter.reads + counter.writes,
    }


def settle_escalations(engine: Engine, settings: Settings) -> None:
    """The sweep runs every 15 minutes: commit a first run, so the timed run is a steady one
    that finds the year's items already escalated."""
    escalate = operations(engine, _NO_PROVIDER, settings)["escalation_sweep"]
    with Session(engine, expire_on_commit=False) as session:
        escalate(session)
        session.commit()


_NO_PROVIDER = Provider(scale=0, counts={}, busy_owner="", service_keys=[""])


def run_scale(
    backend: str, scale: int, folder: Path, *, repeat: int, skip: set[str]
) -> dict[str, Any]:
    settings = settings_for()
    with fresh_database(backend, folder, f"scale{scale}") as db:
        started = time.perf_counter()
        provider = generate(db.engine, scale=scale)
        generated = time.perf_counter() - started
        print(f"  {backend} {scale}x: generated in {generated:.0f} s", flush=True)
        first = time.perf_counter()
        settle_escalations(db.engine, settings)
        first_sweep = time.perf_counter() - first
        counter = StatementCounter()
        counter.attach(db.engine)
        results: dict[str, Any] = {}
        for name, work in operations(db.engine, provider, settings).items():
            if name in skip:
                continue
            results[name] = measure(
                db.engine, counter, work, 1 if name == "xlsx_export" else repeat
            )
            print(f"    {name}: {results[name]}", flush=True)
        return {
            "backend": backend,
            "scale": scale,
            "rows": provider.counts,
            "generate_s": round(generated, 1),
            "first_escalation_sweep_s": round(first_sweep, 2),
            "operations": results,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--scales", default="1,10", help="comma-separated, e.g. 1,10")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--work", type=Path, default=Path("/tmp/golive-bench"))
    parser.add_argument(
        "--only", default="", help="comma-separated operation names to measure, e.g. daily_digest"
    )
    parser.add_argument(
        "--xlsx-max-scale", type=int, default=1, help="skip the XLSX export above this scale"
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not pg_available():
        print("  PostgreSQL is not reachable: its scale figures are skipped", flush=True)
        backends.remove("postgresql")
    runs: list[dict[str, Any]] = []
    for scale in (int(s) for s in args.scales.split(",") if s):
        for backend in backends:
            skip = {"xlsx_export"} if scale > args.xlsx_max_scale else set()
            if args.only:
                wanted = set(args.only.split(","))
                skip |= {name for name in OPERATION_NAMES if name not in wanted}
            runs.append(run_scale(backend, scale, args.work, repeat=args.repeat, skip=skip))
            # Written after each run, so a long run that stops half-way keeps what it measured.
            measured = datetime.now(UTC).isoformat(timespec="seconds")
            args.out.write_text(
                json.dumps({"measured": measured, "runs": runs}, indent=2, default=str)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
