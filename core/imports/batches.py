"""Import batches: what each batch created or changed, and rolling a batch back completely.

Every row a batch inserts is recorded as an ``ImportItem`` (``created``), every existing row it
changes with the values it replaced (``updated``), a counter it moved with its old value
(``counter``) and a counter whose readers must notice the rollback (``bump``, e.g. the KB
revision). Rolling back deletes, restores and resets exactly those, in one transaction, and
refuses when something outside the batch has come to depend on what it created.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, next_counter
from core.errors import Conflict, NotFound
from core.models import Base, Counter, ImportBatch, ImportItem, UTCDateTime, utcnow

# Children before parents: the order rows are deleted in.
DELETE_ORDER = (
    "ticket_events",
    "tickets",
    "messages",
    "conversations",
    "products",
    "contact_identities",
    "contacts",
    "kb_entry_versions",
    "kb_entries",
    "inboxes",
)
# (child table, its column pointing at the parent, parent table): a child row the batch did
# not create means the outside world now depends on the parent, so it cannot be removed.
DEPENDENTS = (
    ("contact_identities", "contact_id", "contacts"),
    ("conversations", "contact_id", "contacts"),
    ("messages", "conversation_id", "conversations"),
    ("tickets", "conversation_id", "conversations"),
    ("products", "contact_id", "contacts"),
)
# An inbox the batch created (``import``) stays while anything else still uses it.
INBOX_USERS = (
    ("contact_identities", "inbox_id"),
    ("conversations", "inbox_id"),
    ("messages", "inbox_id"),
)
CHUNK = 500


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def jsonable(value: Any) -> Any:
    """A column value as JSON (datetimes as ISO text)."""
    return value.isoformat() if isinstance(value, datetime) else value


class BatchWriter:
    """Records what one batch does; items are written in chunks with the batch's data."""

    def __init__(self, session: AsyncSession, batch: ImportBatch) -> None:
        self.session = session
        self.batch = batch
        self._pending: list[dict[str, Any]] = []

    def created(self, table: str, row_ids: Iterable[int | str]) -> None:
        """Rows the batch inserted."""
        for rid in row_ids:
            self._add("created", table, rid, None)

    def updated(self, table: str, row_id: int | str, before: dict[str, Any]) -> None:
        """A row the batch changed, with the values it had before."""
        self._add("updated", table, row_id, {k: jsonable(v) for k, v in before.items()})

    def counter(self, name: str, before: int | None, floor: tuple[str, str] | None) -> None:
        """A counter the batch moved; ``floor`` (table, column): never reset below its max."""
        self._add("counter", "counters", name, {"value": before, "floor": floor})

    def bump(self, name: str) -> None:
        """A counter to increment on rollback (readers reload when it changes)."""
        self._add("bump", "counters", name, None)

    def _add(self, action: str, table: str, rid: int | str, before: dict[str, Any] | None) -> None:
        self._pending.append(
            {
                "batch_id": self.batch.id,
                "action": action,
                "table_name": table,
                "row_id": str(rid),
                "before": before,
            }
        )

    async def flush(self) -> None:
        """Write the recorded items."""
        if self._pending:
            await self.session.execute(_table("import_items").insert(), self._pending)
            self._pending = []


@dataclass(frozen=True)
class RolledBack:
    """What a rollback removed (rows per table) and restored."""

    batch_id: int
    kind: str
    deleted: dict[str, int]
    restored: int


async def rollback(db: Database, batch_id: int) -> RolledBack:
    """Undo batch ``batch_id`` completely (Conflict when something now depends on it)."""
    async with db.transaction() as session:
        batch = await session.get(ImportBatch, batch_id, with_for_update=True)
        if batch is None:
            raise NotFound(f"There is no import batch {batch_id} (see: kefu import list).")
        if batch.status == "rolled_back":
            when = batch.rolled_back_at.isoformat() if batch.rolled_back_at else "earlier"
            raise Conflict(f"Import batch {batch_id} was already rolled back ({when}).")
        items = (
            await session.execute(  # plain rows: a big batch has hundreds of thousands
                select(
                    ImportItem.action, ImportItem.table_name, ImportItem.row_id, ImportItem.before
                )
                .where(ImportItem.batch_id == batch_id)
                .order_by(ImportItem.id)
            )
        ).all()
        created: dict[str, list[str]] = defaultdict(list)
        for it in items:
            if it.action == "created":
                created[it.table_name].append(it.row_id)
        await _check_later_batches(session, batch_id, items)
        await _check_dependents(session, created)
        restored = 0
        for it in items:
            if it.action == "updated" and it.before:
                await _restore(session, it.table_name, it.row_id, it.before)
                restored += 1
        deleted: dict[str, int] = {}
        for name in DELETE_ORDER:
            ids = created.get(name, [])
            if name == "inboxes":
                ids = await _unused_inboxes(session, ids)
            for chunk in _chunks(_typed_ids(name, ids)):
                table = _table(name)
                await session.execute(delete(table).where(_pk(table).in_(chunk)))
            if ids:
                deleted[name] = len(ids)
        for it in items:
            if it.action == "counter":
                await _reset_counter(session, it.row_id, it.before or {})
            elif it.action == "bump":
                await next_counter(session, it.row_id)
        await session.execute(delete(ImportItem).where(ImportItem.batch_id == batch_id))
        batch.status = "rolled_back"
        batch.rolled_back_at = utcnow()
        return RolledBack(batch_id, batch.kind, deleted, restored)


async def _check_later_batches(session: AsyncSession, batch_id: int, items: Sequence[Any]) -> None:
    """A later batch that changed rows this one created or changed must be undone first."""
    mine = {(it.table_name, it.row_id) for it in items if it.action in ("created", "updated")}
    if not mine:
        return
    later = (
        await session.execute(
            select(ImportItem.batch_id, ImportItem.table_name, ImportItem.row_id)
            .join(ImportBatch, ImportBatch.id == ImportItem.batch_id)
            .where(
                ImportItem.batch_id > batch_id,
                ImportBatch.status == "done",
                ImportItem.action == "updated",
            )
        )
    ).all()
    for other, table, rid in later:
        if (table, rid) in mine:
            raise Conflict(
                f"Import batch {other} changed rows that batch {batch_id} imported; "
                f"roll back batch {other} first."
            )


async def _check_dependents(session: AsyncSession, created: dict[str, list[str]]) -> None:
    for child, column, parent in DEPENDENTS:
        parents = _typed_ids(parent, created.get(parent, []))
        if not parents:
            continue
        own = set(_typed_ids(child, created.get(child, [])))
        table = _table(child)
        for chunk in _chunks(parents):
            rows = (
                await session.execute(
                    select(_pk(table), table.c[column]).where(table.c[column].in_(chunk))
                )
            ).all()
            foreign = [(rid, pid) for rid, pid in rows if rid not in own]
            if foreign:
                later = await _batch_of(session, child, [rid for rid, _ in foreign])
                hint = (
                    f"roll back batch {later} first."
                    if later is not None
                    else "they would be lost, so the batch is not rolled back."
                )
                raise Conflict(
                    f"{len(foreign)} {child.replace('_', ' ')} recorded since the import belong "
                    f"to {parent} it created (e.g. {parent} id {foreign[0][1]}); {hint}"
                )


async def _batch_of(session: AsyncSession, table: str, ids: Sequence[Any]) -> int | None:
    """The newest live batch that created one of these rows, if any."""
    return (
        await session.execute(
            select(func.max(ImportItem.batch_id))
            .join(ImportBatch, ImportBatch.id == ImportItem.batch_id)
            .where(
                ImportBatch.status == "done",
                ImportItem.action == "created",
                ImportItem.table_name == table,
                ImportItem.row_id.in_([str(i) for i in ids[:CHUNK]]),
            )
        )
    ).scalar()


async def _unused_inboxes(session: AsyncSession, ids: Sequence[str]) -> list[str]:
    """The inboxes nothing references any more (identities, conversations, messages)."""
    unused = []
    for rid in _typed_ids("inboxes", ids):
        used = False
        for child, column in INBOX_USERS:
            table = _table(child)
            hit = await session.execute(select(_pk(table)).where(table.c[column] == rid).limit(1))
            used = used or hit.first() is not None
        if not used:
            unused.append(str(rid))
    return unused


async def _restore(session: AsyncSession, name: str, row_id: str, before: dict[str, Any]) -> None:
    table = _table(name)
    values: dict[str, Any] = {}
    for key, value in before.items():
        column = table.c[key]
        if isinstance(column.type, UTCDateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        values[key] = value
    rid = _typed_ids(name, [row_id])[0]
    await session.execute(update(table).where(_pk(table) == rid).values(**values))


async def _reset_counter(session: AsyncSession, name: str, before: dict[str, Any]) -> None:
    """The counter back to its old value, but never below what remaining rows already use."""
    value = before.get("value")
    floor = before.get("floor")
    used = None
    if floor:
        table = _table(floor[0])
        used = (await session.execute(select(func.max(table.c[floor[1]])))).scalar()
    candidates = [int(v) for v in (value, used) if v is not None]
    if not candidates:
        await session.execute(delete(Counter).where(Counter.name == name))
    else:
        stmt = update(Counter).where(Counter.name == name).values(value=max(candidates))
        await session.execute(stmt)


def _pk(table: Table) -> Any:
    return next(iter(table.primary_key.columns))


def _typed_ids(name: str, ids: Sequence[str]) -> list[Any]:
    """Row ids as the primary key's type (items store them as text)."""
    if isinstance(_pk(_table(name)).type, Integer):
        return [int(i) for i in ids]
    return list(ids)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


async def batches(db: Database, limit: int = 50) -> list[ImportBatch]:
    """The most recent import batches, newest first."""
    async with db.reader() as session:
        stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
        return list((await session.execute(stmt)).scalars())
