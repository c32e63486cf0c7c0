"""``kefu import kb``: FAQ entries from a spreadsheet, as a batch (``kefu export kb`` writes
them back: kb/commands.py).

Rows are matched to existing entries by id, else by the same question, and otherwise become
new entries. Each write adds a history row (action ``import``) like the console's import does;
the batch can be rolled back (new entries removed, changed ones restored). Published entries
bump the KB revision, so running servers reload their index.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.db import Database, upgrade
from core.imports.batches import BatchWriter
from core.imports.columns import ColumnMap, Field
from core.imports.runner import Outcome, run
from core.imports.tabular import Row, cell_text
from kb import entries
from kb.authoring import new_id
from kb.checks import EntryProblem, check_entry
from kb.entries import REVISION_COUNTER, Stored
from kb.types import EntryIn

AUTHOR = "import"
_SIMILAR_SPLIT = re.compile(r"\s*(?:\||\n|；|;)\s*")
FIELDS = (
    Field("id", ("编号", "条目id", "entry id")),
    Field("question", ("问题", "标准问题", "标准问", "问法", "q")),
    Field("answer", ("答案", "回答", "回复", "标准答案", "a")),
    Field("similar", ("相似问法", "相似问题", "扩展问法", "相似问", "similar questions")),
    Field("category", ("分类", "类别")),
    Field("language", ("语言", "lang")),
    Field("group", ("分组", "组", "group key")),
)


def _key(question: str) -> str:
    return " ".join(question.casefold().split())


class KbImport:
    """Plans and writes FAQ rows (new entries, or new versions of existing ones)."""

    kind: str = "kb"
    fields: Sequence[Field] = FIELDS

    def __init__(self, *, publish: bool = True) -> None:
        self.status = "published" if publish else "draft"
        self.stored: dict[str, Stored] = {}
        self.by_question: dict[str, str] = {}
        self.lines: dict[str, int] = {}  # entry id -> line of the file that set it
        self.chunk: list[EntryIn] = []
        self.wrote = False

    def check_columns(self, cmap: ColumnMap) -> None:
        """The file needs question and answer columns."""
        cmap.require_any(("question",))
        cmap.require_any(("answer",))

    async def prepare(self, session: AsyncSession) -> None:
        """Load existing entries (the KB is small next to customers or tickets)."""
        self.stored = await entries.stored(session)
        for row in self.stored.values():
            self.by_question.setdefault(_key(row.question), row.id)

    async def plan(
        self, session: AsyncSession, rows: Sequence[Row], cmap: ColumnMap
    ) -> list[Outcome]:
        """Check each row and decide: new entry, update, unchanged or duplicate."""
        out: list[Outcome] = []
        self.chunk = []
        for row in rows:
            question = cell_text(cmap.get(row, "question"))
            entry_id = cell_text(cmap.get(row, "id")) or self.by_question.get(_key(question), "")
            entry = EntryIn(
                id=entry_id or new_id(question),
                question=question,
                answer=cell_text(cmap.get(row, "answer")),
                similar=tuple(
                    s for s in _SIMILAR_SPLIT.split(cell_text(cmap.get(row, "similar"))) if s
                ),
                category=cell_text(cmap.get(row, "category")),
                language=cell_text(cmap.get(row, "language")),
                group=cell_text(cmap.get(row, "group")) or None,
            )
            try:
                entry = check_entry(entry)
            except EntryProblem as err:
                out.append(Outcome(row.line, "rejected", str(err)))
                continue
            if entry.id in self.lines:
                out.append(
                    Outcome(
                        row.line,
                        "skipped",
                        f"duplicate of line {self.lines[entry.id]} (entry {entry.id})",
                    )
                )
                continue
            self.lines[entry.id] = row.line
            self.by_question.setdefault(_key(entry.question), entry.id)
            stored = self.stored.get(entry.id)
            if stored is None:
                self.chunk.append(entry)
                out.append(Outcome(row.line, "created", f"entry {entry.id}"))
            elif stored.same(entry, self.status):
                out.append(Outcome(row.line, "skipped", f"entry {entry.id} is unchanged"))
            else:
                self.chunk.append(entry)
                out.append(Outcome(row.line, "merged", f"new version of entry {entry.id}"))
        return out

    async def apply(self, session: AsyncSession, writer: BatchWriter) -> None:
        """Write the chunk's entries and their history rows (kept for a rollback)."""
        saved = await entries.save(
            session,
            self.chunk,
            status=self.status,
            action="import",
            author=AUTHOR,
        )
        for s in saved:
            if s.before is None:
                writer.created("kb_entries", [s.after.id])
            else:
                writer.updated("kb_entries", s.after.id, s.before.columns())
        writer.created("kb_entry_versions", [s.history_id for s in saved])
        self.wrote = self.wrote or bool(saved)
        self.chunk = []

    async def finish(self, session: AsyncSession, writer: BatchWriter) -> dict[str, int]:
        """Bump the KB revision so servers reload (and again when rolled back)."""
        if self.wrote:
            await entries.bump_revision(session)
            writer.bump(REVISION_COUNTER)
        return {}


def add_arguments(imp_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``kb`` to the ``kefu import`` subcommands."""
    from core.imports.commands import add_file_options

    p = imp_sub.add_parser("kb", help="FAQ entries: question, answer, similar, category")
    add_file_options(p)
    p.add_argument("--draft", action="store_true", help="import as drafts (not answering yet)")


async def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``kefu import kb FILE``."""
    from core.imports.commands import options, print_result

    opts = options(args)
    db = Database(settings.database_url)
    try:
        await upgrade(settings.database_url)
        result = await run(db, KbImport(publish=not args.draft), args.file, opts)
    finally:
        await db.dispose()
    print_result(result, opts)
    return 0
