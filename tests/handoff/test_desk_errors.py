"""One language at a time (issue 15): every error code a console route can answer has a
Chinese and an English wording in the console, so an agent never reads the server's
English message ("Another agent holds this conversation.") inside the Chinese console."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "handoff" / "static"
CODE = re.compile(r'code="([a-z_]+)"')
# Modules whose errors reach the console's routes besides handoff/ itself.
ALSO = ("intake/lifecycle.py", "intake/tickets.py", "privacy/view.py", "privacy/routes.py")
# The defaults of core.errors' classes (an error raised without a code of its own).
DEFAULTS = {"bad_request", "forbidden", "not_found", "conflict", "internal_error", "too_large"}


def console_codes() -> set[str]:
    # handoff/prechat.py answers the web chat widget, which words its own errors (profile.js).
    own = [f for f in sorted((ROOT / "handoff").glob("*.py")) if f.name != "prechat.py"]
    files = [*own, *(ROOT / p for p in ALSO)]
    return {c for f in files for c in CODE.findall(f.read_text(encoding="utf-8"))} | DEFAULTS


def worded(lang: str) -> set[str]:
    """The codes the console's error tables word in ``lang``."""
    out: set[str] = set()
    for name in ("errors.js", "desk_errors.js"):
        text = (STATIC / name).read_text(encoding="utf-8")
        for block in re.finditer(rf"\n\s*{lang}: \{{(.*?)\n\s*\}}", text, re.S):
            out |= set(re.findall(r"^\s*([a-z_]+):", block.group(1), re.M))
    return out


def test_every_console_error_code_is_worded_in_chinese_and_english() -> None:
    codes = console_codes()
    assert "held_by_other" in codes and "bad_phone" in codes  # the scan finds them
    for lang in ("zh", "en"):
        missing = sorted(codes - worded(lang))
        assert missing == [], f"{lang}: {missing}"


def test_the_console_asks_errors_js_which_asks_the_extra_wordings() -> None:
    errors = (STATIC / "errors.js").read_text(encoding="utf-8")
    assert 'import { MORE } from "./desk_errors.js";' in errors
    assert "for (const tables of [MORE, ERRORS])" in errors
    core = (STATIC / "console" / "core.js").read_text(encoding="utf-8")
    assert 'import { errorText } from "../errors.js";' in core
