"""The import rules of ../shared/ARCHITECTURE.md hold for every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"core", "bot", "channels", "intake", "kb", "handoff", "api"}
ALLOWED = {
    "core": {"core"},
    "channels": {"core", "channels"},
    "kb": {"core", "kb"},
    "bot": {"core", "kb", "bot"},
    "intake": {"core", "intake"},
    "handoff": {"core", "intake", "kb", "handoff"},
    "api": {"core", "intake", "kb", "handoff", "api"},
}
WIRING = {"core/app.py", "core/cli.py"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_what_they_may(package: str) -> None:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in WIRING:
            continue
        extra = imported_packages(path) - ALLOWED[package]
        if extra:
            bad.append(f"{rel} imports {sorted(extra)}")
    assert not bad, "; ".join(bad)


def test_core_never_imports_a_concrete_channel() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        assert "channels.webchat" not in path.read_text(encoding="utf-8"), path


def test_channels_use_no_orm_model_and_open_no_session() -> None:
    """The channel contract: a channel reaches storage only through core's typed calls
    (core/inbound.py, core/channel_store.py, core/leases.py), never the ORM or a session."""
    bad = []
    for path in sorted((ROOT / "channels").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "core.models" or node.module.startswith("sqlalchemy"):
                    bad.append(f"{path.relative_to(ROOT)} imports {node.module}")
            elif isinstance(node, ast.Import):
                bad += [
                    f"{path.relative_to(ROOT)} imports {a.name}"
                    for a in node.names
                    if a.name.startswith("sqlalchemy")
                ]
        for call in (".reader()", ".transaction()"):
            if call in text:
                bad.append(f"{path.relative_to(ROOT)} opens a session ({call})")
    assert not bad, "; ".join(bad)
