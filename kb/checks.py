"""What a KB entry must be before it is stored: limits, trimmed text, a known language.

Every way in (files, documents, the spreadsheet import, the console and the public API) checks
its entries here, so an entry means the same whatever brought it.
"""

from __future__ import annotations

from kb.text import detect_language, tidy
from kb.types import EntryIn

MAX_ID = 128
MAX_GROUP = 128
MAX_CATEGORY = 64
MAX_QUESTION = 500
MAX_ANSWER = 20_000
MAX_SIMILAR = 500  # more similar questions than this are dropped (the first ones are kept)
LANGUAGES = ("zh", "en")


class EntryProblem(ValueError):
    """An entry that cannot be stored; the message is the plain reason."""


def check_entry(entry: EntryIn) -> EntryIn:
    """The entry trimmed, similar questions deduplicated, language set; or EntryProblem."""
    entry_id = _text(entry.id)
    question = _text(entry.question)
    answer = _answer_text(entry.answer)
    if not entry_id:
        raise EntryProblem("missing 'id'")
    if not question:
        raise EntryProblem("missing 'question'")
    if not answer:
        raise EntryProblem("missing 'answer'")
    _cap("id", entry_id, MAX_ID)
    _cap("question", question, MAX_QUESTION)
    _cap("answer", answer, MAX_ANSWER)
    category = _text(entry.category)
    _cap("category", category, MAX_CATEGORY)
    group = _text(entry.group or "") or None
    if group is not None:
        _cap("group", group, MAX_GROUP)
    seen = {question.casefold()}
    similar: list[str] = []
    for s in entry.similar:
        s = _text(s)
        if s and s.casefold() not in seen:
            _cap("similar question", s, MAX_QUESTION)
            seen.add(s.casefold())
            similar.append(s)
    language = entry.language.strip().lower().replace("_", "-").split("-")[0]
    if not language:
        language = detect_language(question)
    elif language not in LANGUAGES:
        raise EntryProblem(
            f"'language' must be one of {', '.join(LANGUAGES)}, got {entry.language!r}"
        )
    return EntryIn(
        id=entry_id,
        question=question,
        answer=answer,
        similar=tuple(similar[:MAX_SIMILAR]),
        category=category,
        language=language,
        group=group,
    )


def _text(value: str) -> str:
    """One-line text: no control characters, single spaces (the author's characters kept)."""
    return tidy(value)


def _answer_text(value: str) -> str:
    """An answer keeps its line breaks and tabs; other control characters (NUL...) go."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or (ch >= " " and ch != "\x7f")).strip()


def _cap(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise EntryProblem(f"'{field}' is longer than {limit} characters")
