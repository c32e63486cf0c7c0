"""Running one import: read the file in chunks, plan each chunk, write it, all in one transaction.

A real import is one database transaction: the batch record, its rows and its items commit
together or not at all, so an error (or a crash) halfway leaves nothing behind. A dry run
plans the same chunks through the same code on a read-only session and writes nothing: what
it reports is what the import will do. The importer keeps what earlier rows of the file
planned, so duplicates inside the file are found the same way in both.
"""

from __future__ import annotations

import asyncio
import csv
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.errors import BadRequest, KefuError
from core.imports.batches import BatchWriter
from core.imports.columns import ColumnMap, Field, known_headers, resolve
from core.imports.tabular import Row, Table, is_blank, open_table
from core.models import ImportBatch

CHUNK = 500
ACTIONS = ("created", "merged", "skipped", "rejected")
SHOWN = 20  # problems listed on the terminal per action; the report file has them all


@dataclass
class Outcome:
    """What happens to one row: created, merged, skipped or rejected, and why."""

    line: int
    action: str
    detail: str = ""
    review: str = ""  # a possible duplicate a person should look at (never merged by itself)


class Importer(Protocol):
    """One kind of import (customers, tickets, kb): plans rows, then writes them."""

    kind: str
    fields: Sequence[Field]

    def check_columns(self, cmap: ColumnMap) -> None:
        """BadRequest when the file lacks a column this import needs."""

    async def prepare(self, session: AsyncSession) -> None:
        """Load what planning compares rows with (read-only)."""

    async def plan(
        self, session: AsyncSession, rows: Sequence[Row], cmap: ColumnMap
    ) -> list[Outcome]:
        """Decide each row's outcome (read-only; remembers the chunk for ``apply``)."""

    async def apply(self, session: AsyncSession, writer: BatchWriter) -> None:
        """Write the last planned chunk, recording what was created or changed."""

    async def finish(self, session: AsyncSession, writer: BatchWriter) -> dict[str, int]:
        """Final writes after the last chunk; extra counts for the summary."""


@dataclass(frozen=True)
class Options:
    """How to run an import."""

    dry_run: bool = False
    sample: int | None = None
    report: Path | None = None
    encoding: str | None = None
    sheet: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    progress: bool = True


@dataclass
class Result:
    """The outcome of an import: counts, the first problems, the batch id (None if dry run)."""

    kind: str
    file: str
    encoding: str
    dry_run: bool
    batch_id: int | None = None
    counts: Counter[str] = field(default_factory=Counter)
    shown: dict[str, list[Outcome]] = field(default_factory=dict)
    review: list[Outcome] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    merged_cells: int = 0

    def note(self, o: Outcome) -> None:
        """Count an outcome and keep the first few of each kind for the terminal."""
        self.counts[o.action] += 1
        if o.action != "created":
            kept = self.shown.setdefault(o.action, [])
            if len(kept) < SHOWN:
                kept.append(o)
        if o.review:
            self.counts["review"] += 1
            if len(self.review) < SHOWN:
                self.review.append(o)


async def run(db: Database, importer: Importer, path: Path, options: Options) -> Result:
    """Import (or dry-run) one file as one batch; the batch id is in the result."""
    if options.sample is not None and options.sample < 1:
        raise BadRequest("--sample must be at least 1.")
    known = known_headers(importer.fields, options.mapping)
    table = await asyncio.to_thread(
        open_table, path, known, encoding=options.encoding, sheet=options.sheet
    )
    progress = Progress(table, importer.kind, enabled=options.progress)
    report = _Report(options.report) if options.report else None
    try:
        cmap = resolve(table, importer.fields, options.mapping)
        importer.check_columns(cmap)
        result = Result(
            importer.kind,
            table.name,
            table.encoding,
            options.dry_run,
            ignored_columns=cmap.ignored,
        )
        session_cm: AbstractAsyncContextManager[AsyncSession] = (
            db.reader() if options.dry_run else db.transaction()
        )
        line = table.header_line
        try:
            async with session_cm as session:
                writer = None
                if not options.dry_run:
                    batch = ImportBatch(
                        kind=importer.kind,
                        file_name=path.name[:255],
                        status="done",
                        sample=options.sample,
                        counts={},
                    )
                    session.add(batch)
                    await session.flush()
                    writer = BatchWriter(session, batch)
                await importer.prepare(session)
                while True:
                    limit = CHUNK
                    if options.sample is not None:
                        limit = min(CHUNK, options.sample - result.counts["rows"])
                    rows, blanks = await asyncio.to_thread(_take, table, limit)
                    result.counts["empty"] += blanks
                    if not rows:
                        break
                    line = rows[-1].line
                    result.counts["rows"] += len(rows)
                    for o in await importer.plan(session, rows, cmap):
                        result.note(o)
                        if report is not None:
                            report.write(o)
                    if writer is not None:
                        await importer.apply(session, writer)
                        await writer.flush()
                    progress.update(result.counts["rows"])
                if writer is not None:
                    result.counts.update(await importer.finish(session, writer))
                    await writer.flush()
                    result.merged_cells = table.merged_filled
                    batch.counts = _counts(result)
                    result.batch_id = batch.id
                else:
                    result.merged_cells = table.merged_filled
        except SQLAlchemyError as err:
            raise KefuError(
                f"{table.name}: the import failed near row {line} and was undone; nothing "
                f"was imported ({type(err).__name__}: {str(err).splitlines()[0][:200]})."
            ) from err
        return result
    finally:
        progress.done()
        table.close()
        if report is not None:
            report.close()


def _counts(result: Result) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(result.counts.items())}


def _take(table: Table, limit: int) -> tuple[list[Row], int]:
    """Up to ``limit`` non-empty rows, and how many empty rows were passed over."""
    rows: list[Row] = []
    blanks = 0
    if limit <= 0:
        return rows, blanks
    for row in table.rows:
        if is_blank(row.cells):
            blanks += 1
            continue
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows, blanks


class _Report:
    """The ``--report`` CSV (UTF-8 with BOM, for Excel): one line per row of the file."""

    def __init__(self, path: Path) -> None:
        try:
            self._file: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        except OSError as err:
            raise BadRequest(f"--report {path}: cannot write ({err.strerror or err}).") from err
        self._csv = csv.writer(self._file)
        self._csv.writerow(["line", "action", "detail", "review"])

    def write(self, o: Outcome) -> None:
        self._csv.writerow([o.line, o.action, o.detail, o.review])

    def close(self) -> None:
        self._file.close()


class Progress:
    """A progress bar on stderr, drawn only on a terminal and at most five times a second."""

    def __init__(self, table: Table, kind: str, *, enabled: bool, out: IO[str] | None = None):
        self.out = out or sys.stderr
        self.enabled = enabled and self.out.isatty()
        self.table = table
        self.kind = kind
        self._last = 0.0
        self._drawn = False

    def update(self, rows: int) -> None:
        """Redraw with the rows read so far."""
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.2:
            return
        self._last = now
        frac = self.table.fraction()
        bar = "#" * int(frac * 30)
        self.out.write(f"\r{self.kind}: {frac * 100:5.1f}% [{bar:<30}] {rows:,} rows")
        self.out.flush()
        self._drawn = True

    def done(self) -> None:
        """End the bar's line."""
        if self._drawn:
            self.out.write("\n")
            self.out.flush()
