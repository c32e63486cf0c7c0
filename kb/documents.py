"""Manuals and troubleshooting guides (Markdown, HTML, plain text) cut into answerable passages.

A document is split at its headings (Markdown ``#``..``######``, HTML ``<h1>``..``<h6>``, and
in plain text an underlined or numbered line such as ``3. Error E21`` followed by text). Each
passage becomes one entry: the question is its heading (with the parent headings before it
as the category), the answer is the passage's text, and the id is the file stem plus the
heading's slug, so ingesting the same file again updates the same entries. A passage longer
than ``MAX_PASSAGE`` characters is cut at paragraph boundaries into parts ("(2)", "(3)"...).
Text before the first heading is a passage under the document's title (its file name).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from kb.checks import MAX_ANSWER, EntryProblem, check_entry
from kb.types import EntryIn, IngestError

SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
MAX_PASSAGE = 3000
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_TXT_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)[.)、]?\s+(\S.{0,80})$")
_UNDERLINE = re.compile(r"^(=+|-+)\s*$")


class _HtmlText(HTMLParser):
    """HTML to Markdown-ish lines: headings become ``#`` lines, blocks become paragraphs."""

    BLOCKS = frozenset("p div li tr br section article table ul ol pre blockquote".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n\n")
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(
                data.replace("\n", " ") if self.out and not self.out[-1].startswith("\n#") else data
            )


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "-", text.lower()).strip("-")[:60] or "section"


def _sections(lines: list[str], plain: bool) -> list[tuple[list[str], list[str]]]:
    """(heading path, body lines) for each section, in order."""
    out: list[tuple[list[str], list[str]]] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []

    def close() -> None:
        if any(b.strip() for b in body):
            out.append(([t for _, t in path], list(body)))
        body.clear()

    for i, line in enumerate(lines):
        level, title = 0, ""
        m = _MD_HEADING.match(line)
        if m and not plain:
            level, title = len(m.group(1)), m.group(2).strip()
        elif plain:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            n = _TXT_NUMBERED.match(line.strip())
            if line.strip() and _UNDERLINE.match(nxt):
                level, title = (1 if nxt.startswith("=") else 2), line.strip()
            elif n:
                level, title = 1 + n.group(1).count("."), line.strip()
            elif _UNDERLINE.match(line) and body and body[-1].strip() == "":
                continue
        if level:
            close()
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, html.unescape(title)))
        elif not (plain and _UNDERLINE.match(line)):
            body.append(line)
    close()
    return out


def _parts(text: str) -> list[str]:
    """The passage, cut at paragraphs into pieces of at most MAX_PASSAGE characters."""
    if len(text) <= MAX_PASSAGE:
        return [text]
    parts: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n", text):
        while len(para) > MAX_PASSAGE:
            parts.append(para[:MAX_PASSAGE])
            para = para[MAX_PASSAGE:]
        if current and len(current) + len(para) + 2 > MAX_PASSAGE:
            parts.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current:
        parts.append(current)
    return parts


def read_document(path: Path, text: str) -> tuple[list[EntryIn], list[IngestError]]:
    """Passages of one document as entries (blocking); problems by section, others kept."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        parser = _HtmlText()
        parser.feed(text)
        text = "".join(parser.out)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    entries: list[EntryIn] = []
    errors: list[IngestError] = []
    seen: dict[str, int] = {}
    for n, (headings, body) in enumerate(_sections(lines, plain=suffix == ".txt"), start=1):
        heads = headings or [path.stem]
        passage = re.sub(r"\n{3,}", "\n\n", "\n".join(body)).strip()[: MAX_ANSWER * 5]
        pieces = _parts(passage)
        for k, piece in enumerate(pieces, start=1):
            base = f"{_slug(path.stem)}-{_slug(heads[-1])}"
            seen[base] = seen.get(base, 0) + (1 if k == 1 else 0)
            entry_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            if len(pieces) > 1:
                entry_id = f"{entry_id}-{k}"
            question = heads[-1] + (f" ({k})" if len(pieces) > 1 else "")
            try:
                entries.append(
                    check_entry(
                        EntryIn(
                            id=entry_id[:128],
                            question=question[:500],
                            answer=piece,
                            category=" / ".join(heads[:-1])[:64],
                        )
                    )
                )
            except EntryProblem as err:
                errors.append(IngestError(n, f"section {n} ({heads[-1]!r}): {err}"))
    return entries, errors
