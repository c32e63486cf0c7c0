"""The shared parts of ``kefu import``: options, the printed summary, ``list`` and ``rollback``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO

from core.config import Settings
from core.db import Database, upgrade
from core.imports import batches
from core.imports.columns import load_mapping, parse_flags
from core.imports.runner import ACTIONS, Options, Result


def add_file_options(p: argparse.ArgumentParser) -> None:
    """The options every ``kefu import KIND FILE`` takes."""
    p.add_argument(
        "file", type=Path, help=".csv (UTF-8, GBK/GB18030, with or without BOM) or .xlsx"
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read FIELD from the column COLUMN (repeatable), e.g. --map 客户姓名=name",
    )
    p.add_argument("--mapping", type=Path, help='TOML file: [columns] "COLUMN" = "field"')
    p.add_argument(
        "--dry-run", action="store_true", help="report what would happen; change nothing"
    )
    p.add_argument("--sample", type=int, metavar="N", help="import only the first N rows")
    p.add_argument("--report", type=Path, metavar="FILE.csv", help="write every row's outcome")
    p.add_argument("--encoding", help="CSV encoding (default: detected: UTF-8 or GB18030)")
    p.add_argument("--sheet", help="worksheet of an .xlsx file (default: the first)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def add_batch_commands(imp_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``kefu import list`` and ``kefu import rollback BATCH``."""
    imp_sub.add_parser("list", help="show recent import batches")
    rb = imp_sub.add_parser("rollback", help="remove everything an import batch created")
    rb.add_argument("batch", type=int, help="the batch id printed at the end of the import")


def options(args: argparse.Namespace) -> Options:
    """Options from parsed arguments (the mapping file first, --map flags override it)."""
    mapping = load_mapping(args.mapping) if args.mapping else {}
    mapping.update(parse_flags(args.map))
    return Options(
        dry_run=args.dry_run,
        sample=args.sample,
        report=args.report,
        encoding=args.encoding,
        sheet=args.sheet,
        mapping=mapping,
        progress=not args.no_progress,
    )


def print_result(result: Result, opts: Options, out: IO[str] | None = None) -> None:
    """The summary a person reads after an import or a dry run."""
    out = out or sys.stdout
    c = result.counts
    head = "dry run (nothing was changed)" if result.dry_run else "imported"
    print(f"{head}: {result.kind} from {result.file} (encoding {result.encoding})", file=out)
    if result.ignored_columns:
        print(f"  columns not imported: {', '.join(result.ignored_columns)}", file=out)
    if result.merged_cells:
        print(f"  merged cells filled from their top-left cell: {result.merged_cells}", file=out)
    print(f"  rows read: {c['rows']} (empty rows skipped: {c['empty']})", file=out)
    verb = "would be " if result.dry_run else ""
    for action in ACTIONS:
        print(f"  {verb}{action}: {c[action]}", file=out)
    extras = {k: v for k, v in c.items() if k not in (*ACTIONS, "rows", "empty", "review")}
    for key, value in sorted(extras.items()):
        print(f"  {key.replace('_', ' ')}: {value}", file=out)
    if c["review"]:
        print(f"  to review (possible duplicates, not merged): {c['review']}", file=out)
    for action in ("rejected", "merged", "skipped"):
        shown = result.shown.get(action, [])
        if shown:
            print(f"{action}:", file=out)
            for o in shown:
                print(f"  line {o.line}: {o.detail}", file=out)
            if c[action] > len(shown):
                print(f"  ... and {c[action] - len(shown)} more (see --report)", file=out)
    if result.review:
        print("review:", file=out)
        for o in result.review:
            print(f"  line {o.line}: {o.review}", file=out)
        if c["review"] > len(result.review):
            print(f"  ... and {c['review'] - len(result.review)} more (see --report)", file=out)
    if opts.report:
        print(f"report: {opts.report}", file=out)
    if result.batch_id is not None:
        print(
            f"batch {result.batch_id} (undo with: kefu import rollback {result.batch_id})",
            file=out,
        )


async def run_batch_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``kefu import list`` or ``kefu import rollback BATCH``."""
    db = Database(settings.database_url)
    try:
        await upgrade(settings.database_url)
        if args.import_command == "list":
            rows = await batches.batches(db)
            if not rows:
                print("no import batches yet")
            for b in rows:
                counts = ", ".join(f"{k} {v}" for k, v in b.counts.items() if k in ACTIONS)
                sample = f" sample {b.sample}" if b.sample else ""
                print(
                    f"{b.id:>5}  {b.created_at:%Y-%m-%d %H:%M}  {b.kind:<9} {b.status:<11}"
                    f" {b.file_name}{sample}: {counts}"
                )
            return 0
        done = await batches.rollback(db, args.batch)
        removed = ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in done.deleted.items())
        print(
            f"rolled back batch {done.batch_id} ({done.kind}): removed {removed or 'nothing'}; "
            f"restored {done.restored} changed rows"
        )
        return 0
    finally:
        await db.dispose()
