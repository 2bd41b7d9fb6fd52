"""``golive demo``: seed the demo provider, show where its rollout stands and what golive
would post for it, and write the evidence pack an inspector would read.

Everything is printed as plain text in the provider's time zone: a terminal is not Slack, so
the digests lose their markup rather than showing it raw.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from bot.demo.provider import seed
from bot.plain import plain_text
from bot.settings import Settings
from bot.views.digests import word
from documents.evidence import write_exports
from schedules.jobs import preview_digest
from store.infra.db import session_scope
from store.records import issues, risks, waves
from store.records.enums import IssueCategory, IssueStatus
from store.reports.outcomes import control_tallies

DEMO_DIGESTS = (
    ("daily_digest", "Daily issue digest, to the project channel"),
    ("board_review", "Weekly board review, to the board channel"),
)
PACK_PATTERN = "golive-evidence-pack-*.html"


@dataclass(frozen=True)
class Tour:
    text: str
    evidence_pack: Path
    provider: str


def run_demo(
    engine: Engine, *, settings: Settings, now: datetime, database: str, evidence: Path
) -> Tour:
    """Seed, show, and write the evidence pack into ``evidence`` (its earlier packs go, as the
    demo's database does, so the folder holds this run's)."""
    zone = settings.zone
    summary = seed(engine, now=now, zone=zone)
    lines = [
        f"Seeded {database} with {summary.provider}: {summary.services} services in "
        f"{summary.waves} waves, {summary.people} people, {summary.risks} risks with "
        f"{summary.controls} controls, and {summary.issues} go-live issues since wave 1 went "
        f"live on {summary.go_live:%a %d %B %Y}.",
        f"Times are local ({zone}); it is now {now.astimezone(zone):%a %d %b %Y %H:%M}.",
        "",
        "Rollout:",
    ]
    local_now = now.astimezone(zone)
    with session_scope(engine, write=False) as session:
        for row in waves.compare_services(session, now=now, today=local_now.date()):
            when = (
                f"live since {row.golive_date:%a %d %b} (day {row.days_live})"
                if row.days_live
                else f"goes live {row.golive_date:%a %d %b}"
                if row.golive_date
                else "no date yet"
            )
            lines.append(f"  Wave {row.wave}  {row.service:<21} {row.status:<12} {when}")
        by_status = issues.count_by(session, "status")
        by_category = issues.count_by(session, "category")
        lines += [
            "",
            "Issues by status: "
            + ", ".join(
                f"{IssueStatus(k).label.lower()} {v}" for k, v in sorted(by_status.items())
            ),
            "Issues by category: "
            + ", ".join(
                f"{IssueCategory(k).label.lower()} {v}"
                for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])
            ),
        ]
        for tally in control_tallies(session):
            lines.append(
                f"{tally.kind}: complete {tally.complete}, in progress {tally.in_progress}, "
                f"delayed {tally.delayed}, ineffective {tally.ineffective}, "
                f"planned {tally.planned}"
            )
        lines += ["", "Highest risks on the register:"]
        for risk in risks.list_risks(session, limit=5):
            band = risks.band(risk)
            lines.append(
                f"  {risk.ref}  {risk.score:>2} {band.label if band else '':<9} {risk.title}"
            )
    for name, title in DEMO_DIGESTS:
        owed = preview_digest(name, engine=engine, settings=settings, at=now)
        rendered = word(owed.notice, owed.facts)
        banner = "=" * 72
        lines += [
            "",
            banner,
            f"{title} (what golive would post now)",
            banner,
            plain_text(rendered.blocks, zone),
        ]
    for stale in evidence.glob(PACK_PATTERN):
        stale.unlink()
    with session_scope(engine, write=False) as session:
        [pack] = write_exports(
            session, evidence, fmt="evidence", now=now, zone=zone, provider=summary.provider
        )
    return Tour(text="\n".join(lines), evidence_pack=pack, provider=summary.provider)
