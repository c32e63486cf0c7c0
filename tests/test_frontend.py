"""The console's and the widget's JavaScript: small ES modules that share state by importing
each other, never through globals (issue 20), and whose imports all resolve.

The browser tests (tests/e2e) drive the pages; these checks read the files, so a module over
the size limit, a global set for another file, or an import of a missing name fails here
without a browser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Where each static folder is served (core/app.py, handoff/routes.py, channels/webchat).
SERVED = {
    "/assets/": ROOT / "core" / "static",
    "/agent/": ROOT / "handoff" / "static",
    "/webchat/": ROOT / "channels" / "webchat" / "static",
}
MAX_LINES = 400
# Globals a file may set, each with the reason. Empty: the widget's loader starts it through
# an import, the console's plug-ins import console/kit.js. An embed API for customers' pages
# (say window.KefuWidget) would be the one entry to add here, with its file.
ALLOWED_GLOBALS: dict[str, str] = {}

SETS_GLOBAL = re.compile(
    r"\b(?:window|globalThis|self)\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[[^\]]*\])\s*=(?!=)"
)
IMPORT = re.compile(
    r"""^\s*import\s+(?:\{([^}]*)\}\s+from\s+|[\w$*\s,]*\s+from\s+)?["']([^"']+)["']""",
    re.M,
)
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["']([^"']+)["']\s*\)""")


def scripts() -> list[Path]:
    """Every JavaScript file the server hands to browsers."""
    return sorted(p for d in SERVED.values() for p in d.rglob("*.js"))


def resolve(importer: Path, spec: str) -> Path:
    """The file an import specifier names, as the browser resolves it against our routes."""
    for prefix, folder in SERVED.items():
        if spec.startswith(prefix):
            return folder / spec[len(prefix) :]
    assert spec.startswith("."), f"{importer.name}: {spec} is neither ours nor relative"
    return (importer.parent / spec).resolve()


def exported(module: Path) -> set[str]:
    text = module.read_text(encoding="utf-8")
    names = set(
        re.findall(r"^export\s+(?:async\s+)?(?:function|const|let|class)\s+([\w$]+)", text, re.M)
    )
    for group in re.findall(r"^export\s*\{([^}]*)\}", text, re.M):
        names |= {part.split(" as ")[-1].strip() for part in group.split(",") if part.strip()}
    return names


def test_no_script_is_over_the_size_limit() -> None:
    found = scripts()
    assert len(found) > 40  # the scan sees the console, its pages, the widget and the kit
    long = {
        str(p.relative_to(ROOT)): n
        for p in found
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these into modules of at most {MAX_LINES} lines: {long}"


def test_no_script_sets_a_global_for_another_file() -> None:
    offenders = []
    for path in scripts():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(("//", "*", "/*")):
                continue
            for match in SETS_GLOBAL.finditer(line):
                if ALLOWED_GLOBALS.get(match.group(1) or "") != path.name:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "share through an import instead:\n" + "\n".join(offenders)


def test_the_global_check_catches_what_it_is_for() -> None:
    assert SETS_GLOBAL.search("window.kefuConsole = { hooks };")
    assert SETS_GLOBAL.search('  window["kefuErrorText"] = f;')
    assert SETS_GLOBAL.search("globalThis.K=1")
    assert not SETS_GLOBAL.search("if (window.kefuConsole === undefined) return;")
    assert not SETS_GLOBAL.search("const w = window.innerWidth;")


def test_every_import_names_a_module_and_what_it_exports() -> None:
    problems = []
    for path in scripts():
        text = path.read_text(encoding="utf-8")
        specs = [(m.group(2), m.group(1)) for m in IMPORT.finditer(text)]
        specs += [(spec, None) for spec in DYNAMIC_IMPORT.findall(text)]
        for spec, names in specs:
            target = resolve(path, spec)
            if not target.is_file():
                problems.append(f"{path.relative_to(ROOT)}: {spec} does not exist")
                continue
            wanted = {n.split(" as ")[0].strip() for n in (names or "").split(",") if n.strip()}
            missing = wanted - exported(target)
            if missing:
                problems.append(f"{path.relative_to(ROOT)}: {spec} exports no {sorted(missing)}")
    assert problems == [], "\n".join(problems)


def test_console_pages_load_their_scripts_as_modules() -> None:
    pages = sorted((ROOT / "handoff" / "static").glob("*.html"))
    assert len(pages) > 10
    for page in pages:
        tags = re.findall(r"<script\b[^>]*>", page.read_text(encoding="utf-8"))
        assert tags, page.name
        for tag in tags:
            assert 'type="module"' in tag and "/agent/" in tag, f"{page.name}: {tag}"


async def test_the_widget_and_its_modules_are_served_to_other_sites(client: Any) -> None:
    """The embed snippet's widget.js loads widget/main.js, which imports the shared kit:
    each is JavaScript any site may load (CORS), and the code that talks to the server is
    among them."""
    loader = await client.get("/webchat/widget.js")
    assert loader.status == 200 and "widget/main.js" in await loader.text()
    for path in ("/webchat/widget/main.js", "/webchat/widget/socket.js", "/assets/dom.js"):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert "javascript" in resp.headers["Content-Type"], path
        assert resp.headers["Access-Control-Allow-Origin"] == "*", path
        assert resp.headers["Cache-Control"] == "no-cache", path  # no stale module beside a new one
    socket = await client.get("/webchat/widget/socket.js")
    assert "WebSocket" in await socket.text()
    console = await client.get("/agent/console/core.js")
    assert console.status == 200 and "Content-Security-Policy" in console.headers
    assert console.headers["Cache-Control"] == "no-cache"
