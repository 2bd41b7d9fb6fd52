"""The ``golive`` command: set up, serve Slack, run jobs, seed the demo, export, administer.

Every failure a user can cause (a bad argument, a missing setting, an unreachable database)
ends in one plain line on stderr and exit status 2, never a traceback; secrets are not printed.
"""

import argparse
import json
import logging
import os
import shlex
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError as SettingsValidationError
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from bot.bootstrap import apply_settings, check_schema
from bot.logging_setup import configure_logging
from bot.processes import PARENT_PID, die_with_parent, stop_on_sigterm
from bot.settings import Settings, SettingsError
from documents.evidence import EXPORT_FORMATS
from store.infra.clock import Clock, SystemClock
from store.infra.db import make_engine, normalise_url, session_scope
from store.infra.errors import DomainError
from store.infra.schema import upgrade
from store.records import channels, people
from store.records.actors import COMMAND_LINE
from store.records.enums import ChannelPurpose, Role
from store.records.models import Service

if TYPE_CHECKING:
    from schedules.jobs import Preview
    from teams.app import WsgiApp
    from teams.settings import TeamsSettings

DEMO_FILE = "golive-demo.db"
DEMO_DATABASE = f"sqlite:///{DEMO_FILE}"
DEMO_EVIDENCE = "golive-demo-evidence"
SERVING = ("serve", "socket", "scheduler", "teams")  # long-running: their INFO lines are the record


class CommandError(Exception):
    """A plain one-line failure to show the user."""


class AlreadyReported(Exception):
    """A failure a child process has already shown the user; only its exit status is left."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-12-01") from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a time like 2026-12-01T08:30 (local) or 2026-12-01T08:30Z"
        ) from None
    return moment


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number from 1 to 65535")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="golive",
        description="Govern an ECM go-live from Slack: issues, risks, digests, evidence.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("init", help="create or upgrade the database schema")
    serve = commands.add_parser("serve", help="serve Slack over HTTP (POST /slack/events)")
    serve.add_argument("--port", type=_port, help="port to listen on (default: PORT or 3000)")
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run scheduled jobs in this process (use 'golive scheduler')",
    )
    socket = commands.add_parser("socket", help="serve Slack over Socket Mode (no public URL)")
    socket.add_argument(
        "--no-scheduler", action="store_true", help="do not run scheduled jobs in this process"
    )
    scheduler = commands.add_parser(
        "scheduler", help="run only the scheduled jobs (for several replicas)"
    )
    scheduler.add_argument(
        "--face",
        choices=["slack", "teams"],
        default="slack",
        help="which chat face's sender delivers what the jobs owe (default slack)",
    )
    teams = commands.add_parser(
        "teams", help="serve Microsoft Teams over HTTP (POST /api/messages, the Bot Framework)"
    )
    teams.add_argument("--port", type=int, help="port to listen on (default TEAMS_PORT, 3978)")
    teams.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run scheduled jobs beside it (use 'golive scheduler --face teams')",
    )
    package = commands.add_parser(
        "teams-package", help="build the Teams app package (a zip a Teams admin uploads)"
    )
    package.add_argument(
        "--out", type=Path, default=Path("golive-teams.zip"), help="where to write the zip"
    )
    package.add_argument(
        "--website", required=True, help="your organisation's https:// web address"
    )
    package.add_argument("--privacy", help="your privacy notice's https:// address")
    package.add_argument("--terms", help="your terms of use's https:// address")
    package.add_argument("--developer", default="golive", help="the publisher name Teams shows")
    job = commands.add_parser(
        "job",
        help="run one scheduled job once, now or as if at a time: it posts for real and claims "
        "its period (--preview records nothing)",
    )
    job.add_argument("name", help="the job's name (see 'golive jobs')")
    job.add_argument("--at", type=_moment, help="ISO time; without a zone, the provider's zone")
    job.add_argument(
        "--preview",
        action="store_true",
        help="print what it would post (text and Block Kit JSON) and record nothing",
    )
    commands.add_parser(
        "jobs", help="list every scheduled job and summary and their next run times"
    )

    demo = commands.add_parser(
        "demo", help="seed a realistic provider, show its digests and write its evidence pack"
    )
    demo.add_argument(
        "--database-url",
        default=DEMO_DATABASE,
        help=f"where to seed it (default {DEMO_DATABASE}, recreated each run)",
    )

    export = commands.add_parser(
        "export", help="write the register, logs, audit trail and evidence pack"
    )
    export.add_argument("--out", type=Path, default=Path("exports"), help="folder to write into")
    export.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="csv",
        help=(
            "csv files, one xlsx workbook (with the audit trail beside it as csv), the "
            "evidence pack as HTML (evidence) or PDF (pdf), or all of them"
        ),
    )
    export.add_argument(
        "--from",
        dest="trail_from",
        type=_date,
        help="first day of the evidence pack's audit-trail extract, like 2026-11-01",
    )
    export.add_argument(
        "--to",
        dest="trail_to",
        type=_date,
        help="last day of the audit-trail extract (default today; 30 days if neither is given)",
    )

    commissioner = commands.add_parser(
        "commissioner", help="the monthly commissioner summary (no names, no free text)"
    )
    commissioner.add_argument("--month", required=True, help="the month, like 2026-11")
    commissioner.add_argument("--csv", type=Path, help="also write it as CSV to this file")

    service = commands.add_parser("service", help="set up services (homes, branches, teams)")
    service_cmds = service.add_subparsers(dest="action", required=True, metavar="ACTION")
    service_add = service_cmds.add_parser("add", help="add a service")
    service_add.add_argument("name")
    service_add.add_argument("--key", help="short name used in commands, e.g. oakwood")
    service_add.add_argument("--channel", help="the service's own Slack channel id")
    service_add.add_argument("--go-live", type=_date, help="the service's go-live date")
    service_cmds.add_parser("list", help="list services")

    person = commands.add_parser("person", help="add people by Slack user id")
    person_cmds = person.add_subparsers(dest="action", required=True, metavar="ACTION")
    person_add = person_cmds.add_parser("add", help="add or rename a person")
    person_add.add_argument("user_id", help="Slack user id, like U0123ABCD")
    person_add.add_argument("name")
    person_add.add_argument("--service", help="their home service")
    person_cmds.add_parser("list", help="list people and their roles")
    link = person_cmds.add_parser(
        "link-teams", help="say which Microsoft Teams user a person is (one set of roles)"
    )
    link.add_argument("user_id", help="their Slack user id, like U0123ABCD")
    link.add_argument("aad_id", help="their Azure AD object id (Entra ID, 'Object ID')")

    role = commands.add_parser("role", help="grant or remove roles")
    role_cmds = role.add_subparsers(dest="action", required=True, metavar="ACTION")
    for verb in ("grant", "revoke"):
        each = role_cmds.add_parser(verb, help=f"{verb} a role")
        each.add_argument(
            "user_id", help="Slack user id, like U0123ABCD, or a Teams user's Azure AD object id"
        )
        each.add_argument("role", help=", ".join(r.value.replace("_", "-") for r in Role))
        each.add_argument("--service", help="the service the role is for")

    channel = commands.add_parser("channel", help="choose the triage, project and board channels")
    channel_cmds = channel.add_subparsers(dest="action", required=True, metavar="ACTION")
    channel_set = channel_cmds.add_parser("set", help="set a channel")
    channel_set.add_argument("purpose", choices=[p.value for p in ChannelPurpose])
    channel_set.add_argument("channel_id", help="Slack channel id, like C0123ABCD")
    channel_cmds.add_parser("list", help="list channels")
    return parser


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable DATABASE_URL)"


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for PostgreSQL or an in-memory database."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _check_database_file(url: str, *, create: bool) -> None:
    """Refuse a SQLite file nobody meant to create, before SQLite quietly creates it: a
    mistyped folder must not become a new production database, and a command that only
    reads must not leave an empty golive.db behind (after the demo, its data is elsewhere)."""
    path = _sqlite_file(url)
    if path is None:
        return
    folder = path.parent
    if not folder.is_dir():
        raise CommandError(
            f"The folder {folder} does not exist, so there is nowhere to put {path.name}; "
            "create the folder, or correct the database URL"
        )
    if create or path.exists():
        return
    demo = folder / DEMO_FILE
    if demo.exists():
        raise CommandError(
            f"There is no database at {path}; to use the demo's, set "
            f"DATABASE_URL=sqlite:///{demo} (or run 'golive init' to create {path.name})"
        )
    raise CommandError(f"There is no database at {path}; run 'golive init' to create it")


def open_engine(url: str, *, create: bool = False) -> Engine:
    """Connect, or say in one line why not; only ``create`` (init, demo) may start a new
    SQLite file, and nothing makes its folder."""
    _check_database_file(url, create=create)
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
        raise CommandError(f"Cannot reach the database at {safe_url(url)}: {reason}") from None
    return engine


def cmd_init(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    engine = open_engine(settings.database_url, create=True)
    revision = upgrade(engine)
    apply_settings(engine, settings, now=clock.now())
    return f"Database ready at {safe_url(settings.database_url)} (schema revision {revision})"


def _ready_engine(settings: Settings, clock: Clock) -> Engine:
    engine = open_engine(settings.database_url)
    check_schema(engine)
    apply_settings(engine, settings, now=clock.now())
    return engine


def _in_child(work: Callable[[], object]) -> None:
    """Run ``work`` in a forked child and wait for it. ``golive serve``'s master forks its
    workers, and SQLite forbids carrying a connection or its locks across a fork: a child
    opens the database for the start-up checks, so the master never has."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            work()
            status = 0
        except BaseException as error:
            try:
                status = report_failure(error)
            except BaseException:
                traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    status = os.waitstatus_to_exitcode(wait_status)
    if status != 0:
        raise AlreadyReported(status if status > 0 else 1)


def cmd_serve(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    settings.require_shared_database()
    from bot.server import serve

    _in_child(lambda: _ready_engine(settings, clock).dispose())
    serve(
        settings,
        engine=make_engine(settings.database_url),
        clock=clock,
        port=args.port or settings.port,
        scheduler=not args.no_scheduler,
    )
    return "Stopped"


def cmd_socket(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    from bot.socket_mode import run_socket_mode

    stop_on_sigterm()
    engine = _ready_engine(settings, clock)
    run_socket_mode(settings, engine=engine, clock=clock, scheduler=not args.no_scheduler)
    return "Stopped"


def cmd_scheduler(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    teams = _teams_settings() if args.face == "teams" else None
    if teams is None:
        settings.require("SLACK_BOT_TOKEN")
    parent = os.environ.get(PARENT_PID, "")
    if parent.isdigit():
        die_with_parent(int(parent))  # started by 'golive serve': end with it
    stop_on_sigterm()
    engine = _ready_engine(settings, clock)
    from bot.runner import run_scheduler_process

    sender = None
    if teams is not None:
        from teams.runtime import sender_for

        sender = sender_for(engine, teams, clock)
    run_scheduler_process(settings, engine=engine, clock=clock, sender=sender)
    return "Stopped"


def _teams_settings() -> "TeamsSettings":
    from teams.settings import TeamsSettings, TeamsSettingsError

    try:
        teams = TeamsSettings()
    except SettingsValidationError as error:
        problems = "; ".join(str(e["msg"]) for e in error.errors())
        raise CommandError(f"Invalid Teams settings ({problems})") from None
    try:
        teams.require()
    except TeamsSettingsError as error:
        raise CommandError(str(error)) from None
    return teams


def cmd_teams(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    """``golive teams``: the Teams face on gunicorn, as ``golive serve`` serves Slack's."""
    teams = _teams_settings()
    settings.require_shared_database()
    from bot.processes import SchedulerProcess
    from bot.server import serve_workers, worker_engine
    from teams.runtime import apply_settings as apply_teams_settings
    from teams.runtime import worker

    def check() -> None:
        engine = _ready_engine(settings, clock)
        apply_teams_settings(engine, teams, clock=clock)
        engine.dispose()

    _in_child(check)
    engine = make_engine(settings.database_url)
    engine.dispose()

    def load_worker() -> "WsgiApp":
        mine = worker_engine(engine, threads=max(settings.threads, 1))
        return worker(mine, teams, clock)

    jobs = None if args.no_scheduler else SchedulerProcess(["scheduler", "--face", "teams"])
    serve_workers(load_worker, settings, port=args.port or teams.port, scheduler=jobs)
    return "Stopped"


def cmd_teams_package(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    from teams.package import Developer, build_package

    teams = _teams_settings()
    try:
        build_package(
            teams,
            args.out,
            developer=Developer(
                name=args.developer,
                website=args.website,
                privacy=args.privacy or args.website,
                terms=args.terms or args.website,
            ),
        )
    except ValueError as error:
        raise CommandError(str(error)) from None
    return f"Wrote {args.out}: upload it in Teams (Apps, Manage your apps, Upload an app)"


def _local(moment: datetime | None, settings: Settings, clock: Clock) -> datetime:
    if moment is None:
        return clock.now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.zone)
    return moment.astimezone(UTC)


REAL_RUN = (
    "This is a real run: any post it owes goes to Slack (sent by golive serve, socket or "
    "scheduler) and the period it runs for is claimed, so it runs once per period. --preview "
    "shows what a job would post and records nothing."
)


def cmd_job(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    from schedules.jobs import preview_job, run_job

    at = _local(args.at, settings, clock)
    try:
        if args.preview:
            # Not _ready_engine: applying the settings could write, and a preview writes nothing.
            engine = open_engine(settings.database_url)
            check_schema(engine)
            preview = preview_job(args.name, engine=engine, settings=settings, at=at)
            return _show_preview(preview, at=at, zone=settings.zone)
        engine = _ready_engine(settings, clock)
        return REAL_RUN + "\n" + run_job(args.name, engine=engine, settings=settings, at=at)
    except ValueError as error:
        raise CommandError(str(error)) from None


def _show_preview(preview: "Preview", *, at: datetime, zone: tzinfo) -> str:
    """Each post as the channel would read it and as the Block Kit JSON sent for it, worded
    from its facts as the sender words it."""
    from bot.plain import plain_text
    from bot.views.digests import word

    owed = len(preview.posts)
    lines = [
        f"Preview as if at {at.astimezone(zone):%a %d %b %Y %H:%M} ({zone}): nothing was "
        "recorded, no post owed and no period claimed.",
        f"A real run would report: {preview.summary}",
    ]
    for number, post in enumerate(preview.posts, 1):
        if post.user:
            where = f"as a direct message to {post.user}"
        elif post.target_key:
            where = f"as an update of the earlier post {post.target_key}"
        else:
            where = f"to channel {post.channel}"
        payload = word(post.notice, post.facts).payload()
        rule = "=" * 72
        lines += [
            "",
            rule,
            f"Post {number} of {owed}, {where}",
            rule,
            plain_text(payload["blocks"], zone),
            "",
            "Block Kit JSON:",
            json.dumps(payload, indent=2, ensure_ascii=False),
        ]
    return "\n".join(lines)


def cmd_jobs(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    from schedules.jobs import describe_escalation_posts, describe_jobs

    engine = _ready_engine(settings, clock)
    now = clock.now()
    rows = [
        (name, next_run or "not in this phase", about)
        for name, next_run, about in describe_jobs(engine=engine, settings=settings, now=now)
    ]
    rows += [
        (name, next_run or "no channel set", about)
        for name, next_run, about in describe_escalation_posts(
            engine=engine, settings=settings, now=now
        )
    ]
    table = [("JOB", f"NEXT RUN ({settings.zone})", "WHAT IT DOES"), *rows]
    name_width = max(len(name) for name, _, _ in table)
    when_width = max(len(when) for _, when, _ in table)
    return "\n".join(
        f"{name:<{name_width}}  {when:<{when_width}}  {about}" for name, when, about in table
    )


def cmd_demo(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    from bot.demo.tour import run_demo

    url = args.database_url
    path = _sqlite_file(url)
    if path is not None and url == DEMO_DATABASE:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = open_engine(url, create=True)
    upgrade(engine)
    tour = run_demo(
        engine,
        settings=settings,
        now=clock.now(),
        database=safe_url(url),
        evidence=Path(DEMO_EVIDENCE),
    )
    # The provider's name goes with the commands, so the files they write name it too.
    use = (
        f"DATABASE_URL={shlex.quote(safe_url(url))} "
        f"GOLIVE_PROVIDER_NAME={shlex.quote(tour.provider)} {_golive()}"
    )
    pack = tour.evidence_pack
    return "\n".join(
        [
            tour.text,
            "",
            "Next, from this folder: write the register, logs, audit trail and evidence pack",
            "(HTML and PDF) into exports/, or serve the demo to your Slack app (set",
            "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET first; see the README):",
            f"  {use} export --format all",
            f"  {use} serve",
            "",
            f"The evidence pack an inspector would read is in {pack}.",
            "Open it in a web browser (it prints to PDF from there):",
            f"  {_opener()} {shlex.quote(str(pack))}",
            f"  or go to {pack.resolve().as_uri()}",
        ]
    )


def _opener() -> str:
    """The command that opens a file in its usual application on this system."""
    if sys.platform == "darwin":
        return "open"
    if sys.platform == "win32":
        return 'start ""'
    return "xdg-open"


def _golive() -> str:
    """How to run golive again: ``golive`` when it is on PATH, else as it was typed (the
    README's quick start runs ``.venv/bin/golive`` from the repository's folder)."""
    typed = sys.argv[0]
    if Path(typed).name != "golive":
        return "golive"
    found = shutil.which("golive")
    if found is not None and Path(found).resolve() == Path(typed).resolve():
        return "golive"
    return shlex.quote(typed)


def cmd_export(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    """Write the chosen files; the workbook leaves out the audit trail, which is written
    beside it as a CSV file that the workbook's About sheet names."""
    from documents.evidence import trail_period, write_exports

    now = clock.now()
    period = trail_period(
        first=args.trail_from, last=args.trail_to, today=now.astimezone(settings.zone).date()
    )
    engine = _ready_engine(settings, clock)
    with session_scope(engine) as session:
        written = write_exports(
            session,
            args.out,
            fmt=args.format,
            now=now,
            zone=settings.zone,
            provider=settings.provider_name,
            period=period,
        )
    return "Wrote " + ", ".join(str(path) for path in written)


def cmd_commissioner(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    from bot.plain import plain_text
    from bot.views.digests import commissioner
    from schedules.commissioner import csv_for_month, summary_for_month

    engine = _ready_engine(settings, clock)
    try:
        now = clock.now()
        rendered = commissioner(summary_for_month(engine, settings, args.month, now=now))
        text = plain_text(rendered.blocks, settings.zone)
        if args.csv is not None:
            args.csv.write_text(
                csv_for_month(engine, settings, args.month, now=now), encoding="utf-8-sig"
            )
            text += f"\n\nWrote {args.csv}"
    except ValueError as error:
        raise CommandError(str(error)) from None
    return text


def _service(session: Session, text: str | None) -> Service | None:
    return people.get_service(session, text) if text else None


def cmd_service(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    engine = _ready_engine(settings, clock)
    with session_scope(engine) as session:
        if args.action == "add":
            service = people.create_service(
                session,
                actor=COMMAND_LINE,
                name=args.name,
                key=args.key,
                channel_id=args.channel,
                golive_date=args.go_live,
                now=clock.now(),
            )
            return f"Added {service.name} (key: {service.key})"
        rows = [
            f"{s.key:<24} {s.name:<32} go-live {s.golive_date or '-'}"
            for s in people.list_services(session)
        ]
        return "\n".join(rows) or "No services yet; add one with 'golive service add NAME'"


def cmd_person(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    engine = _ready_engine(settings, clock)
    with session_scope(engine) as session:
        if args.action == "add":
            who = people.add_person(
                session,
                actor=COMMAND_LINE,
                slack_user_id=args.user_id,
                name=args.name,
                service=_service(session, args.service),
                now=clock.now(),
            )
            return f"{who.name} ({who.slack_user_id}) is set up"
        if args.action == "link-teams":
            who = people.link_teams_user(
                session,
                actor=COMMAND_LINE,
                person=people.get_person(session, args.user_id),
                aad_id=args.aad_id,
                now=clock.now(),
            )
            return f"{who.name} is {who.teams_user_id} in Microsoft Teams"
        lines = []
        for who in people.list_people(session):
            roles = ", ".join(
                role.label + (f" ({service.name})" if service else "")
                for role, service in people.roles_of(session, who)
            )
            teams = f" (Teams {who.teams_user_id})" if who.teams_user_id else ""
            lines.append(f"{who.slack_user_id:<12} {who.name:<28} {roles or 'staff'}{teams}")
        return "\n".join(lines) or "No people yet"


def cmd_role(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    engine = _ready_engine(settings, clock)
    try:
        role = Role.parse(args.role)
    except ValueError as error:
        raise CommandError(str(error)) from None
    with session_scope(engine) as session:
        who = people.find_teams_person(session, args.user_id) or people.get_person(
            session, args.user_id
        )
        service = _service(session, args.service)
        where = f" for {service.name}" if service else ""
        if args.action == "grant":
            people.grant_role(
                session, actor=COMMAND_LINE, person=who, role=role, service=service, now=clock.now()
            )
            return f"{who.name} is now {role.label.lower()}{where}"
        people.revoke_role(
            session, actor=COMMAND_LINE, person=who, role=role, service=service, now=clock.now()
        )
        return f"{who.name} is no longer {role.label.lower()}{where}"


def cmd_channel(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    engine = _ready_engine(settings, clock)
    with session_scope(engine) as session:
        if args.action == "set":
            purpose = ChannelPurpose(args.purpose)
            channels.set_channel(
                session,
                actor=COMMAND_LINE,
                purpose=purpose,
                channel_id=args.channel_id,
                now=clock.now(),
            )
            return f"{purpose.label} posts go to {args.channel_id}"
        routes = channels.all_channels(session)
        return "\n".join(f"{p.value:<8} {routes.get(p, 'not set')}" for p in ChannelPurpose)


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace, Clock], str]] = {
    "init": cmd_init,
    "serve": cmd_serve,
    "socket": cmd_socket,
    "scheduler": cmd_scheduler,
    "job": cmd_job,
    "jobs": cmd_jobs,
    "demo": cmd_demo,
    "export": cmd_export,
    "commissioner": cmd_commissioner,
    "service": cmd_service,
    "person": cmd_person,
    "role": cmd_role,
    "channel": cmd_channel,
    "teams": cmd_teams,
    "teams-package": cmd_teams_package,
}


def load_settings() -> Settings:
    try:
        return Settings()
    except SettingsValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'setting'}: {e['msg']}" for e in error.errors()
        )
        raise CommandError(f"Invalid settings ({problems}); see 'Settings' in the README") from None


def report_failure(error: BaseException) -> int:
    """Show a failure the user can act on as one line on stderr and return the exit status;
    anything else is a bug, raised with its traceback."""
    if isinstance(error, CommandError | SettingsError | DomainError):
        print(f"golive: {error}", file=sys.stderr)
        return 2
    if isinstance(error, OperationalError):
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
        print(f"golive: the database did not answer: {reason}", file=sys.stderr)
        return 2
    if isinstance(error, SQLAlchemyError):
        print(
            f"golive: database error ({type(error).__name__}); nothing was changed", file=sys.stderr
        )
        return 2
    if isinstance(error, KeyboardInterrupt):
        return 130
    raise error


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(
            settings, level=logging.INFO if args.command in SERVING else logging.WARNING
        )
        message = COMMANDS[args.command](settings, args, clock or SystemClock())
    except AlreadyReported as reported:
        return reported.status
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        return report_failure(error)
    if message:
        print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
