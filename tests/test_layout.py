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
WIRING = {"core/app.py", "core/cli.py", "core/schema.py", "core/migrations/env.py"}


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


def module_imports(path: Path, modules: set[str]) -> set[str]:
    """Our modules ``path`` imports, at any depth (inside functions and ``if`` blocks too):
    ``from a import b`` counts as ``a.b`` when that is a module, else as ``a``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names} & modules
            found |= subs or {node.module}
    return found & modules


def import_cycles(packages: set[str]) -> list[list[str]]:
    """The import circles among the modules of ``packages`` (strongly connected parts of
    the import graph with more than one module, or a module importing itself)."""
    paths = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for package in packages
        for p in (ROOT / package).rglob("*.py")
    }
    graph = {m: module_imports(p, set(paths)) for m, p in paths.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:  # Tarjan's strongly connected components
        index[m] = low[m] = len(index)
        stack.append(m)
        for n in graph[m]:
            if n not in index:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in stack:
                low[m] = min(low[m], index[n])
        if low[m] == index[m]:
            part = [stack.pop()]
            while part[-1] != m:
                part.append(stack.pop())
            if len(part) > 1 or m in graph[m]:
                cycles.append(sorted(part))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return cycles


# Every package is held to "no import circle" (imports inside functions count too).
NO_CYCLES = OURS | {"privacy"}


def test_no_import_circles() -> None:
    assert import_cycles(NO_CYCLES) == []


def test_no_private_name_is_imported_from_another_module() -> None:
    """A helper two modules share is public (``handoff/http.py``), never ``_agent``."""
    bad = []
    for package in sorted(NO_CYCLES):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [a.name for a in node.names if a.name.startswith("_")]
                    bad += [f"{path.relative_to(ROOT)}: {node.module}.{n}" for n in names]
    assert not bad, "; ".join(bad)


TABLES = {"intake.tables", "handoff.tables", "kb.tables", "api.tables", "privacy.tables"}


def handles_requests(tree: ast.Module) -> bool:
    """A route module: it defines a handler taking an aiohttp ``web.Request``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            for arg in node.args.args:
                if arg.annotation is not None and "Request" in ast.unparse(arg.annotation):
                    return True
    return False


def test_each_package_mounts_its_urls_from_one_table() -> None:
    """A package's URLs are read in one place, its ``routes.py`` (Starlette's style); a
    channel mounts its own webhook URLs in its adapter, the app factory its health checks."""
    bad = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        package = rel.split("/")[0]
        if package in {"tests", "bench", ".venv", "channels"} or rel in WIRING:
            continue
        if path.name == "routes.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "router.add_" in text or "add_routes(" in text:
            bad.append(rel)
    assert not bad, f"URLs mounted outside a routes.py: {bad}"


# Where a package still names another's tables, and why: the alert dispatcher (handoff) joins
# each delivery to its alert (intake) to word the message it sends, and a delivery's foreign
# key names the alerts' table.
FOREIGN_TABLES = {("handoff/alerts.py", "intake.tables"), ("handoff/tables.py", "intake.tables")}


def test_nothing_outside_a_package_touches_its_tables() -> None:
    """``<package>/tables.py`` is imported by that package only (through its functions for
    anyone else): no route module, no channel, no service of another package. privacy's
    services read every table on purpose (export and erasure of one person), its routes do
    not; ``core/schema.py`` gathers them all for the migrations."""
    bad = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        package = rel.split("/")[0]
        if package in {"tests", "bench", ".venv"} or rel in WIRING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if package == "privacy" and not handles_requests(tree):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in TABLES:
                names = {node.module}
            elif isinstance(node, ast.Import):
                names = {a.name for a in node.names} & TABLES
            else:
                continue
            for module in names:
                owner = module.split(".")[0]
                if owner != package and (rel, module) not in FOREIGN_TABLES:
                    bad.append(f"{rel} imports {module}")
    assert not bad, "; ".join(bad)


def test_no_module_is_over_400_lines() -> None:
    """A module a newcomer can read at one sitting: the product, its tests, the benchmarks and
    the front-end scripts, all but the generated migrations (issue 20)."""
    tracked = [
        p
        for pattern in ("**/*.py", "**/*.js")
        for p in ROOT.glob(pattern)
        if not {".venv", "node_modules", "migrations", ".git"} & set(p.relative_to(ROOT).parts)
    ]
    assert len(tracked) > 300
    long = {
        str(p.relative_to(ROOT)): n
        for p in tracked
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
