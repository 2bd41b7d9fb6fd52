"""The export tables as CSV files: UTF-8 with a byte-order mark (so Excel reads names right),
ISO dates and times, and no cell a spreadsheet would run as a formula.

Every file an export writes is named one way, ``golive-<what>-<YYYY-MM-DD>.<ext>``, dated by
the provider's day it was made (``file_name``), so a folder of exports sorts by what, then when.
"""

import csv
import io
from datetime import date, datetime
from typing import IO, Any

from sqlmodel import Session

from store.records.audit import as_text
from store.reports.exports import AUDIT_TRAIL, TABLE_LIST, Row, Table, table_rows

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def file_name(what: str, day: date, extension: str) -> str:
    """``golive-issue-log-2026-11-27.csv``: the one naming scheme of every export file."""
    return f"golive-{what}-{day.isoformat()}.{extension}"


def csv_text(value: Any) -> str:
    """How a value reads in a CSV: ISO dates and times, and text that a spreadsheet would run
    as a formula (=, +, -, @ first) prefixed with an apostrophe, as OWASP advises."""
    if value.__class__ is str:  # most cells, and the audit trail's million: the short way
        return "'" + value if value.startswith(FORMULA_START) else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = as_text(value) or ""
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def write_table_csv(handle: IO[str], table: Table, rows: list[Row]) -> None:
    writer = csv.writer(handle)
    writer.writerow(table.headers)
    for row in rows:
        writer.writerow([csv_text(row[name]) for name in table.headers])


def table_csv(session: Session, table: Table, *, reveal: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    write_table_csv(buffer, table, table_rows(session, table, reveal=reveal))
    return buffer.getvalue().encode("utf-8-sig")


def csv_files(session: Session, *, day: date, reveal: bool = False) -> list[tuple[str, bytes]]:
    """Each table, the audit trail included, as (file name, CSV bytes)."""
    return [
        (file_name(table.name, day, "csv"), table_csv(session, table, reveal=reveal))
        for table in TABLE_LIST
    ]


def audit_trail_file(session: Session, *, day: date, reveal: bool = False) -> tuple[str, bytes]:
    """The audit trail as (file name, CSV bytes), to go with the workbook, whose About sheet
    names this file (hundreds of thousands of rows would make a sheet slow to write and open)."""
    return file_name(AUDIT_TRAIL.name, day, "csv"), table_csv(session, AUDIT_TRAIL, reveal=reveal)
