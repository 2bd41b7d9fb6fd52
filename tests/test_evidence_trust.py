"""Evidence an inspector can trust (issue 14), checked against a small provider whose figures
were counted by hand (tests/evidence_world.py): the commissioner summary as at the end of the
month asked for, a headline that says what each figure is out of, the provider named, overdue
reviews flagged, an issue appendix and an audit-trail extract, a real PDF, one naming scheme,
and a workbook that prints."""

import io
import json
import re
from datetime import date, datetime, timedelta
from html import unescape

import openpyxl
import pytest
from pypdf import PdfReader

from bot.views.digests import word
from documents.evidence import Period, evidence_pack_html, export_files, trail_period, write_exports
from documents.workbook import workbook_bytes
from schedules.commissioner import summary_for_month
from schedules.jobs import preview_digest
from schedules.posts import ScheduledNotice
from store.infra.db import session_scope
from store.infra.errors import ValidationError
from store.reports.commissioner import month_facts
from tests.conftest import BACKENDS, drop_database, fresh_database
from tests.evidence_world import COUNTED, LONDON, NOW, PROVIDER, seed
from tests.schedules_world import settings


@pytest.fixture(scope="module", params=BACKENDS)
def provider(request, tmp_path_factory):
    """The hand-counted provider, seeded once per backend and only read by these tests."""
    _, engine, schema = fresh_database(request.param, tmp_path_factory.mktemp("evidence"))
    seed(engine)
    try:
        yield engine
    finally:
        drop_database(engine, schema)


@pytest.fixture(scope="module")
def html(provider) -> str:
    with session_scope(provider) as session:
        return evidence_pack_html(session, now=NOW, zone=LONDON, provider=PROVIDER)


def text_of(markup: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def section(markup: str, name: str) -> str:
    start = markup.index(f'id="{name}"')
    end = markup.find("</section>", start)
    return markup[start : end if end > 0 else len(markup)]


def figure(markup: str, name: str) -> str:
    """A headline box's figure, as printed in bold."""
    match = re.search(rf'<div id="{name}"><strong>([^<]*)</strong>([^<]*)', markup)
    assert match, name
    return f"{match.group(1)} {match.group(2)}"


# -------------------------------------------------------------------- commissioner summary


def test_commissioner_summary_counts_october_as_it_stood_at_the_end_of_october(provider):
    with session_scope(provider) as session:
        october = month_facts(session, month="2026-10", zone=LONDON, now=NOW)
        november = month_facts(session, month="2026-11", zone=LONDON, now=NOW)
    assert (october.reported, october.resolved, october.open_issues) == (
        COUNTED.october_reported,
        COUNTED.october_resolved,
        COUNTED.october_open_at_end,
    )
    # Today R-001 is moderate and R-002 closed: as at 31 October both were high or worse.
    assert tuple(r.ref for r in october.high_risks) == COUNTED.october_high_risks
    assert [(r.band, r.score) for r in october.high_risks] == [("Extreme", 16), ("High", 9)]
    assert tuple(c.ref for c in october.care_issues) == COUNTED.october_care
    assert [c.status for c in october.care_issues] == ["Closed", "Open"]
    assert (november.reported, november.resolved, november.open_issues) == (
        COUNTED.november_reported,
        COUNTED.november_resolved,
        COUNTED.november_open_at_end,
    )
    assert tuple(r.ref for r in november.high_risks) == COUNTED.november_high_risks
    assert tuple(c.ref for c in november.care_issues) == COUNTED.november_care


@pytest.mark.parametrize(
    ("month", "says"),
    [
        ("2026-12", "December 2026 has not ended yet (it ends 01 Jan 2027 00:00 GMT)"),
        ("2026-07", "July 2026 ended before the first record: golive's first record is from"),
        ("2026-13", "'2026-13' is not a month like 2026-11"),
    ],
)
def test_commissioner_summary_refuses_a_month_it_cannot_vouch_for(provider, month, says):
    with pytest.raises(ValidationError) as refused:
        summary_for_month(provider, settings(), month, now=NOW)
    assert says in str(refused.value)


def test_commissioner_summary_prints_its_period_in_the_providers_time_zone(provider):
    owed = summary_for_month(provider, settings(), "2026-10", now=NOW)
    rendered = word(ScheduledNotice.COMMISSIONER, owed)
    period = "01 Oct 2026 00:00 BST to 01 Nov 2026 00:00 GMT (Europe/London)"
    assert period in rendered.as_text()
    assert period in rendered.text  # Slack's fallback text, read by notifications
    shown = rendered.as_text() + json.dumps(rendered.payload())
    assert "UTC" not in shown and "30 Sep" not in shown
    assert "High and extreme risks open at the month's end (2)" in rendered.as_text()


# ---------------------------------------------------------------------- the evidence pack


def test_evidence_pack_headline_says_what_each_figure_is_out_of(html):
    header = html[: html.index("</header>")]
    assert figure(header, "reported").startswith(f"{COUNTED.reported} issues reported")
    assert figure(header, "resolved") == f"{COUNTED.resolved} of {COUNTED.reported} resolved"
    assert figure(header, "evidenced") == (
        f"{COUNTED.closed_with_evidence} of {COUNTED.resolved} closed with evidence"
    )
    assert figure(header, "open") == f"{COUNTED.open} of {COUNTED.reported} open"
    assert "put right and closed with evidence" not in header


def test_evidence_pack_names_the_provider_and_flags_overdue_reviews(html):
    header = text_of(html[html.index("<body>") : html.index("</header>")])
    assert header.startswith(f"{PROVIDER}: go-live evidence pack Provider: {PROVIDER}")
    assert "2 of 3 open risks past their review date" in header
    flagged = re.findall(r"(R-\d{3}) [^:]*: review was due", header)
    assert tuple(flagged) == COUNTED.overdue_reviews
    residual = text_of(section(html, "residual"))
    assert residual.count("Review overdue") == len(COUNTED.overdue_reviews)
    assert re.search(r"R-003 .*? 20 Dec 2026 \d", residual)  # due later: not flagged


def test_evidence_pack_appendix_lists_every_issue_with_its_closure(html):
    rows = re.findall(r"<tr>(.*?)</tr>", section(html, "issue-appendix"), flags=re.S)
    cells = [[text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]
    cells = [row for row in cells if row]
    assert [row[0] for row in cells] == [f"GL-{n:04d}" for n in range(1, COUNTED.reported + 1)]
    first = cells[0]
    assert first[1:6] == [
        "Oakwood House",
        "Medication or eMAR",
        "Some impact on care",
        "Closed",
        "06 Oct 2026 10:00",
    ]
    assert first[6] == "10 Oct 2026 10:00"  # London's wall clock, in summer time
    assert first[7] == "Spot check of a week's records found no repeat"
    assert [row[4] for row in cells].count("Closed") == COUNTED.closed_with_evidence


def test_audit_trail_extract_covers_the_period_the_reader_picks(provider):
    with session_scope(provider) as session:
        markup = evidence_pack_html(
            session,
            now=NOW,
            zone=LONDON,
            period=Period(date(2026, 11, 10), date(2026, 11, 12)),
        )
    part = text_of(section(markup, "audit-extract"))
    assert "Audit trail, 10 Nov 2026 to 12 Nov 2026" in part
    assert "R-001" in part and "R-002" in part and "closed" in part
    assert "GL-0001" not in part and "GL-0005" not in part


@pytest.mark.parametrize(
    ("first", "last", "says"),
    [
        (date(2026, 11, 12), date(2026, 11, 10), "give a --from date on or before the --to date"),
        (date(2026, 12, 9), None, "give a --from date on or before today (02 Dec 2026)"),
    ],
)
def test_audit_trail_period_backwards_or_to_come_is_refused(first, last, says):
    with pytest.raises(ValidationError, match=re.escape(says)):
        trail_period(first=first, last=last, today=NOW.date())


def test_references_never_wrap_and_headings_stay_with_what_follows(html):
    style = html[html.index("<style>") : html.index("</style>")]
    assert re.search(r"\.ref \{[^}]*white-space: nowrap", style)
    assert re.search(r"h1, h2, h3 \{[^}]*break-after: avoid; page-break-after: avoid", style)
    body = html[html.index("</header>") :]
    cells = re.findall(r"<td([^>]*)>\s*((?:R|GL)-\d+)\s*</td>", body)
    assert len(cells) > COUNTED.reported and all('class="ref"' in attrs for attrs, _ in cells)


# -------------------------------------------------------------------------- files written


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_reads_back_the_provider_the_headline_and_the_risks(provider):
    with session_scope(provider) as session:
        [(name, data, _)] = export_files(
            session, "pdf", now=NOW, zone=LONDON, provider=PROVIDER, reveal=True
        )
    assert name == "golive-evidence-pack-2026-12-02.pdf" and data.startswith(b"%PDF-")
    text = re.sub(r"\s+", " ", pdf_text(data))
    assert f"Provider: {PROVIDER}" in text
    for shown in (
        f"{COUNTED.resolved} of {COUNTED.reported} resolved",
        f"{COUNTED.closed_with_evidence} of {COUNTED.resolved} closed with evidence",
        f"{COUNTED.open} of {COUNTED.reported} open",
    ):
        assert shown in text
    assert "R-004" in text and "GL-0006" in text


def test_export_all_writes_every_file_named_one_way(provider, tmp_path):
    with session_scope(provider) as session:
        written = write_exports(session, tmp_path, fmt="all", now=NOW, zone=LONDON)
    names = sorted(path.name for path in written)
    assert len(names) == len(set(names)) == 12
    assert all(re.fullmatch(r"golive-[a-z-]+-2026-12-02\.(csv|xlsx|html|pdf)", n) for n in names)
    assert {
        "golive-records-2026-12-02.xlsx",
        "golive-audit-trail-2026-12-02.csv",
        "golive-issue-log-2026-12-02.csv",
        "golive-evidence-pack-2026-12-02.html",
        "golive-evidence-pack-2026-12-02.pdf",
    } <= set(names)


def test_workbook_sheets_print_landscape_one_page_wide_with_their_header_row(provider):
    with session_scope(provider) as session:
        data = workbook_bytes(session, generated=NOW, zone=LONDON, provider=PROVIDER)
    book = openpyxl.load_workbook(io.BytesIO(data))
    about = book["About"]
    assert (about["A2"].value, about["B2"].value) == ("Provider", PROVIDER)
    for sheet in book.worksheets[1:]:
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        # one page wide (the file leaves out a width of 1, its default), as many pages tall
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)


def test_board_review_names_the_provider(provider):
    owed = preview_digest(
        "board_review", engine=provider, settings=settings(provider_name=PROVIDER), at=NOW
    )
    rendered = word(owed.notice, owed.facts)
    assert rendered.text.startswith(f"{PROVIDER} · Weekly board review")
    assert rendered.blocks[0]["text"]["text"].startswith(f"{PROVIDER} · Weekly board review")


def test_pack_workbook_digest_and_commissioner_agree_on_the_same_issues(provider):
    """One set of records, four readings: the pack's headline, the workbook's issue log, the
    daily digest and the commissioner summaries (October and November hold every issue)."""
    with session_scope(provider) as session:
        markup = evidence_pack_html(session, now=NOW, zone=LONDON)
        data = workbook_bytes(session, generated=NOW, zone=LONDON)
        months = [
            month_facts(session, month=m, zone=LONDON, now=NOW) for m in ("2026-10", "2026-11")
        ]
    log = list(openpyxl.load_workbook(io.BytesIO(data))["Issue log"].iter_rows(values_only=True))
    header, rows = log[0], log[1:]
    status = header.index("Status")
    still_open = [r for r in rows if r[status] not in ("Resolved", "Closed")]
    owed = preview_digest("daily_digest", engine=provider, settings=settings(), at=NOW)
    digest = word(owed.notice, owed.facts)
    digest_open = re.search(r"(\d+) issues? open now", digest.as_text())
    assert digest_open
    header_text = text_of(markup[: markup.index("</header>")])
    assert f"{len(rows)} issues reported" in header_text
    assert f"{len(still_open)} of {len(rows)} open" in header_text
    assert int(digest_open.group(1)) == len(still_open) == COUNTED.open
    assert sum(m.reported for m in months) == len(rows) == COUNTED.reported
    # November's end is the last moment before NOW that changed any issue
    assert months[-1].open_issues == len(still_open)
    assert NOW - months[-1].end < timedelta(days=2)
    assert all(isinstance(m.end, datetime) for m in months)
