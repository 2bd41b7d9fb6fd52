"""``golive demo``: seed a provider two weeks into go-live and show what golive would post."""

from datetime import datetime

from sqlalchemy import Engine

from bot.demo.provider import seed
from bot.settings import Settings
from schedules.jobs import preview_digest
from store.infra.db import session_scope
from store.records import issues, risks
from store.records.enums import IssueCategory, IssueStatus

DEMO_DIGESTS = (
    ("daily_digest", "Daily issue digest, to the project channel"),
    ("board_review", "Weekly board review, to the board channel"),
)


def run_demo(engine: Engine, *, settings: Settings, now: datetime, database: str) -> str:
    summary = seed(engine, now=now, zone=settings.zone)
    lines = [
        f"Seeded {database}: {summary.services} services, {summary.people} people, "
        f"{summary.risks} risks with {summary.controls} controls, {summary.issues} go-live "
        f"issues since go-live on {summary.go_live:%d %B %Y}.",
        "",
    ]
    with session_scope(engine) as session:
        by_status = issues.count_by(session, "status")
        by_category = issues.count_by(session, "category")
        lines.append(
            "Issues by status: "
            + ", ".join(f"{IssueStatus(k).label.lower()} {v}" for k, v in sorted(by_status.items()))
        )
        lines.append(
            "Issues by category: "
            + ", ".join(
                f"{IssueCategory(k).label.lower()} {v}"
                for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])
            )
        )
        lines.append("")
        lines.append("Highest risks on the register:")
        for risk in risks.list_risks(session, limit=5):
            band = risks.band(risk)
            lines.append(
                f"  {risk.ref}  {risk.score:>2} {band.label if band else '':<9} {risk.title}"
            )
    for name, title in DEMO_DIGESTS:
        rendered = preview_digest(name, engine=engine, settings=settings, at=now)
        banner = "=" * 72
        lines += ["", banner, f"{title} (what golive would post now)", banner, rendered.as_text()]
    return "\n".join(lines)
