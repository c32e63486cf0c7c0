"""Which column holds which field: common Chinese and English headers, or an explicit mapping.

An explicit mapping comes from ``--map 客户姓名=name`` flags or a TOML file::

    [columns]
    "客户姓名" = "name"
    "联系电话" = "phone"

A mapping that names a column the file does not have, or a field that does not exist, stops
the import before anything is read, with the file's real columns in the message.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import BadRequest
from core.imports.tabular import Cell, Row, Table, header_key


@dataclass(frozen=True)
class Field:
    """A field an importer fills, and the headers that mean it without a mapping."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnMap:
    """Field name -> column index for one file, and the columns nobody reads."""

    table: str
    index: dict[str, int]
    headers: tuple[str, ...]
    ignored: tuple[str, ...]

    def get(self, row: Row, name: str) -> Cell:
        """The row's cell for a field (None when the field has no column or the row is short)."""
        i = self.index.get(name)
        return row.cells[i] if i is not None and i < len(row.cells) else None

    def has(self, name: str) -> bool:
        """Whether some column holds the field."""
        return name in self.index

    def require_any(self, names: Sequence[str]) -> None:
        """BadRequest naming the file's columns when none of ``names`` has a column."""
        if not any(n in self.index for n in names):
            wanted = " or ".join(names)
            raise BadRequest(
                f"{self.table}: no column for {wanted}. The file's columns are: "
                f"{_listing(self.headers)}. Map one with --map COLUMN={names[0]}."
            )


def known_headers(fields: Sequence[Field], explicit: dict[str, str]) -> list[str]:
    """Every header that marks the header row (aliases, field names, mapped columns)."""
    return [*(a for f in fields for a in (f.name, *f.aliases)), *explicit]


def parse_flags(values: Sequence[str]) -> dict[str, str]:
    """``["客户姓名=name", ...]`` as {column: field}; BadRequest on a malformed flag."""
    out: dict[str, str] = {}
    for value in values:
        column, sep, name = value.rpartition("=")
        if not sep or not column.strip() or not name.strip():
            raise BadRequest(f"--map {value!r}: write it as COLUMN=FIELD, e.g. --map 姓名=name.")
        out[column.strip()] = name.strip()
    return out


def load_mapping(path: Path) -> dict[str, str]:
    """A TOML mapping file's ``[columns]`` table (or its top-level keys) as {column: field}."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise BadRequest(f"{path}: cannot read the mapping file ({err.strerror or err}).") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise BadRequest(f"{path}: not a valid TOML mapping file ({err}).") from err
    table = data.get("columns", data)
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in table.items()
    ):
        raise BadRequest(f'{path}: write the mapping as [columns] "COLUMN" = "field" lines.')
    return dict(table)


def resolve(table: Table, fields: Sequence[Field], explicit: dict[str, str]) -> ColumnMap:
    """Each field's column: the explicit mapping first, then the known headers."""
    names = {f.name for f in fields}
    keys = [header_key(h) for h in table.headers]
    index: dict[str, int] = {}
    for column, name in explicit.items():
        if name not in names:
            raise BadRequest(
                f"mapping {column}={name}: there is no field {name!r}; the fields are: "
                f"{', '.join(f.name for f in fields)}."
            )
        hits = [i for i, k in enumerate(keys) if k == header_key(column)]
        if not hits:
            raise BadRequest(
                f"mapping {column}={name}: {table.name} has no column {column!r}. "
                f"Its columns are: {_listing(table.headers)}."
            )
        if len(hits) > 1:
            raise BadRequest(f"{table.name}: the column {column!r} appears {len(hits)} times.")
        if name in index:
            raise BadRequest(f"mapping: two columns are mapped to {name!r}.")
        index[name] = hits[0]
    used = set(index.values())
    for f in fields:
        if f.name in index:
            continue
        wanted = {header_key(a) for a in (f.name, *f.aliases)}
        hit = next((i for i, k in enumerate(keys) if k in wanted and i not in used), None)
        if hit is not None:
            index[f.name] = hit
            used.add(hit)
    ignored = tuple(h for i, h in enumerate(table.headers) if i not in used and h.strip())
    return ColumnMap(table.name, index, table.headers, ignored)


def _listing(headers: Sequence[str]) -> str:
    shown = [h for h in headers if h.strip()]
    return ", ".join(shown) if shown else "(none: the header row is empty)"
