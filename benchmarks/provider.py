"""A large provider's year of records, written with bulk inserts.

The store's per-record functions (one transaction, audit events and outbox rows each) would
take hours for 50,000 issues; the benchmarks need the rows, not the path that wrote them, so
they go in as multi-row INSERTs (COPY on PostgreSQL), in the shapes the store writes.
At ``scale`` 1: 150 services, 1,000 people, 50,000 issues, 3,000 risks, 15,000 controls and
a year of audit trail; everything is multiplied by ``scale``.
"""

import io
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, insert, text

from store.records.enums import (
    OPEN_ISSUE_STATUSES,
    ChannelPurpose,
    ControlStatus,
    DecisionKind,
    Impact,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Phase,
    Register,
    RiskCategory,
    RiskScope,
    RiskStatus,
    Role,
    Urgency,
    Workaround,
)
from store.records.models import (
    AuditEvent,
    ChannelRoute,
    Control,
    ControlUpdate,
    Decision,
    Issue,
    Person,
    PhaseChange,
    Risk,
    RiskAssessment,
    RoleGrant,
    Service,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning, a month into go-live
YEAR = timedelta(days=365)
GO_LIVE = NOW - timedelta(days=30)
CHANNELS = {
    ChannelPurpose.TRIAGE: "C0TRIAGE",
    ChannelPurpose.PROJECT: "C0PROJECT",
    ChannelPurpose.BOARD: "C0BOARD",
}
BUSY_OWNER = "U000010"
"""A team leader who owns 40 open issues and 120 controls (60 overdue) at every scale."""
BUSY_ISSUES, BUSY_CONTROLS = 40, 120

BASE = {
    "services": 150,
    "people": 1_000,
    "issues": 50_000,
    "risks": 3_000,
    "controls": 15_000,
    "audit_events": 200_000,
    "decisions": 600,
    "control_updates": 10_000,
    "assessments": 6_000,
}
OPEN = sorted(OPEN_ISSUE_STATUSES)


@dataclass(frozen=True)
class Provider:
    scale: int
    counts: dict[str, int]
    busy_owner: str
    service_keys: list[str]


def user_id(index: int) -> str:
    return f"U{index:06d}"


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def _open_chance(age: timedelta) -> float:
    """Most reports are dealt with within days; a few linger."""
    if age < timedelta(days=2):
        return 0.5
    if age < timedelta(days=7):
        return 0.2
    if age < timedelta(days=30):
        return 0.05
    return 0.005


def _score(rng: random.Random) -> int:
    """Likelihood or impact: registers hold more low scores than high ones."""
    return rng.choices([1, 2, 3, 4, 5], weights=[25, 30, 25, 12, 8])[0]


def _reported_at(rng: random.Random) -> datetime:
    """Most reports come in the weeks around go-live; the rest over the year before."""
    if rng.random() < 0.4:
        return _between(rng, GO_LIVE - timedelta(days=14), NOW - timedelta(minutes=5))
    return _between(rng, NOW - YEAR, GO_LIVE)


class _Writer:
    """Batches of rows into one table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def write(self, table: Table, rows: Iterable[dict[str, Any]], batch: int = 20_000) -> int:
        total = 0
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                total += self._flush(table, chunk)
                chunk = []
        if chunk:
            total += self._flush(table, chunk)
        return total

    def _flush(self, table: Table, rows: list[dict[str, Any]]) -> int:
        if not self.postgres:
            with self.engine.begin() as connection:
                connection.execute(insert(table), rows)
            return len(rows)
        columns = list(rows[0])
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_copy_value(row[c]) for c in columns) + "\n")
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # type: ignore[attr-defined]
                copy.write(buffer.getvalue())
            raw.commit()
        finally:
            raw.close()
        return len(rows)


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text_value = str(value)
    return (
        text_value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def generate(engine: Engine, *, scale: int = 1, seed: int = 2026) -> Provider:
    """Fill an empty, migrated database; the counts written, by table."""
    rng = random.Random(seed)
    n = {name: count * scale for name, count in BASE.items()}
    writer = _Writer(engine)
    counts: dict[str, int] = {}

    keys = [f"service-{i:04d}" for i in range(n["services"])]
    counts["service"] = writer.write(
        Service.__table__,  # type: ignore[attr-defined]
        (
            {
                "id": i + 1,
                "key": key,
                "name": f"Service {i:04d} ({rng.choice(['house', 'court', 'lodge', 'team'])})",
                "channel_id": None,
                "golive_date": GO_LIVE.date(),
                "created_at": NOW - YEAR,
            }
            for i, key in enumerate(keys)
        ),
    )
    people = n["people"]
    counts["person"] = writer.write(
        Person.__table__,  # type: ignore[attr-defined]
        (
            {
                "id": i + 1,
                "slack_user_id": user_id(i),
                "name": f"Person {i:06d}",
                "service_id": (i % n["services"]) + 1,
                "created_at": NOW - YEAR,
            }
            for i in range(people)
        ),
    )
    # Per service: one registered manager and two team leaders; then the organisation roles.
    grants: list[dict[str, Any]] = []
    managers: dict[int, int] = {}
    leaders: list[int] = []
    for s in range(n["services"]):
        service_id = s + 1
        manager, lead_a, lead_b = (
            20 + 3 * s,
            21 + 3 * s,
            22 + 3 * s if s else 10,
        )
        manager, lead_a, lead_b = (p % people + 1 for p in (manager, lead_a, lead_b))
        managers[service_id] = manager
        leaders += [lead_a, lead_b]
        grants.append(_grant(manager, Role.REGISTERED_MANAGER, service_id))
        grants.append(_grant(lead_a, Role.TEAM_LEADER, service_id))
        grants.append(_grant(lead_b, Role.TEAM_LEADER, service_id))
    for person, role in (
        (1, Role.PROJECT_LEAD),
        (1, Role.ADMIN),
        (2, Role.QUALITY_LEAD),
        *((p, Role.BOARD_MEMBER) for p in range(3, 8)),
    ):
        grants.append(_grant(person, role, None))
    unique = {(g["person_id"], g["role"], g["service_id"]): g for g in grants}
    counts["role_grant"] = writer.write(
        RoleGrant.__table__,  # type: ignore[attr-defined]
        ({**g, "id": i + 1} for i, g in enumerate(unique.values())),
    )
    owners = sorted(set(leaders) | set(managers.values()))
    busy = 11  # person id of BUSY_OWNER (user index 10)

    counts["phase_change"] = writer.write(
        PhaseChange.__table__,  # type: ignore[attr-defined]
        [
            {"phase": Phase.PRE_GO_LIVE, "note": "", "set_by_id": 1, "set_at": NOW - YEAR},
            {"phase": Phase.GO_LIVE, "note": "", "set_by_id": 1, "set_at": GO_LIVE},
        ],
    )
    counts["channel_route"] = writer.write(
        ChannelRoute.__table__,  # type: ignore[attr-defined]
        [{"purpose": p, "channel_id": c} for p, c in CHANNELS.items()],
    )

    def issue(i: int) -> dict[str, Any]:
        reported = _reported_at(rng)
        service_id = rng.randrange(n["services"]) + 1
        age = NOW - reported
        if i < BUSY_ISSUES:
            status: IssueStatus = rng.choice(OPEN)
            owner: int | None = busy
        elif rng.random() < _open_chance(age):
            status = rng.choice(OPEN)
            owner = rng.choice(owners) if status != IssueStatus.NEW else None
        else:
            # Resolved issues wait a few days for closure evidence, then are closed.
            waiting = age < timedelta(days=10) and rng.random() < 0.3
            status = IssueStatus.RESOLVED if waiting else IssueStatus.CLOSED
            owner = rng.choice(owners)
        triaged = reported + timedelta(hours=rng.uniform(0.2, 8)) if owner else None
        resolved = (
            reported + timedelta(days=rng.uniform(0.5, 10))
            if status in (IssueStatus.RESOLVED, IssueStatus.CLOSED)
            else None
        )
        resolved = min(resolved, NOW) if resolved else None
        closed = resolved if status == IssueStatus.CLOSED else None
        correction = owner is not None and rng.random() < 0.5
        workaround = rng.choices(list(Workaround), weights=[50, 45, 5])[0]
        return {
            "id": i + 1,
            "number": i + 1,
            "category": rng.choice(list(IssueCategory)),
            "service_id": service_id,
            "description": f"Go-live problem {i}: the eMAR round list did not match the "
            f"rota at {reported:%H:%M} and staff recorded on paper.",
            "impact": rng.choices(list(Impact), weights=[40, 55, 5])[0],
            "urgency": rng.choices(list(Urgency), weights=[40, 40, 15, 5])[0],
            "workaround": workaround,
            "workaround_detail": "Paper MAR chart" if workaround == Workaround.UNSAFE else None,
            "reporter_id": rng.randrange(people) + 1,
            "reported_at": reported,
            "source": rng.choice([IssueSource.SLASH_COMMAND, IssueSource.MESSAGE_SHORTCUT]),
            "source_permalink": None,
            "submission_key": f"report:V{i:09d}",
            "status": status,
            "owner_id": owner,
            "correction_action": "Supplier to fix the round mapping" if correction else None,
            "correction_due": (reported + timedelta(days=rng.randint(1, 30))).date()
            if correction
            else None,
            "closure_evidence": "Checked on the next three rounds" if closed else None,
            "triaged_at": triaged,
            "resolved_at": resolved,
            "closed_at": closed,
            "updated_at": max(d for d in (reported, triaged, resolved) if d is not None),
        }

    counts["issue"] = writer.write(
        Issue.__table__,  # type: ignore[attr-defined]
        (issue(i) for i in range(n["issues"])),
    )

    def risk(i: int) -> dict[str, Any]:
        service_scope = rng.random() < 0.7
        scored = rng.random() < 0.95
        created = _between(rng, NOW - YEAR, NOW - timedelta(days=7))
        service_id = rng.randrange(n["services"]) + 1 if service_scope else None
        return {
            "id": i + 1,
            "number": i + 1,
            "title": f"Risk {i}: {rng.choice(list(RiskCategory)).label} during go-live",
            "description": "Staff may not record care in the new system on time.",
            "category": rng.choice(list(RiskCategory)),
            "scope": RiskScope.SERVICE if service_scope else RiskScope.ORGANISATION,
            "service_id": service_id,
            "likelihood": _score(rng) if scored else None,
            "impact": _score(rng) if scored else None,
            "target_likelihood": rng.randint(1, 3),
            "target_impact": rng.randint(1, 3),
            "owner_id": managers.get(service_id or 0, 2),
            "review_date": (NOW + timedelta(days=rng.randint(-10, 80))).date(),
            "escalation_route": "Project board",
            "risk_register": rng.choices(list(Register), weights=[85, 15])[0],
            "status": rng.choices(list(RiskStatus), weights=[70, 5, 20, 5])[0],
            "transferred_from_id": None,
            "created_by_id": 2,
            "created_at": created,
            "updated_at": created + timedelta(days=rng.randint(0, 6)),
        }

    counts["risk"] = writer.write(
        Risk.__table__,  # type: ignore[attr-defined]
        (risk(i) for i in range(n["risks"])),
    )
    counts["risk_assessment"] = writer.write(
        RiskAssessment.__table__,  # type: ignore[attr-defined]
        (
            {
                "id": i + 1,
                "risk_id": i % n["risks"] + 1,
                "likelihood": rng.randint(1, 5),
                "impact": rng.randint(1, 5),
                "reason": "Reviewed at the checkpoint",
                "assessed_by_id": 2,
                "assessed_at": _between(rng, NOW - YEAR, NOW),
            }
            for i in range(n["assessments"])
        ),
    )
    on_issues = n["controls"] // 5

    def control(i: int) -> dict[str, Any]:
        busy_one = i < BUSY_CONTROLS
        created = _between(rng, NOW - YEAR, NOW - timedelta(days=1))
        if busy_one:
            status = rng.choice([ControlStatus.PLANNED, ControlStatus.IN_PROGRESS])
            due = NOW + timedelta(days=(-rng.randint(1, 30) if i % 2 else rng.randint(1, 30)))
        else:
            due = NOW + timedelta(days=rng.randint(-300, 60))
            # Controls due in the past are mostly done; a few run late.
            weights = [3, 3, 85, 6, 3] if due < NOW else [40, 30, 20, 8, 2]
            status = rng.choices(list(ControlStatus), weights=weights)[0]
        issue_control = i >= n["controls"] - on_issues
        return {
            "id": i + 1,
            "risk_id": None if issue_control else rng.randrange(n["risks"]) + 1,
            "issue_id": rng.randrange(n["issues"]) + 1 if issue_control else None,
            "description": "Senior carer checks the eMAR against paper at each round",
            "owner_id": busy if busy_one else rng.randrange(people) + 1,
            "due_date": due.date(),
            "status": status,
            "priority": rng.random() < 0.1,
            "created_by_id": 2,
            "created_at": created,
            "updated_at": created,
        }

    counts["control"] = writer.write(
        Control.__table__,  # type: ignore[attr-defined]
        (control(i) for i in range(n["controls"])),
    )
    counts["control_update"] = writer.write(
        ControlUpdate.__table__,  # type: ignore[attr-defined]
        (
            {
                "id": i + 1,
                "control_id": rng.randrange(n["controls"]) + 1,
                "old_status": ControlStatus.PLANNED,
                "new_status": rng.choice(list(ControlStatus)),
                "note": "Updated after the checkpoint",
                "old_due_date": None,
                "new_due_date": None,
                "checkpoint_id": None,
                "updated_by_id": rng.randrange(people) + 1,
                "updated_at": _between(rng, NOW - YEAR, NOW),
            }
            for i in range(n["control_updates"])
        ),
    )
    counts["decision"] = writer.write(
        Decision.__table__,  # type: ignore[attr-defined]
        (
            {
                "id": i + 1,
                "risk_id": rng.randrange(n["risks"]) + 1 if i % 3 else None,
                "issue_id": None if i % 3 else rng.randrange(n["issues"]) + 1,
                "kind": rng.choice(list(DecisionKind)),
                "summary": "The board accepted the risk with the controls in place",
                "owner_id": 1,
                "escalation_route": None,
                "follow_up_date": (NOW + timedelta(days=rng.randint(-30, 30))).date(),
                "decided_by_id": 3,
                "decided_at": _between(rng, NOW - YEAR, NOW),
            }
            for i in range(n["decisions"])
        ),
    )
    fields = ("status", "owner", "urgency", "correction_action", "closure_evidence")
    counts["audit_event"] = writer.write(
        AuditEvent.__table__,  # type: ignore[attr-defined]
        (
            {
                "id": i + 1,
                "at": NOW - YEAR + YEAR * (i / n["audit_events"]),
                "actor_id": (i % people) + 1,
                "actor_name": f"Person {i % people:06d}",
                "entity": "issue",
                "entity_id": i % n["issues"] + 1,
                "entity_ref": f"GL-{i % n['issues'] + 1:04d}",
                "action": "created" if i < n["issues"] else "changed",
                "field": None if i < n["issues"] else fields[i % len(fields)],
                "old_value": None if i < n["issues"] else "new",
                "new_value": None if i < n["issues"] else "triaged",
            }
            for i in range(n["audit_events"])
        ),
    )
    with engine.begin() as connection:
        for name, value in (("issue", n["issues"]), ("risk", n["risks"])):
            connection.execute(
                text("UPDATE counter SET value = :v WHERE name = :n"), {"v": value, "n": name}
            )
        if writer.postgres:
            for table in counts:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
                    )
                    if table != "channel_route"
                    else text("SELECT 1")
                )
    if writer.postgres:
        # Autovacuum would analyse the freshly loaded tables within minutes in production.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    return Provider(scale=scale, counts=counts, busy_owner=BUSY_OWNER, service_keys=keys)


def _grant(person_id: int, role: Role, service_id: int | None) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "role": role,
        "service_id": service_id,
        "granted_by_id": 1,
        "granted_at": NOW - YEAR,
    }
