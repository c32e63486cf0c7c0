"""Writing calibrated values back into ``kefu.toml`` (``kefu kb eval --calibrate``), line by
line, so the user's comments, order and other sections stay as they wrote them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path


def write_section(path: Path, section: str, values: Mapping[str, float | str]) -> None:
    """Set keys of one ``[section]`` in a TOML file, keeping every other line as it was."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    rendered = {
        k: json.dumps(v) if isinstance(v, str) else repr(float(v)) for k, v in values.items()
    }
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {v}" for k, v in rendered.items())
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
            len(lines),
        )
        todo = dict(rendered)
        for i in range(start + 1, end):
            m = re.match(r"^\s*([A-Za-z0-9_]+)\s*=", lines[i])
            if m and m.group(1) in todo:
                lines[i] = f"{m.group(1)} = {todo.pop(m.group(1))}"
        last = end
        while last > start + 1 and not lines[last - 1].strip():
            last -= 1
        lines[last:last] = [f"{k} = {v}" for k, v in todo.items()]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
