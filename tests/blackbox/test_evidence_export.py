"""The evidence files as an operator makes them: real ``golive export --format all`` and
``golive commissioner`` processes on golive's default SQLite database, in a provider's folder,
for the hand-counted provider of tests/evidence_world.py."""

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from store.infra.db import make_engine
from tests.blackbox.harness import Provider
from tests.evidence_world import COUNTED, PROVIDER, seed
from tests.fakeslack import FakeSlack

SETTINGS = {"GOLIVE_PROVIDER_NAME": PROVIDER, "GOLIVE_TIMEZONE": "Europe/London"}


@pytest.fixture
def counted(tmp_path: Path, fake: FakeSlack) -> Iterator[Provider]:
    """The provider's folder with ``golive init``'s database, seeded through the store."""
    folder = tmp_path / "provider"
    folder.mkdir()
    installed = Provider(folder, fake, None)
    installed.run("init", **SETTINGS).ok()
    engine = make_engine(f"sqlite:///{folder / 'golive.db'}")
    seed(engine)
    engine.dispose()
    yield installed
    installed.close()


def test_operator_exports_everything_and_the_pdf_carries_the_counted_figures(
    counted: Provider,
) -> None:
    done = counted.run(
        "export", "--format", "all", "--from", "2026-11-10", "--to", "2026-11-12", **SETTINGS
    ).ok()
    written = sorted(path.name for path in (counted.folder / "exports").iterdir())
    assert len(written) == 12 and all(name in done.out for name in written)
    assert all(
        re.fullmatch(r"golive-[a-z-]+-\d{4}-\d\d-\d\d\.(csv|xlsx|html|pdf)", n) for n in written
    )
    [pdf] = [name for name in written if name.endswith(".pdf")]
    reader = PdfReader(io.BytesIO((counted.folder / "exports" / pdf).read_bytes()))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert f"Provider: {PROVIDER}" in text
    assert f"{COUNTED.resolved} of {COUNTED.reported} resolved" in text
    assert f"{COUNTED.open} of {COUNTED.reported} open" in text
    assert "Audit trail, 10 Nov 2026 to 12 Nov 2026" in text
    assert "R-004" in text


def test_operator_is_told_plainly_when_the_audit_period_runs_backwards(counted: Provider) -> None:
    done = counted.run("export", "--from", "2026-11-12", "--to", "2026-11-10", **SETTINGS)
    assert done.status != 0 and "Traceback" not in done.err
    assert "give a --from date on or before the --to date" in done.err
    assert not (counted.folder / "exports").exists()


def test_operator_reads_octobers_commissioner_summary_as_it_stood_then(counted: Provider) -> None:
    done = counted.run("commissioner", "--month", "2026-10", **SETTINGS).ok()
    assert "01 Oct 2026 00:00 BST to 01 Nov 2026 00:00 GMT (Europe/London)" in done.out
    assert "UTC" not in done.out
    risks = re.findall(r"(R-\d{3})\*? (?:High|Extreme)", done.out)
    assert tuple(risks) == COUNTED.october_high_risks
    assert f"Issues reported: {COUNTED.october_reported}" in done.out
    before = counted.run("commissioner", "--month", "2026-07", **SETTINGS)
    assert before.status != 0 and "Traceback" not in before.err
    assert "July 2026 ended before the first record" in before.err
