"""The export tables as one XLSX workbook: an About sheet, then a sheet per table, header
frozen, filters on, bands coloured, and each sheet set to print (landscape, one page wide, the
header row repeated on every page). The audit trail is not a sheet: it goes beside the workbook
as a CSV file (documents/csv_files.py), which the About sheet names.

Written row by row with XlsxWriter in constant-memory mode, with one shared format per
distinct style, so years of records cost little memory.
"""

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlmodel import Session
from xlsxwriter import Workbook  # type: ignore[import-untyped]
from xlsxwriter.format import Format  # type: ignore[import-untyped]

from documents.csv_files import file_name
from store.records.enums import Band
from store.records.scoring import band_for
from store.reports.exports import (
    AUDIT_TRAIL,
    BAND,
    LONG,
    WORKBOOK_TABLES,
    Column,
    Row,
    Table,
    table_rows,
)

BAND_FILLS = {
    Band.LOW.label: "92D050",
    Band.MODERATE.label: "FFFF00",
    Band.HIGH.label: "FFC000",
    Band.EXTREME.label: "FF0000",
}

HEADER_STYLE = {
    "bold": True,
    "font_color": "#FFFFFF",
    "bg_color": "#1F4E78",
    "pattern": 1,
    "text_wrap": True,
    "valign": "vcenter",
}
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def _local(value: datetime, zone: tzinfo) -> datetime:
    """Excel has no time zones: show the provider's wall-clock time, named in the About sheet."""
    return value.astimezone(zone).replace(tzinfo=None)


class _Formats:
    """Each distinct cell style made once and shared by every cell that has it: XlsxWriter
    then writes one style record per style, not one per cell."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.made: dict[tuple[tuple[str, Any], ...], Format] = {}

    def get(self, **style: Any) -> Format:
        key = tuple(sorted(style.items()))
        if key not in self.made:
            self.made[key] = self.book.add_format(style)
        return self.made[key]


@dataclass(frozen=True)
class _ColumnStyle:
    """A column's formats: plain, for dates and times, and by value where the value colours
    the cell (a band label, a 1-25 score)."""

    plain: Format
    date: Format
    time: Format
    by_text: dict[str, Format]
    by_number: dict[int, Format]


def _band_style(label: str) -> dict[str, Any]:
    style: dict[str, Any] = {"bg_color": f"#{BAND_FILLS[label]}", "pattern": 1}
    if label == Band.EXTREME.label:
        style.update(bold=True, font_color="#FFFFFF")
    return style


def _column_style(formats: _Formats, column: Column) -> _ColumnStyle:
    base: dict[str, Any] = {"valign": "top"}
    if column.kind == LONG:
        base["text_wrap"] = True
    by_text = (
        {label: formats.get(**base, **_band_style(label)) for label in BAND_FILLS}
        if column.kind == BAND
        else {}
    )
    by_number = (
        {
            score: formats.get(**base, bg_color=f"#{BAND_FILLS[band_for(score).label]}", pattern=1)
            for score in range(1, 26)
        }
        if column.name == "Score"
        else {}
    )
    return _ColumnStyle(
        plain=formats.get(**base),
        date=formats.get(**base, num_format=DATE_FORMAT),
        time=formats.get(**base, num_format=TIME_FORMAT),
        by_text=by_text,
        by_number=by_number,
    )


def _sheet(book: Workbook, formats: _Formats, table: Table, rows: list[Row], zone: tzinfo) -> None:
    """One table as a sheet, written row by row (constant memory: each row goes to disk as
    soon as the next begins). Blank values leave the cell empty. Text is always written as
    text, never as a formula: a report typed by anyone must not run in the reader's
    spreadsheet."""
    sheet = book.add_worksheet(table.title)
    header = formats.get(**HEADER_STYLE)
    for position, column in enumerate(table.columns):
        sheet.set_column(position, position, column.width)
        sheet.write_string(0, position, column.name, header)
    columns = [
        (position, column.name, _column_style(formats, column))
        for position, column in enumerate(table.columns)
    ]
    write_string, write_number, write_datetime = (
        sheet.write_string,
        sheet.write_number,
        sheet.write_datetime,
    )
    for index, row in enumerate(rows, start=1):
        for position, name, style in columns:
            value = row[name]
            kind = value.__class__  # exact classes, most common first: this runs per cell
            if kind is str:
                if value:
                    write_string(index, position, value, style.by_text.get(value, style.plain))
            elif kind is datetime:
                write_datetime(index, position, _local(value, zone), style.time)
            elif kind is date:
                write_datetime(index, position, value, style.date)
            elif kind is int:
                write_number(index, position, value, style.by_number.get(value, style.plain))
            elif value is not None and (text := str(value)):
                write_string(index, position, text, style.by_text.get(text, style.plain))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(table.columns) - 1)
    # Printed, each page repeats the header row, and the table fits one landscape page wide.
    sheet.repeat_rows(0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)


def _about(
    book: Workbook, formats: _Formats, *, generated: datetime, zone: tzinfo, provider: str
) -> None:
    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 60)
    lines: list[tuple[str, Any]] = [
        ("Go-live governance records", ""),
        ("Provider", provider),
        ("Exported", _local(generated, zone)),
        ("Times shown in", str(zone)),
        ("Bands (NHS 5x5)", "Low 1-3, moderate 4-6, high 8-12, extreme 15-25"),
    ]
    lines.extend((t.title, f"{len(t.columns)} columns") for t in WORKBOOK_TABLES)
    trail_file = file_name(AUDIT_TRAIL.name, generated.astimezone(zone).date(), "csv")
    lines.append(
        (AUDIT_TRAIL.title, f"In its own file, {trail_file}, which comes with this workbook")
    )
    title = formats.get(bold=True, font_size=14)
    for index, (label, value) in enumerate(lines):
        sheet.write_string(index, 0, label, title if index == 0 else None)
        if isinstance(value, datetime):
            sheet.write_datetime(index, 1, value, formats.get(num_format=TIME_FORMAT))
        elif value:
            sheet.write_string(index, 1, value)


def _write_workbook(
    session: Session,
    target: str | io.BytesIO,
    *,
    generated: datetime,
    zone: tzinfo,
    provider: str,
    reveal: bool,
) -> None:
    """The whole record but the audit trail as one workbook: an About sheet, then a sheet per
    table. The audit trail goes in its own CSV file (``audit_trail_file``)."""
    book = Workbook(target, {"constant_memory": True})
    book.set_properties({"title": "Go-live governance records", "author": "golive"})
    formats = _Formats(book)
    _about(book, formats, generated=generated, zone=zone, provider=provider)
    for table in WORKBOOK_TABLES:
        _sheet(book, formats, table, table_rows(session, table, reveal=reveal), zone)
    book.close()


def workbook_bytes(
    session: Session,
    *,
    generated: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    reveal: bool = False,
) -> bytes:
    """The workbook as bytes, for an upload to Slack."""
    buffer = io.BytesIO()
    _write_workbook(
        session, buffer, generated=generated, zone=zone, provider=provider, reveal=reveal
    )
    return buffer.getvalue()


def write_xlsx(
    session: Session,
    path: Path,
    *,
    generated: datetime,
    zone: tzinfo = UTC,
    provider: str = "",
    reveal: bool = False,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_workbook(
        session, str(path), generated=generated, zone=zone, provider=provider, reveal=reveal
    )
    return path
