"""The ``golive`` command as an IT lead uses it: set up, administer, export, and fail plainly."""

import csv
import json
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlmodel import SQLModel, func, select

from bot.cli import main
from bot.settings import Settings
from bot.views.digests import word
from schedules.cadence import Job
from schedules.jobs import preview_digest
from store.infra.clock import FixedClock
from store.infra.db import make_engine, session_scope
from store.records import issues, people
from store.records.models import AuditEvent

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday, five weeks into the demo's go-live
MARKUP = re.compile(r"(?<![\w*])\*\S[^*\n]*\*(?!\w)|(?<![\w:]):[a-z_]+:|<!date|```")
"""Slack's own markup: *bold*, :emoji:, a date token, a code fence."""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty folder with no .env and no golive settings in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("GOLIVE_", "SLACK_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def seeded_demo(capsys, monkeypatch, workdir: Path) -> str:
    """The demo provider as it stands at NOW, and DATABASE_URL pointing at it."""
    assert main(["demo"], clock=FixedClock(NOW)) == 0
    capsys.readouterr()
    url = f"sqlite:///{workdir / 'golive-demo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def rows_in_every_table(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def test_it_lead_sets_up_services_people_roles_and_channels(
    workdir, capsys, database_url, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GOLIVE_ADMINS", "U0ADMIN1")
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "service", "add", "Oakwood House", "--go-live", "2026-12-01")[0] == 0
    assert run(capsys, "person", "add", "U0RM0001", "Jo Manager", "--service", "oakwood")[0] == 0
    code, out, _ = run(
        capsys, "role", "grant", "U0RM0001", "registered-manager", "--service", "Oakwood House"
    )
    assert (code, out.strip()) == (0, "Jo Manager is now registered manager for Oakwood House")
    assert run(capsys, "channel", "set", "triage", "C0TRIAGE1")[0] == 0
    code, out, _ = run(capsys, "person", "list")
    assert "Registered manager (Oakwood House)" in out and "U0ADMIN1" in out
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        admin = people.get_person(session, "U0ADMIN1")
        assert [role.value for role, _ in people.roles_of(session, admin)] == ["admin"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["role", "grant", "U0NOBODY", "admin"], "has not used golive yet"),
        (["role", "grant", "U0RM0001", "chief"], "'chief' is not one of"),
        (["person", "add", "not-a-user", "X"], "is not a Slack user id"),
        (["channel", "set", "triage", "#general"], "is not a Slack channel id"),
        (["service", "add", "   "], "The service name is required"),
        (["person", "add", "U0RM0002", "Al", "--service", "nowhere"], "No service called"),
    ],
)
def test_bad_admin_input_gets_one_plain_line(
    workdir, capsys, database_url, monkeypatch, argv, expected
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    run(capsys, "person", "add", "U0RM0001", "Jo Manager")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err


def test_commands_refuse_an_uninitialised_database(workdir, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'new.db'}")
    code, _, err = run(capsys, "service", "list")
    assert code == 2 and "run 'golive init'" in err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@localhost/care", "does not support"),
        ("not a url", "is not a database URL"),
        ("postgresql://golive:s3cret-pw@127.0.0.1:1/golive", "Cannot reach the database"),
    ],
)
def test_unusable_database_url_is_one_line_without_the_password(workdir, url, expected):
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "init"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        cwd=workdir,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert result.stderr.count("\n") == 1


def test_serving_without_a_token_names_the_missing_setting(workdir, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'golive.db'}")
    code, _, err = run(capsys, "serve")
    assert code == 2
    assert "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET is not set" in err and "README" in err


def test_invalid_setting_is_named(workdir, capsys, monkeypatch):
    monkeypatch.setenv("GOLIVE_TIMEZONE", "Mars/Olympus")
    code, _, err = run(capsys, "init")
    assert code == 2 and "Mars/Olympus" in err


def test_demo_seeds_a_provider_and_can_run_again(workdir, capsys):
    for _ in range(2):
        code, out, _ = run(capsys, "demo")
        assert code == 0
        assert "5 services" in out and "22 risks" in out
    engine = make_engine(f"sqlite:///{workdir / 'golive-demo.db'}")
    with session_scope(engine) as session:
        assert sum(issues.count_by(session, "status").values()) >= 100


def test_export_writes_the_register_and_logs_as_csv(workdir, capsys, monkeypatch):
    run(capsys, "demo")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'golive-demo.db'}")
    code, _, _ = run(capsys, "export", "--out", str(workdir / "evidence"))
    assert code == 0
    [log] = (workdir / "evidence").glob("golive-issue-log-*.csv")
    with log.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    engine = make_engine(f"sqlite:///{workdir / 'golive-demo.db'}")
    with session_scope(engine) as session:
        first = issues.get_issue(session, "GL-0001")
        assert len(rows) == sum(issues.count_by(session, "status").values())
    assert rows[0]["Reference"] == "GL-0001"
    assert rows[0]["What happened"] == first.description
    assert rows[0]["Status"] == first.status.label


def test_job_runs_once_for_its_period_and_jobs_lists_them(workdir, capsys, monkeypatch):
    run(capsys, "demo")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'golive-demo.db'}")
    code, out, _ = run(capsys, "job", "daily_digest", "--at", "2026-11-27T08:30")
    assert code == 0 and "daily_digest" in out and "already" not in out
    code, out, _ = run(capsys, "job", "daily_digest", "--at", "2026-11-27T08:30")
    assert code == 0 and "already" in out
    code, out, _ = run(capsys, "jobs")
    assert code == 0
    assert {"daily_digest", "board_review", "reminders", "escalation"} <= {
        line.split()[0] for line in out.splitlines()
    }


@pytest.mark.parametrize(
    ("job", "at", "channel"),
    [
        ("daily_digest", "2026-11-27T08:30", "C0DEMOPROJECT"),
        ("board_review", "2026-11-23T09:00", "C0DEMOBOARD"),
        ("escalation", "2026-11-27T07:35", "C0DEMOOAKWOOD"),  # the 07:30 handover summaries
    ],
)
def test_job_preview_prints_each_post_as_text_and_block_kit_with_its_channel_and_records_nothing(
    workdir, capsys, monkeypatch, job, at, channel
):
    url = seeded_demo(capsys, monkeypatch, workdir)
    before = rows_in_every_table(url)
    code, out, err = run(capsys, "job", job, "--at", at, "--preview")
    assert code == 0, err
    assert rows_in_every_table(url) == before
    assert "nothing was recorded, no post owed and no period claimed" in out
    posts = out.split("=" * 72 + "\nPost ")[1:]
    headings = [post.split("\n", 1)[0] for post in posts]
    assert headings[0] == f"1 of {len(posts)}, to channel {headings[0].split()[-1]}"
    assert f"to channel {channel}" in [heading.split(", ", 1)[1] for heading in headings]
    for post in posts:
        text, _, block_kit = post.partition("\nBlock Kit JSON:\n")
        assert not MARKUP.search(text), text
        assert json.loads(block_kit)["blocks"]


def test_job_without_preview_says_it_posts_for_real_and_claims_the_period(
    workdir, capsys, monkeypatch
):
    url = seeded_demo(capsys, monkeypatch, workdir)
    before = rows_in_every_table(url)
    code, out, _ = run(capsys, "job", "daily_digest", "--at", "2026-11-27T08:30")
    assert code == 0
    assert "This is a real run: any post it owes goes to Slack" in out
    assert "the period it runs for is claimed" in out
    after = rows_in_every_table(url)
    assert (after["outbox"], after["job_run"]) == (before["outbox"] + 1, before["job_run"] + 1)
    code, out, _ = run(capsys, "job", "daily_digest", "--at", "2026-11-27T08:30", "--preview")
    assert code == 0 and "already done, so a run now would owe nothing" in out
    assert "Block Kit JSON" not in out and rows_in_every_table(url) == after


def test_jobs_lists_every_scheduled_post_in_aligned_columns(workdir, capsys, monkeypatch):
    seeded_demo(capsys, monkeypatch, workdir)
    code, out, _ = run(capsys, "jobs")
    assert code == 0
    header, *rows = out.splitlines()
    assert [row.split()[0] for row in rows] == [*map(str, Job), "handover", "commissioner"]
    for column in ("NEXT RUN", "WHAT IT DOES"):
        start = header.index(column)
        assert all(row[start - 2 : start] == "  " and row[start] != " " for row in rows), column
    handover = rows[-2]
    assert re.search(r"handover +\d{4}-\d\d-\d\dT(07|19):30", handover)
    assert "5 services have one" in handover and "no channel set" in rows[-1]


def test_unknown_job_lists_the_jobs(workdir, capsys, monkeypatch):
    run(capsys, "demo")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'golive-demo.db'}")
    code, _, err = run(capsys, "job", "nightly")
    assert code == 2 and "daily_digest" in err and "Traceback" not in err


@pytest.mark.parametrize("listed", ["handover", "commissioner"])
def test_a_summary_jobs_lists_says_which_job_posts_it(workdir, capsys, monkeypatch, listed):
    run(capsys, "demo")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'golive-demo.db'}")
    code, _, err = run(capsys, "job", listed, "--preview")
    assert code == 2 and "owed by the escalation run" in err and "'escalation'" in err


@pytest.mark.parametrize(
    ("fmt", "suffixes"),
    [
        ("all", [*[".csv"] * 9, ".html", ".pdf", ".xlsx"]),
        ("xlsx", [".csv", ".xlsx"]),
        ("evidence", [".html"]),
    ],
)
def test_export_writes_the_workbook_with_its_audit_trail_and_the_evidence_pack(
    workdir, capsys, monkeypatch, fmt, suffixes
):
    run(capsys, "demo")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'golive-demo.db'}")
    code, out, _ = run(capsys, "export", "--format", fmt, "--out", str(workdir / "pack"))
    assert code == 0
    written = sorted((workdir / "pack").iterdir(), key=lambda path: path.suffix)
    assert [path.suffix for path in written] == suffixes
    assert all(str(path) in out for path in written)
    if fmt == "evidence":
        return
    [trail] = [path for path in written if path.name.startswith("golive-audit-trail-")]
    with trail.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    engine = make_engine(f"sqlite:///{workdir / 'golive-demo.db'}")
    with session_scope(engine) as session:
        recorded = session.exec(select(func.count()).select_from(AuditEvent)).one()
    assert len(rows) == recorded > 0
    [book] = [path for path in written if path.suffix == ".xlsx"]
    about = openpyxl.load_workbook(book)["About"]
    assert trail.name in str(about["B14"].value)


def test_commissioner_summary_for_a_month_names_nobody(workdir, capsys, monkeypatch):
    run(capsys, "demo")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'golive-demo.db'}")
    code, out, _ = run(capsys, "commissioner", "--month", "2026-11", "--csv", "summary.csv")
    assert code == 0 and "Oakwood House" in out
    written = (workdir / "summary.csv").read_text(encoding="utf-8-sig")
    assert "Oakwood House" in written
    for name in ("Priya Shah", "Tom Okafor", "Amy Richardson"):
        assert name not in out and name not in written
    code, _, err = run(capsys, "commissioner", "--month", "November")
    assert code == 2 and "is not a month like 2026-11" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["export"],
        ["service", "list"],
        ["person", "list"],
        ["jobs"],
        ["job", "daily_digest"],
        ["commissioner", "--month", "2026-11"],
    ],
)
def test_a_command_that_only_reads_never_creates_a_database(workdir, capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err == "golive: There is no database at golive.db; run 'golive init' to create it\n"
    assert list(workdir.iterdir()) == []


def test_after_the_demo_a_missing_database_points_to_the_demo_one(workdir, capsys):
    run(capsys, "demo")
    code, _, err = run(capsys, "export")
    assert code == 2
    assert "set DATABASE_URL=sqlite:///golive-demo.db" in err and err.count("\n") == 1
    assert not (workdir / "golive.db").exists() and not (workdir / "exports").exists()


def test_demo_gives_the_commands_that_export_or_serve_its_data(workdir, capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    use = (
        "  DATABASE_URL=sqlite:///golive-demo.db "
        "GOLIVE_PROVIDER_NAME='Heathfield Care Group' golive"
    )
    assert f"{use} export --format all\n{use} serve\n" in out


def test_demo_reads_as_plain_text_in_local_time_and_ends_with_the_evidence_pack(workdir, capsys):
    summer = datetime(2027, 6, 18, 11, 0, tzinfo=UTC)  # noon in London
    code = main(["demo"], clock=FixedClock(summer))
    out, _ = capsys.readouterr()
    assert code == 0
    assert not MARKUP.search(out) and "UTC" not in out
    assert "it is now Fri 18 Jun 2027 12:00" in out
    assert "Reported from Thu 17 Jun 08:30 to Fri 18 Jun 08:30" in out  # 07:30 in UTC
    [pack] = (workdir / "golive-demo-evidence").iterdir()
    assert pack.name == "golive-evidence-pack-2027-06-18.html"
    assert "Heathfield Care Group: go-live evidence pack" in pack.read_text(encoding="utf-8")
    *_, where, how, command, uri = out.rstrip().splitlines()
    assert where == f"The evidence pack an inspector would read is in {pack.relative_to(workdir)}."
    assert how.startswith("Open it in a web browser")
    assert command.endswith(f" {pack.relative_to(workdir)}")
    assert uri == f"  or go to {pack.as_uri()}"


def test_init_refuses_a_folder_that_does_not_exist(workdir, capsys, monkeypatch):
    missing = workdir / "no" / "such" / "dir"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing / 'g.db'}")
    code, out, err = run(capsys, "init")
    assert code == 2 and out == ""
    assert f"The folder {missing} does not exist" in err and err.count("\n") == 1
    assert list(workdir.iterdir()) == []


def test_installed_golive_exports_what_the_demo_seeded_using_the_command_it_prints(workdir):
    golive = shlex.quote(str(Path(sys.executable).parent / "golive"))

    def shell(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            shell=True,
            capture_output=True,
            text=True,
            cwd=workdir,
            timeout=120,
            check=False,
        )

    empty = shell(f"{golive} export")
    assert empty.returncode == 2
    assert "run 'golive init'" in empty.stderr and empty.stderr.count("\n") == 1
    assert list(workdir.iterdir()) == []

    demo = shell(f"{golive} demo")
    assert demo.returncode == 0, demo.stderr
    [export, serve] = [line for line in demo.stdout.splitlines() if "DATABASE_URL=" in line]
    assert export.startswith("  DATABASE_URL=sqlite:///golive-demo.db ")
    assert export.endswith(" export --format all") and serve.endswith(" serve")
    exported = shell(export)
    assert exported.returncode == 0, exported.stderr
    written = {path.suffix for path in (workdir / "exports").iterdir()}
    assert written == {".csv", ".html", ".pdf", ".xlsx"}
    assert not (workdir / "golive.db").exists()


def test_demo_pdf_agrees_with_the_workbook_the_digest_and_the_commissioner_summaries(
    workdir, capsys, monkeypatch
):
    """The demo, then the export it prints: the PDF's headline, the workbook's issue log, the
    daily digest and the commissioner summaries of the months that have ended tell one story."""
    url = seeded_demo(capsys, monkeypatch, workdir)
    clock = FixedClock(NOW)
    assert main(["export", "--format", "all", "--out", "out"], clock=clock) == 0
    capsys.readouterr()
    [pdf] = (workdir / "out").glob("golive-evidence-pack-*.pdf")
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(pdf).pages[:2]))
    reported = int(re.search(r"(\d+) issues reported", text).group(1))
    resolved = re.search(r"(\d+) of (\d+) resolved", text).groups()
    evidenced = re.search(r"(\d+) of (\d+) closed with evidence", text).groups()
    still_open = re.search(r"(\d+) of (\d+) open", text).groups()

    [book] = (workdir / "out").glob("golive-records-*.xlsx")
    header, *rows = openpyxl.load_workbook(book)["Issue log"].iter_rows(values_only=True)
    status, evidence = header.index("Status"), header.index("Closure evidence")
    put_right = [r for r in rows if r[status] in ("Resolved", "Closed")]
    closed = [r for r in put_right if r[status] == "Closed" and r[evidence]]
    assert reported == len(rows) > 100
    assert resolved == (str(len(put_right)), str(len(rows)))
    assert evidenced == (str(len(closed)), str(len(put_right)))
    assert still_open == (str(len(rows) - len(put_right)), str(len(rows)))

    owed = preview_digest(
        "daily_digest", engine=make_engine(url), settings=Settings(_env_file=None), at=NOW
    )
    assert f"{still_open[0]} issues open now" in word(owed.notice, owed.facts).as_text()

    # October ended with the demo's go-live under way; November has not ended at NOW.
    assert main(["commissioner", "--month", "2026-10"], clock=clock) == 0
    october = capsys.readouterr().out
    in_october = [r for r in rows if r[header.index("Reported")] < datetime(2026, 11, 1)]
    assert f"Issues reported: {len(in_october)} · resolved in the month" in october
    assert "*" not in october, "the terminal shows plain text, not Slack's markup"
    assert main(["commissioner", "--month", "2026-11"], clock=clock) == 2
    assert "November 2026 has not ended yet" in capsys.readouterr().err
