"""References stay unique and gap-free when reports arrive at the same moment."""

import threading

import pytest

from store.infra.db import session_scope
from store.records import issues
from store.records.enums import Impact, IssueCategory, Urgency
from tests.world import build_world


def test_concurrent_reports_get_distinct_consecutive_references(engine, clock):
    world = build_world(engine, now=clock.now())
    refs: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def report() -> None:
        try:
            start.wait()
            with session_scope(engine) as session:
                issue, _ = issues.report_issue(
                    session,
                    reporter=world.staff,
                    now=clock.now(),
                    report=issues.IssueReport(
                        service_id=world.oakwood.id,
                        category=IssueCategory.DEVICES,
                        description="Tablet will not charge",
                        impact=Impact.NONE,
                        urgency=Urgency.LOW,
                    ),
                )
                refs.append(issue.ref)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=report) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        pytest.fail(f"a concurrent report failed: {errors[0]!r}")
    assert sorted(refs) == [f"GL-{n:04d}" for n in range(1, 9)]
