"""Spreadsheets read row by row: CSV in whatever encoding Excel saved it, and ``.xlsx`` streamed.

Nothing here loads a whole file: CSV is decoded incrementally, ``.xlsx`` is read with openpyxl's
read-only mode (cached formula values, never the formulas). Merged cells are read from the
sheet's XML first and every cell of a merged range gets the value of its top-left cell. Row
numbers are the ones Excel shows (the header row included), so a report points at the row a
person can open and fix. Blocking: run in a thread from async code.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import iterparse

from core.errors import BadRequest

Cell = str | int | float | bool | datetime | date | time | None
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
HEADER_SCAN = 10  # title rows above the header ("客户名单 2023") are skipped, up to this many
_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Row:
    """One data row: its number as Excel shows it, and its cells in column order."""

    line: int
    cells: tuple[Cell, ...]


@dataclass
class Table:
    """An open spreadsheet: the header row, then its data rows one at a time."""

    name: str
    headers: tuple[str, ...]
    header_line: int
    encoding: str  # "xlsx" for workbooks
    rows: Iterator[Row]
    size: int = 0  # what ``position`` counts up to (bytes, or rows of a workbook)
    merged_filled: int = 0
    _position: list[int] = field(default_factory=lambda: [0])
    _closers: list[Any] = field(default_factory=list)

    def fraction(self) -> float:
        """How much of the file has been read, from 0 to 1 (for the progress bar)."""
        return min(1.0, self._position[0] / self.size) if self.size else 0.0

    def close(self) -> None:
        """Release the file."""
        for c in self._closers:
            c.close()


def header_key(text: str) -> str:
    """A header as it is compared: NFKC, case-folded, no spaces, no '*' or '(必填)' notes."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】", "", text)
    return re.sub(r"[\s*:：_\-]+", "", text)


def cell_text(value: Cell) -> str:
    """A cell as text: whole numbers without '.0', dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def is_blank(cells: Iterable[Cell]) -> bool:
    """Whether every cell of a row is empty or whitespace."""
    return all(cell_text(c) == "" for c in cells)


def open_table(
    path: Path, known: Iterable[str], *, encoding: str | None = None, sheet: str | None = None
) -> Table:
    """Open a CSV or workbook and find its header row (the first row naming a known column)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadRequest(
            f"{path.name}: unknown file type {path.suffix or '(none)'!r}; use .csv or .xlsx "
            "(save .xls files as .xlsx first)."
        )
    if not path.is_file():
        raise BadRequest(f"{path}: no such file.")
    table = _open_xlsx(path, sheet) if suffix in (".xlsx", ".xlsm") else _open_csv(path, encoding)
    _find_header(table, {header_key(k) for k in known})
    return table


def _find_header(table: Table, known: set[str]) -> None:
    """Consume rows up to the header; the rows after it stay in ``table.rows``."""
    seen: list[Row] = []
    for row in table.rows:
        if is_blank(row.cells):
            continue
        seen.append(row)
        if any(header_key(cell_text(c)) in known for c in row.cells) or len(seen) >= HEADER_SCAN:
            break
    if not seen:
        table.close()
        raise BadRequest(f"{table.name}: the file has no rows.")
    header = next(
        (r for r in seen if any(header_key(cell_text(c)) in known for c in r.cells)), seen[0]
    )
    after = seen[seen.index(header) + 1 :]
    table.headers = tuple(cell_text(c) for c in header.cells)
    table.header_line = header.line
    rest = table.rows
    table.rows = iter([*after, *rest]) if after else rest


# -- CSV -------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """The file's encoding: from its BOM, else UTF-8 if it all decodes, else GB18030 (GBK)."""
    with path.open("rb") as f:
        head = f.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    for name in ("utf-8", "gb18030"):
        if _decodes(path, name):
            return name
    raise BadRequest(
        f"{path.name}: the text is neither UTF-8 nor GBK/GB18030; save it as "
        "'CSV UTF-8' in Excel, or name the encoding with --encoding."
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _open_csv(path: Path, encoding: str | None) -> Table:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise BadRequest(f"--encoding: unknown encoding {encoding!r}.") from None
    enc = encoding or detect_encoding(path)
    raw = path.open("rb")
    text = io.TextIOWrapper(raw, encoding=enc, newline="", errors="strict")
    table = Table(path.name, (), 0, enc, iter(()), size=path.stat().st_size)
    table._closers.append(text)
    table.rows = _csv_rows(text, raw, table, path.name)
    return table


def _csv_rows(text: IO[str], raw: IO[bytes], table: Table, name: str) -> Iterator[Row]:
    line = 0
    try:
        # The first line is read ahead to find the delimiter: a file whose BOM says UTF-8 but
        # whose text is not fails here, and is told like any other row.
        first = text.readline()
        delimiter = max(("\t", ";", ","), key=first.count) if first.count(",") == 0 else ","
        reader = csv.reader(_chain_first(first, text), delimiter=delimiter)
        for cells in reader:
            line += 1
            table._position[0] = raw.tell()
            yield Row(line, tuple(cells))
    except UnicodeDecodeError as err:
        raise BadRequest(
            f"{name}: row {line + 1} is not valid {table.encoding} text ({err.reason}); "
            "name the encoding with --encoding."
        ) from None
    except csv.Error as err:
        raise BadRequest(f"{name}: row {line + 1} is not valid CSV ({err}).") from None


def _chain_first(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


# -- xlsx ------------------------------------------------------------------------------


def _open_xlsx(path: Path, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise BadRequest(f"{path.name}: not a readable .xlsx workbook ({err}).") from None
    if sheet is not None and sheet not in wb.sheetnames:
        wb.close()
        raise BadRequest(
            f"{path.name}: no sheet {sheet!r}; the sheets are: {', '.join(wb.sheetnames)}."
        )
    ws = wb[sheet] if sheet is not None else wb.worksheets[0]
    merged = _merged_ranges(wb, ws)
    total = ws.max_row or 0
    ws.reset_dimensions()  # a wrong <dimension> must not cut the sheet short
    table = Table(f"{path.name} [{ws.title}]", (), 0, "xlsx", iter(()), size=total)
    table._closers.append(wb)
    table.rows = _xlsx_rows(ws, merged, table)
    return table


def _merged_ranges(wb: Any, ws: Any) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of every merged range, 1-based, from the XML."""
    from openpyxl.utils.cell import range_boundaries

    archive = getattr(wb, "_archive", None)
    member = getattr(ws, "_worksheet_path", None)
    if archive is None or member is None:
        return []
    out: list[tuple[int, int, int, int]] = []
    with archive.open(member) as f:
        for _event, el in iterparse(f):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "mergeCell" and el.get("ref"):
                c1, r1, c2, r2 = range_boundaries(el.get("ref"))
                out.append((r1, c1, r2, c2))
            elif tag == "row":
                el.clear()  # sheet data is not kept: only the merge list at the end matters
    return out


def _xlsx_rows(ws: Any, merged: list[tuple[int, int, int, int]], table: Table) -> Iterator[Row]:
    # Ranges by first row; a range's top-left value is held only while its rows are read.
    starts: dict[int, list[tuple[int, int, int, int]]] = {}
    for rng in merged:
        starts.setdefault(rng[0], []).append(rng)
    active: list[tuple[tuple[int, int, int, int], Cell]] = []
    for line, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
        table._position[0] = line
        cells = list(values)
        for rng in starts.pop(line, []):
            top_left = cells[rng[1] - 1] if len(cells) >= rng[1] else None
            active.append((rng, top_left))
        active = [(rng, v) for rng, v in active if rng[2] >= line]
        for (r1, c1, _r2, c2), value in active:
            if len(cells) < c2:
                cells.extend([None] * (c2 - len(cells)))
            for col in range(c1, c2 + 1):
                if (line, col) != (r1, c1) and cells[col - 1] is None and value is not None:
                    cells[col - 1] = value
                    table.merged_filled += 1
        yield Row(line, tuple(cells))
